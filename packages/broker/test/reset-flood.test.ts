/**
 * Peers that reset the connection while the broker answers them. Node's HTTP server removes its own socket
 * `'error'` handler before it emits `'upgrade'`, so a refusal written to a socket nobody else listens on crashes
 * the process (`write ECONNRESET`, unhandled `'error'` event) when the peer resets mid-write.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveToken } from '../src/index.js';
import { TestScope, upgradeRequest, waitUntilIdle } from './helpers.js';
import { encodeFrame, inLanes, rawUpgrade, SeededRandom } from './raw-peers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** How many reset upgrades each refusal path gets (4,000 in all): the crash showed up on the second of a few thousand. */
const RESETS_PER_PATH = 500;

/** How many peers reset mid-write in each way (2,000 in all). */
const MID_WRITE_RESETS = 1_000;

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

  it('lets go of thousands of peers reset mid-write, in the request or in a frame, and ends idle', async () => {
    const test = await scope.broker();
    const secret = test.secret ?? '';
    const { lambdaAddress, debuggerAddress } = test.broker;
    const lambdaRequest = upgradeRequest('/v1/lambda/f1', {
      Authorization: `Bearer ${deriveToken(secret, 'lambda', 'f1')}`,
    });
    const debuggerRequest = upgradeRequest(`/f1?token=${deriveToken(secret, 'debugger', 'f1')}`, {});
    const random = new SeededRandom(20_261_204);
    /** The start of a frame that claims 60 MB: the peer resets while it is still sending it. */
    const bigFrameStart = () =>
      encodeFrame({
        opcode: 0x1,
        payload: random.bytes(random.int(1, 32 * 1024)),
        declaredLength: 60 * 1024 * 1024,
      });

    // Half an upgrade request, then a reset: the broker is still reading the head.
    await inLanes(MID_WRITE_RESETS, IN_FLIGHT, async () => {
      const [port, request] = random.chance(0.5)
        ? [lambdaAddress.port, lambdaRequest]
        : [debuggerAddress.port, debuggerRequest];
      await writeAndReset(port, request.slice(0, random.int(1, request.length - 1)));
    });
    // Upgraded (a link before hello, a held debugger), then a reset in the middle of a large frame.
    await inLanes(MID_WRITE_RESETS, 16, async (index) => {
      const port = index % 2 === 0 ? lambdaAddress.port : debuggerAddress.port;
      const { socket } = await rawUpgrade(port, index % 2 === 0 ? lambdaRequest : debuggerRequest);
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.write(bigFrameStart());
        socket.resetAndDestroy();
      });
    });

    await waitUntilIdle(test.broker);
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'after-resets');
    dbg.send({ id: 2, method: 'Debugger.enable' });
    expect((await proxy.cdp.next()).sessionId).toBe(sessionId);
  });
});
