/**
 * Peers that reset the connection while the broker answers them. Node's HTTP server removes its own socket
 * `'error'` handler before it emits `'upgrade'`, so a refusal written to a socket nobody else listens on crashes
 * the process (`write ECONNRESET`, unhandled `'error'` event) when the peer resets mid-write.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveToken } from '../src/index.js';
import { TestScope, upgradeRequest } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** How many reset upgrades each path gets: the crash showed up on the second of a few thousand. */
const RESETS_PER_PATH = 1_000;

/** How many resets are in flight at once: enough that some land while the broker is writing its refusal. */
const IN_FLIGHT = 50;

/** Writes `request` to `port` and resets the connection at once; resolves once the socket is gone. */
function writeAndReset(port: number, request: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.on('connect', () => {
      socket.write(request);
      socket.resetAndDestroy();
    });
  });
}

/** Runs `count` reset upgrades against `port`, `IN_FLIGHT` at a time. */
async function resetFlood(port: number, request: string, count: number): Promise<void> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      await writeAndReset(port, request);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

describe('reset flood', () => {
  it('survives upgrades reset mid-refusal on every refusal path, then serves a normal session', async () => {
    const test = await scope.broker();
    const { lambdaAddress, debuggerAddress } = test.broker;
    const lambdaToken = { Authorization: `Bearer ${deriveToken(test.secret ?? '', 'lambda', 'f1')}` };
    const refused: { port: number; request: string }[] = [
      // Debugger port: no token (401), a bad path (404), a foreign Host (403), an admin watcher without a token.
      { port: debuggerAddress.port, request: upgradeRequest('/f1', {}) },
      { port: debuggerAddress.port, request: upgradeRequest('/a/b/c', {}) },
      { port: debuggerAddress.port, request: upgradeRequest('/f1', { Host: 'evil.example' }) },
      { port: debuggerAddress.port, request: upgradeRequest('/admin/events', {}) },
      // Lambda port: no token (401), a bad path (404), a browser (403), a bad handshake with a good token (400).
      { port: lambdaAddress.port, request: upgradeRequest('/v1/lambda/f1', {}) },
      { port: lambdaAddress.port, request: upgradeRequest('/nope', {}) },
      {
        port: lambdaAddress.port,
        request: upgradeRequest('/v1/lambda/f1', { Origin: 'https://evil.example' }),
      },
      {
        port: lambdaAddress.port,
        request: upgradeRequest('/v1/lambda/f1', { ...lambdaToken, 'Sec-WebSocket-Key': null }),
      },
    ];
    for (const { port, request } of refused) await resetFlood(port, request, RESETS_PER_PATH);

    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'after-flood');
    dbg.send({ id: 1, method: 'Runtime.evaluate', params: { expression: '1 + 1' } });
    const forwarded = await proxy.cdp.next();
    expect(forwarded.sessionId).toBe(sessionId);
    proxy.sendCdp(sessionId, JSON.stringify({ id: 1, result: { result: { type: 'number', value: 2 } } }));
    expect((await dbg.reply(1)).result).toEqual({ result: { type: 'number', value: 2 } });
  });
});
