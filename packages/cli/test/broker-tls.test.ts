/**
 * `lambda-debug broker start --tls-cert F --tls-key F [--tls-ca F]` as an operator runs it: wss:// and https on
 * both ports, certificate files read again on SIGHUP without dropping a live session, and a one-line error with
 * exit 2 for files that are missing or do not belong together.
 */
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as connectTls, type PeerCertificate } from 'node:tls';
import { type BrokerHandle, generateSecret } from '@lambda-debug/broker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeProxy } from '../../broker/test/helpers.js';
import { createTestPki, type TestCertificate, type TestPki } from '../../broker/test/test-pki.js';
import { CliProcess, runCli, stopAllCliProcesses } from './cli-process.js';

interface BrokerReady {
  lambdaUrl: string;
  debuggerUrl: string;
  lambdaPort: number;
  debuggerPort: number;
  auth: boolean;
  tls: boolean;
}

const secret = generateSecret();
let pki: TestPki;
let first: TestCertificate;
let renewed: TestCertificate;
let certPath: string;
let keyPath: string;
const closables: { close(): unknown }[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  first = await pki.issue('broker');
  renewed = await pki.issue('broker-renewed');
  certPath = join(pki.dir, 'live-cert.pem');
  keyPath = join(pki.dir, 'live-key.pem');
});
afterAll(() => pki.cleanup());
afterEach(async () => {
  for (const closable of closables.splice(0)) await closable.close();
  await stopAllCliProcesses();
});

/** The ports of a broker the CLI runs, as the test clients read a handle. */
function brokerAt(ready: BrokerReady): BrokerHandle {
  return {
    secure: ready.tls,
    lambdaAddress: { host: '127.0.0.1', port: ready.lambdaPort },
    debuggerAddress: { host: '127.0.0.1', port: ready.debuggerPort },
  } as unknown as BrokerHandle;
}

function presentedCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca: pki.ca }, () => {
      const certificate = socket.getPeerCertificate();
      socket.end();
      resolve(certificate);
    });
    socket.on('error', reject);
  });
}

async function installCertificate(certificate: TestCertificate): Promise<void> {
  await copyFile(certificate.certPath, certPath);
  await copyFile(certificate.keyPath, keyPath);
}

describe('lambda-debug broker start with TLS', () => {
  it('serves wss://, reloads the certificate files on SIGHUP under a live session, and keeps them when the new files are wrong', async () => {
    await installCertificate(first);
    const cli = CliProcess.start(
      [
        'broker',
        'start',
        '--lambda-port',
        '0',
        '--debugger-port',
        '0',
        '--json',
        '--tls-cert',
        certPath,
        '--tls-key',
        keyPath,
        '--tls-ca',
        pki.caPath,
      ],
      { LAMBDA_DEBUG_SECRET: secret },
    );
    const ready = await cli.json<BrokerReady>();
    expect(ready).toMatchObject({
      tls: true,
      lambdaUrl: `wss://127.0.0.1:${ready.lambdaPort}/v1/lambda`,
      debuggerUrl: `https://127.0.0.1:${ready.debuggerPort}`,
    });
    const env = await runCli(
      ['env', '--fn', 'orders', '--broker', `wss://127.0.0.1:${ready.lambdaPort}`, '--json'],
      { LAMBDA_DEBUG_SECRET: secret },
    );
    const variables = JSON.parse(env.stdout) as Record<string, string>;
    const proxy = await FakeProxy.open(
      brokerAt(ready),
      'orders',
      { token: variables.DEBUGGER_TOKEN ?? '' },
      { ca: pki.ca },
    );
    closables.push(proxy);
    proxy.hello(variables.DEBUGGER_TOKEN ?? '');
    expect((await proxy.control.next()).type).toBe('welcome');
    const { sessionId } = await proxy.register();
    expect((await presentedCertificate(ready.lambdaPort)).subject.CN).toBe('broker');

    await installCertificate(renewed);
    cli.child.kill('SIGHUP');
    await cli.line(/TLS certificate reloaded/, 'stderr');
    for (const port of [ready.lambdaPort, ready.debuggerPort]) {
      expect((await presentedCertificate(port)).subject.CN).toBe('broker-renewed');
    }
    expect(proxy.ws.readyState).toBe(proxy.ws.OPEN);
    proxy.send({ type: 'heartbeat', sentAtMs: 1, reply: false });
    expect(await proxy.nextControl('heartbeat')).toMatchObject({ reply: true });

    // A key that does not match: the broker says so and goes on serving the certificate it has.
    await copyFile(first.keyPath, keyPath);
    cli.child.kill('SIGHUP');
    expect(await cli.line(/SIGHUP: kept the current TLS certificate/, 'stderr')).toMatch(
      /does not belong to the certificate/,
    );
    await rm(certPath);
    cli.child.kill('SIGHUP');
    expect(await cli.line(/SIGHUP: kept the current TLS certificate/, 'stderr')).toMatch(
      /cannot read --tls-cert .*ENOENT/,
    );
    expect((await presentedCertificate(ready.debuggerPort)).subject.CN).toBe('broker-renewed');
    expect(proxy.ws.readyState).toBe(proxy.ws.OPEN);
    expect(proxy.control.pending.some((m) => m.type === 'session-end')).toBe(false);

    expect(await cli.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await proxy.nextControl('session-end', sessionId)).toMatchObject({ reason: 'broker-shutdown' });
    expect(cli.transcript).not.toContain('PRIVATE KEY');
  });

  it('prints wss:// commands to run next', async () => {
    const cli = CliProcess.start(
      [
        'broker',
        'start',
        '--lambda-port',
        '0',
        '--debugger-port',
        '0',
        '--tls-cert',
        first.certPath,
        '--tls-key',
        first.keyPath,
      ],
      { LAMBDA_DEBUG_SECRET: secret },
    );
    const lambdaLine = await cli.line(/Lambda port/);
    const port = /wss:\/\/127\.0\.0\.1:(\d+)\/v1\/lambda/.exec(lambdaLine)?.[1];
    expect(port).toBeDefined();
    expect(await cli.line(/Debugger port/)).toMatch(/https:\/\/127\.0\.0\.1:\d+/);
    expect(await cli.line(/TLS {12}on/)).toContain('SIGHUP');
    expect(await cli.line(/lambda-debug env --fn <ID>/)).toContain(`--broker wss://127.0.0.1:${port}`);
    expect(await cli.line(/lambda-debug url --fn <ID>/)).toMatch(/--broker wss:\/\/127\.0\.0\.1:\d+/);
    expect(await cli.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });

  it.each<[string, () => Promise<string[]>, RegExp]>([
    [
      'a missing certificate file',
      async () => ['--tls-cert', join(pki.dir, 'nope.pem'), '--tls-key', first.keyPath],
      /cannot read --tls-cert .*nope\.pem \(ENOENT\)/,
    ],
    [
      'a directory as the key',
      async () => ['--tls-cert', first.certPath, '--tls-key', pki.dir],
      /--tls-key .* is not a file/,
    ],
    [
      'a key of another certificate',
      async () => ['--tls-cert', first.certPath, '--tls-key', renewed.keyPath],
      /the TLS key does not belong to the certificate for CN=broker/,
    ],
    [
      'a CA that did not issue the certificate',
      async () => {
        const other = await createTestPki('other CA');
        closables.push({ close: () => other.cleanup() });
        return ['--tls-cert', first.certPath, '--tls-key', first.keyPath, '--tls-ca', other.caPath];
      },
      /not issued by any certificate in the CA file/,
    ],
    [
      'a file that is no certificate',
      async () => {
        const path = join(pki.dir, 'garbage.pem');
        await writeFile(path, 'hello\n');
        return ['--tls-cert', path, '--tls-key', first.keyPath];
      },
      /holds no PEM certificate/,
    ],
    ['--tls-key alone', async () => ['--tls-key', first.keyPath], /--tls-key was given without --tls-cert/],
    [
      '--tls-ca alone',
      async () => ['--tls-ca', pki.caPath],
      /--tls-ca was given without --tls-cert and --tls-key/,
    ],
  ])('refuses %s with one line and exit 2', async (_what, args, message) => {
    const result = await runCli(
      ['broker', 'start', '--lambda-port', '0', '--debugger-port', '0', ...(await args())],
      { LAMBDA_DEBUG_SECRET: secret },
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^lambda-debug: /);
    expect(lines[0]).toMatch(message);
  });
});
