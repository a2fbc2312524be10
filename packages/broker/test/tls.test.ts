/**
 * The broker over TLS: both ports speak `wss://` and `https://` with a certificate the test's own CA issued,
 * certificates are checked before anything listens, `reloadTls` swaps them under a live session, and a client
 * that does not trust the certificate costs only its own connection.
 */
import { get } from 'node:https';
import { connect as connectTls, type PeerCertificate } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { BrokerConfigError, type DiscoveryTarget, deriveToken, startBroker } from '../src/index.js';
import { captureLogger, FakeProxy, TestDebugger, TestScope } from './helpers.js';
import { createTestPki, type TestCertificate, type TestPki } from './test-pki.js';

const scope = new TestScope();
let pki: TestPki;
let otherPki: TestPki;
let server: TestCertificate;

beforeAll(async () => {
  pki = await createTestPki();
  otherPki = await createTestPki('some other CA');
  server = await pki.issue('broker');
});
afterAll(async () => {
  await pki.cleanup();
  await otherPki.cleanup();
});
afterEach(() => scope.cleanup());

/** GET over https, trusting `ca`; resolves with status and body text. */
function httpsGet(port: number, path: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    }).on('error', reject);
  });
}

/** The certificate a TLS port presents to a new connection (verified against `ca`). */
function presentedCertificate(port: number, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca }, () => {
      const certificate = socket.getPeerCertificate();
      socket.end();
      resolve(certificate);
    });
    socket.on('error', reject);
  });
}

/** How a TLS handshake with `ca` as the only trusted root ends: `ok`, or the verification error's code. */
function handshakeWith(port: number, ca: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca }, () => {
      socket.end();
      resolve('ok');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('a broker started with tls', () => {
  it('serves wss:// on both ports and https for discovery and health, with wss URLs in /json/list', async () => {
    const test = await scope.broker({ tls: { cert: server.cert, key: server.key } });
    expect(test.broker.secure).toBe(true);
    const trust = { ca: pki.ca };
    const proxy = await scope.proxy(test, 'orders', trust);
    const { sessionId } = await proxy.register();
    const dbg = await scope.debugger(test, 'orders', undefined, trust);
    await proxy.nextControl('debugger-attached', sessionId);
    dbg.send({ id: 1, method: 'Runtime.evaluate', params: { expression: '1 + 1' } });
    const command = await proxy.cdp.next();
    expect(JSON.parse(command.payload)).toMatchObject({ id: 1, method: 'Runtime.evaluate' });
    proxy.sendCdp(sessionId, JSON.stringify({ id: 1, result: { result: { type: 'number', value: 2 } } }));
    expect(await dbg.reply(1)).toMatchObject({ result: { result: { value: 2 } } });

    const debuggerPort = test.broker.debuggerAddress.port;
    const token = deriveToken(test.secret ?? '', 'debugger', 'orders');
    const list = await httpsGet(debuggerPort, `/json/list?fn=orders&token=${token}`, pki.ca);
    expect(list.status).toBe(200);
    const [target] = JSON.parse(list.body) as DiscoveryTarget[];
    expect(target?.webSocketDebuggerUrl).toBe(
      `wss://127.0.0.1:${debuggerPort}/orders/${sessionId}?token=${token}`,
    );
    expect(target?.devtoolsFrontendUrl).toContain(
      `&wss=127.0.0.1:${debuggerPort}/orders/${sessionId}%3Ftoken%3D`,
    );
    expect(target?.devtoolsFrontendUrl).not.toContain('&ws=');
    for (const port of [test.broker.lambdaAddress.port, debuggerPort]) {
      expect(await httpsGet(port, '/healthz', pki.ca)).toEqual({ status: 200, body: 'ok\n' });
    }
    const line = test.capture.lines.find((entry) => entry.includes('broker listening')) ?? '';
    expect(JSON.parse(line)).toMatchObject({ tls: true, certificate: 'CN=broker' });
    expect(line).not.toContain('PRIVATE KEY');
  });

  it('speaks no plain text: a ws:// client is not served on either port', async () => {
    const test = await scope.broker({ tls: { cert: server.cert, key: server.key } });
    for (const port of [test.broker.lambdaAddress.port, test.broker.debuggerAddress.port]) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/lambda`);
      const outcome = await new Promise<string>((resolve) => {
        ws.once('open', () => resolve('open'));
        ws.once('unexpected-response', () => resolve('http answer'));
        ws.once('error', () => resolve('failed'));
      });
      ws.terminate();
      expect(outcome).toBe('failed');
    }
  });

  it('costs a client that does not trust the certificate only its own connection', async () => {
    const test = await scope.broker({ tls: { cert: server.cert, key: server.key } });
    const proxy = await scope.proxy(test, 'steady', { ca: pki.ca });
    const { sessionId } = await proxy.register();
    expect(await handshakeWith(test.broker.lambdaAddress.port, otherPki.ca)).toBe(
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
    await expect(FakeProxy.open(test.broker, 'stranger', {}, { ca: otherPki.ca })).rejects.toThrow(
      /unable to verify/,
    );
    expect(test.broker.sessions().map((session) => session.sessionId)).toEqual([sessionId]);
    expect(proxy.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('reloads the certificate under a live session: the session carries on, new connections get the new one', async () => {
    const test = await scope.broker({ tls: { cert: server.cert, key: server.key } });
    const proxy = await scope.proxy(test, 'reload', { ca: pki.ca });
    const { sessionId } = await proxy.register();
    const dbg = await scope.debugger(test, 'reload', undefined, { ca: pki.ca });
    await proxy.nextControl('debugger-attached', sessionId);
    const before = await presentedCertificate(test.broker.debuggerAddress.port, pki.ca);
    const renewed = await pki.issue('broker-renewed');
    test.broker.reloadTls({ cert: renewed.cert, key: renewed.key, ca: pki.ca });
    for (const port of [test.broker.lambdaAddress.port, test.broker.debuggerAddress.port]) {
      const after = await presentedCertificate(port, pki.ca);
      expect(after.subject.CN).toBe('broker-renewed');
      expect(after.fingerprint256).not.toBe(before.fingerprint256);
    }
    // The session opened before the reload still relays both ways.
    dbg.send({ id: 7, method: 'Debugger.resume' });
    expect(JSON.parse((await proxy.cdp.next()).payload)).toMatchObject({ id: 7 });
    proxy.sendCdp(sessionId, JSON.stringify({ id: 7, result: {} }));
    expect(await dbg.reply(7)).toEqual({ id: 7, result: {} });
    // A new debugger connects with the new certificate.
    const second = await TestDebugger.attach(test.broker, test.secret, 'reload', sessionId, { ca: pki.ca });
    scope.track(second);
    expect(test.capture.lines.some((line) => line.includes('TLS certificate reloaded'))).toBe(true);
  });

  it('keeps the old certificate when a reload is unusable', async () => {
    const test = await scope.broker({ tls: { cert: server.cert, key: server.key } });
    const stranger = await otherPki.issue('stranger');
    expect(() => test.broker.reloadTls({ cert: server.cert, key: stranger.key })).toThrow(
      /does not belong to the certificate/,
    );
    const still = await presentedCertificate(test.broker.lambdaAddress.port, pki.ca);
    expect(still.subject.CN).toBe('broker');
  });

  it('refuses a reload on a broker started without TLS', async () => {
    const test = await scope.broker();
    expect(test.broker.secure).toBe(false);
    expect(() => test.broker.reloadTls({ cert: server.cert, key: server.key })).toThrow(/without TLS/);
  });
});

describe('certificate checks at start', () => {
  it.each<[string, () => { cert: string; key: string; ca?: string }, RegExp]>([
    ['a key of another certificate', () => ({ cert: server.cert, key: pki.ca }), /not a readable/],
    [
      'no certificate at all',
      () => ({ cert: 'not a certificate', key: server.key }),
      /holds no PEM certificate/,
    ],
    ['a garbled certificate', () => ({ cert: garble(server.cert), key: server.key }), /cannot be parsed/],
    ['a key that is not PEM', () => ({ cert: server.cert, key: 'secret' }), /not a readable unencrypted PEM/],
    [
      'a CA that did not issue it',
      () => ({ cert: server.cert, key: server.key, ca: otherPki.ca }),
      /not issued by/,
    ],
  ])('refuses %s with an invalid-tls error before listening', async (_what, tls, message) => {
    const { logger } = captureLogger();
    const started = startBroker({ lambdaPort: 0, debuggerPort: 0, auth: false, logger, tls: tls() });
    await expect(started).rejects.toThrow(message);
    await expect(started).rejects.toMatchObject({ code: 'invalid-tls' });
    await expect(started).rejects.toBeInstanceOf(BrokerConfigError);
  });

  it('refuses a key that belongs to another certificate', async () => {
    const other = await pki.issue('other');
    const { logger } = captureLogger();
    await expect(
      startBroker({
        lambdaPort: 0,
        debuggerPort: 0,
        auth: false,
        logger,
        tls: { cert: server.cert, key: other.key },
      }),
    ).rejects.toThrow(/the TLS key does not belong to the certificate for CN=broker/);
  });
});

describe('the plain-text warning', () => {
  it('warns once when a non-loopback address is served without TLS, and not on loopback or with TLS', async () => {
    const exposed = await scope.broker({ host: '0.0.0.0' });
    const warnings = exposed.capture.lines.filter((line) => line.includes('without TLS'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] ?? '{}')).toMatchObject({ level: 'warn' });
    const loopback = await scope.broker();
    const secured = await scope.broker({ host: '0.0.0.0', tls: { cert: server.cert, key: server.key } });
    for (const test of [loopback, secured]) {
      expect(test.capture.lines.filter((line) => line.includes('without TLS'))).toEqual([]);
    }
  });
});

/** A PEM certificate whose base64 body no longer decodes to a certificate. */
function garble(pem: string): string {
  const lines = pem.split('\n');
  return lines
    .map((line, index) => (index > 1 && index < lines.length - 3 ? line.replace(/[A-Za-z]/g, 'A') : line))
    .join('\n');
}
