/**
 * Throws random input at both ports, before and after authentication: random bytes instead of HTTP, handshakes
 * cut short, random WebSocket frames (every opcode, fragments, reserved bits, unmasked, lying lengths) after a
 * refused upgrade, on an authenticated link before `hello`, and on links and debuggers that are fully in. The
 * broker must stay up, let go of everything (`stats()` back to zero) and then serve a normal debug session.
 * `FUZZ_SEED=<n>` replays a run; the seed is in the test's name.
 */
import { connect } from 'node:net';
import { PROTOCOL_VERSION } from '@lambda-debug/shim-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveToken } from '../src/index.js';
import { rawExchange, TestScope, upgradeRequest, waitUntilIdle } from './helpers.js';
import {
  inLanes,
  letGo,
  randomFrame,
  rawUpgrade,
  receivedText,
  SeededRandom,
  textFrame,
} from './raw-peers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** Peers per kind of input and port. */
const PEERS_PER_CASE = 150;
/** Peers at once: below the default per-address caps, so every peer reaches the code under test. */
const LANES = 8;
/** Random frames each upgraded peer sends. */
const MAX_FRAMES = 8;

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));

/** What one peer of a case does; `random` is its own stream, so a case replays the same from a seed. */
type Case = (random: SeededRandom) => Promise<void>;

function someFrames(random: SeededRandom): Buffer {
  return Buffer.concat(Array.from({ length: random.int(1, MAX_FRAMES) }, () => randomFrame(random)));
}

/** Sends `data` on a fresh connection to `port` and lets go (reset or FIN), without waiting for an answer. */
async function sendAndLetGo(port: number, data: Buffer, random: SeededRandom): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  });
  if (!socket.destroyed) socket.write(data);
  await letGo(socket, random.chance(0.5) ? 'reset' : 'end');
}

/** A valid upgrade request cut at a random point. */
function truncated(request: string, random: SeededRandom): Buffer {
  return Buffer.from(request.slice(0, random.int(0, request.length - 1)), 'latin1');
}

describe('fuzz', () => {
  it(`survives random input on both ports, lets go of everything, then serves a session (seed ${seed})`, async () => {
    const test = await scope.broker({ limits: { handshakeTimeoutMs: 2_000 } });
    const secret = test.secret ?? '';
    const lambdaPort = test.broker.lambdaAddress.port;
    const debuggerPort = test.broker.debuggerAddress.port;
    const lambdaAuth = { Authorization: `Bearer ${deriveToken(secret, 'lambda', 'fuzz')}` };
    const debuggerPath = `/fuzz?token=${deriveToken(secret, 'debugger', 'fuzz')}`;
    const hello = textFrame(
      JSON.stringify({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        functionId: 'fuzz',
        token: deriveToken(secret, 'lambda', 'fuzz'),
        runtime: 'fuzz',
        proxyVersion: '0.0.0',
      }),
    );

    const cases: Record<string, Case> = {
      'random bytes, Lambda port': (random) =>
        sendAndLetGo(lambdaPort, random.bytes(random.int(1, 20_000)), random),
      'random bytes, debugger port': (random) =>
        sendAndLetGo(debuggerPort, random.bytes(random.int(1, 20_000)), random),
      'truncated handshake, Lambda port': (random) =>
        sendAndLetGo(lambdaPort, truncated(upgradeRequest('/v1/lambda/fuzz', lambdaAuth), random), random),
      'truncated handshake, debugger port': (random) =>
        sendAndLetGo(debuggerPort, truncated(upgradeRequest(debuggerPath, {}), random), random),
      'frames after a refused upgrade, Lambda port': (random) =>
        sendAndLetGo(
          lambdaPort,
          Buffer.concat([Buffer.from(upgradeRequest('/v1/lambda/fuzz', {})), someFrames(random)]),
          random,
        ),
      'frames after a refused upgrade, debugger port': (random) =>
        sendAndLetGo(
          debuggerPort,
          Buffer.concat([Buffer.from(upgradeRequest('/fuzz?token=junk', {})), someFrames(random)]),
          random,
        ),
      'frames on an authenticated link before hello': async (random) => {
        const { socket } = await rawUpgrade(lambdaPort, upgradeRequest('/v1/lambda/fuzz', lambdaAuth));
        socket.write(someFrames(random));
        await letGo(socket, random.chance(0.5) ? 'reset' : 'end');
      },
      'frames on a link after hello': async (random) => {
        const { socket, rest } = await rawUpgrade(lambdaPort, upgradeRequest('/v1/lambda/fuzz', lambdaAuth));
        const welcomed = receivedText(socket, '"welcome"', rest);
        socket.write(hello);
        await welcomed;
        socket.write(someFrames(random));
        await letGo(socket, random.chance(0.5) ? 'reset' : 'end');
      },
      'frames from an attached debugger': async (random) => {
        const { socket } = await rawUpgrade(debuggerPort, upgradeRequest(debuggerPath, {}));
        socket.write(someFrames(random));
        await letGo(socket, random.chance(0.5) ? 'reset' : 'end');
      },
    };

    let caseIndex = 0;
    for (const [name, run] of Object.entries(cases)) {
      caseIndex += 1;
      await inLanes(PEERS_PER_CASE, LANES, async (peer) => {
        const random = new SeededRandom(seed + caseIndex * 1_000_003 + peer);
        await run(random).catch((error: unknown) => {
          throw new Error(`${name}, peer ${peer} (seed ${seed}): ${String(error)}`);
        });
      });
    }

    // Everything the peers opened is gone, then a normal session works end to end.
    await waitUntilIdle(test.broker);
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'after-fuzz');
    dbg.send({ id: 7, method: 'Runtime.evaluate', params: { expression: '6 * 7' } });
    expect((await proxy.cdp.next()).sessionId).toBe(sessionId);
    proxy.sendCdp(sessionId, JSON.stringify({ id: 7, result: { result: { type: 'number', value: 42 } } }));
    expect((await dbg.reply(7)).result).toEqual({ result: { type: 'number', value: 42 } });
    expect(
      await rawExchange(debuggerPort, 'GET /json/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
    ).toContain('200 OK');
  });
});
