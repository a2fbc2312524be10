import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type BrokerMessage,
  CloseCode,
  decodeProxyFrame,
  encodeCdpFrame,
  encodeControl,
  PROTOCOL_VERSION,
  type ProxyMessage,
} from '@lambda-debug/shim-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { BrokerLink, BrokerLinkError, type LinkEvent } from './broker-link.js';

const WELCOME: BrokerMessage = {
  type: 'welcome',
  protocolVersion: PROTOCOL_VERSION,
  connectionId: 'c-1',
  heartbeatIntervalMs: 15_000,
};

/** A scripted broker: `onConnection` decides what each connection does. */
async function scriptedBroker(
  onConnection: (
    socket: WebSocket,
    received: ProxyMessage[],
    frames: Buffer[],
    upgrade: IncomingMessage,
  ) => void,
  server?: HttpsServer,
): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = server ? new WebSocketServer({ server }) : new WebSocketServer({ host: '127.0.0.1', port: 0 });
  if (server) await new Promise<void>((ready) => server.listen(0, '127.0.0.1', () => ready()));
  else await new Promise<void>((ready) => wss.once('listening', () => ready()));
  wss.on('connection', (socket, upgrade) => {
    const received: ProxyMessage[] = [];
    const frames: Buffer[] = [];
    socket.on('message', (data: Buffer) => {
      const decoded = decodeProxyFrame(data);
      if (decoded.ok && decoded.value.kind === 'control') received.push(decoded.value.message);
      frames.push(Buffer.from(data));
    });
    onConnection(socket, received, frames, upgrade);
  });
  const address = (server ?? wss).address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `${server ? 'wss' : 'ws'}://127.0.0.1:${port}/v1/lambda`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((closed) => wss.close(() => closed()));
      if (server) await new Promise<void>((closed) => server.close(() => closed()));
    },
  };
}

const options = (url: string) => ({
  url,
  functionId: 'fn-1',
  token: 'ld1.lambda.token',
  runtime: 'AWS_Lambda_nodejs22.x',
  proxyVersion: '0.1.0',
  timeoutMs: 2_000,
});

/** Answers hello with welcome, and register with registered. */
function friendly(socket: WebSocket): void {
  socket.on('message', (data: Buffer) => {
    const decoded = decodeProxyFrame(data);
    if (!decoded.ok || decoded.value.kind !== 'control') return;
    const message = decoded.value.message;
    if (message.type === 'hello') socket.send(encodeControl(WELCOME));
    if (message.type === 'register')
      socket.send(encodeControl({ type: 'registered', sessionId: message.sessionId }));
  });
}

describe('BrokerLink', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function broker(onConnection: Parameters<typeof scriptedBroker>[0]) {
    const started = await scriptedBroker(onConnection);
    closers.push(started.close);
    return started;
  }

  it('says hello with the function id, token and versions, then registers the invocation', async () => {
    let seen: ProxyMessage[] = [];
    let upgrade: IncomingMessage | undefined;
    const { url } = await broker((socket, received, _frames, request) => {
      seen = received;
      upgrade = request;
      friendly(socket);
    });
    const link = await BrokerLink.open(options(url));
    // The broker authenticates the upgrade itself: the path names the function, the header carries its token.
    expect(upgrade?.url).toBe('/v1/lambda/fn-1');
    expect(upgrade?.headers.authorization).toBe('Bearer ld1.lambda.token');
    await link.register(
      { sessionId: 's-1', requestId: 'r-1', deadlineMs: 123, invokedFunctionArn: 'arn:x' },
      2_000,
    );
    expect(seen).toEqual([
      {
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        functionId: 'fn-1',
        token: 'ld1.lambda.token',
        runtime: 'AWS_Lambda_nodejs22.x',
        proxyVersion: '0.1.0',
      },
      { type: 'register', sessionId: 's-1', requestId: 'r-1', deadlineMs: 123, invokedFunctionArn: 'arn:x' },
    ]);
    await link.endSession('s-1', 'completed');
    expect(seen.at(-1)).toEqual({ type: 'session-end', sessionId: 's-1', reason: 'completed' });
    expect(link.open).toBe(false);
  });

  it('relays CDP payloads both ways as the exact bytes, answers heartbeats, and reports attach and detach', async () => {
    let brokerSide: WebSocket | undefined;
    let frames: Buffer[] = [];
    let seen: ProxyMessage[] = [];
    const { url } = await broker((socket, received, rawFrames) => {
      brokerSide = socket;
      frames = rawFrames;
      seen = received;
      friendly(socket);
    });
    const link = await BrokerLink.open(options(url));
    await link.register({ sessionId: 's-1', requestId: 'r-1', deadlineMs: 1 }, 2_000);
    const events: LinkEvent[] = [];
    const got = new Promise<void>((done) =>
      link.setListener((event) => {
        events.push(event);
        if (event.type === 'cdp') done();
      }),
    );
    const payload = '{"id":1,"method":"Runtime.evaluate","params":{"expression":"\'é✓😀\\\\n\'"}}';
    brokerSide?.send(encodeControl({ type: 'heartbeat', sentAtMs: 7, reply: false }));
    brokerSide?.send(encodeControl({ type: 'debugger-attached', sessionId: 's-1', debuggerId: 'd-1' }));
    brokerSide?.send(encodeCdpFrame('s-1', payload));
    await got;
    expect(events[0]).toEqual({ type: 'debugger-attached', sessionId: 's-1' });
    expect(events[1]).toMatchObject({ type: 'cdp', sessionId: 's-1' });
    expect((events[1] as { payload: Buffer }).payload.toString('utf8')).toBe(payload);
    const reply = Buffer.from('{"id":1,"result":{"result":{"type":"string","value":"é✓😀\\n"}}}');
    link.sendCdp('s-1', reply);
    await link.endSession('s-1', 'completed');
    expect(frames.some((frame) => frame.equals(encodeCdpFrame('s-1', reply)))).toBe(true);
    expect(seen).toContainEqual({ type: 'heartbeat', sentAtMs: 7, reply: true });
  });

  it('reports a refused token as unauthorized', async () => {
    const { url } = await broker((socket) =>
      socket.on('message', () => socket.close(CloseCode.UNAUTHORIZED, 'unauthorized')),
    );
    const error = await BrokerLink.open(options(url)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BrokerLinkError);
    expect(error).toMatchObject({
      kind: 'unauthorized',
      message: expect.stringContaining('4010 UNAUTHORIZED'),
    });
  });

  it('reports a protocol version it does not speak', async () => {
    const { url } = await broker((socket) =>
      socket.on('message', () =>
        socket.send(encodeControl({ ...WELCOME, protocolVersion: PROTOCOL_VERSION + 1 } as BrokerMessage)),
      ),
    );
    await expect(BrokerLink.open(options(url))).rejects.toMatchObject({ kind: 'protocol' });
  });

  it('reports a broker that never answers hello as a timeout, and leaves no socket', async () => {
    let closed: Promise<void> | undefined;
    const { url } = await broker((socket) => {
      closed = new Promise((done) => socket.once('close', () => done()));
    });
    await expect(BrokerLink.open({ ...options(url), timeoutMs: 200 })).rejects.toMatchObject({
      kind: 'timeout',
    });
    await closed;
  });

  it('reports a refused registration', async () => {
    const { url } = await broker((socket) =>
      socket.on('message', (data: Buffer) => {
        const decoded = decodeProxyFrame(data);
        if (!decoded.ok || decoded.value.kind !== 'control') return;
        if (decoded.value.message.type === 'hello') socket.send(encodeControl(WELCOME));
        if (decoded.value.message.type === 'register') {
          socket.send(
            encodeControl({
              type: 'error',
              code: 'capacity',
              message: 'too many sessions',
              sessionId: 's-1',
            }),
          );
        }
      }),
    );
    const link = await BrokerLink.open(options(url));
    await expect(
      link.register({ sessionId: 's-1', requestId: 'r', deadlineMs: 1 }, 2_000),
    ).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringContaining('too many sessions'),
    });
    await link.close();
  });

  it('reports nothing listening as unreachable', async () => {
    await expect(BrokerLink.open(options('ws://127.0.0.1:1/v1/lambda'))).rejects.toMatchObject({
      kind: 'unreachable',
      message: expect.stringContaining('connection refused'),
    });
  });
});

describe('BrokerLink over wss://', () => {
  let directory: string;
  let ca: Buffer;
  let close: () => Promise<void>;
  let url: string;

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'lambda-debug-tls-'));
    const key = path.join(directory, 'key.pem');
    const cert = path.join(directory, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(cert);
    const server = createHttpsServer({ key: readFileSync(key), cert: ca });
    const started = await scriptedBroker((socket) => friendly(socket), server);
    close = started.close;
    url = started.url;
  });
  afterAll(async () => {
    await close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('connects when the certificate is trusted', async () => {
    const link = await BrokerLink.open({ ...options(url), socketOptions: { ca } });
    expect(link.open).toBe(true);
    await link.close();
  });

  it('refuses an untrusted certificate, saying why', async () => {
    await expect(BrokerLink.open(options(url))).rejects.toMatchObject({
      kind: 'untrusted',
      message: expect.stringMatching(
        /did not verify \(self[- ]signed certificate; DEPTH_ZERO_SELF_SIGNED_CERT\)/,
      ),
    });
  });
});
