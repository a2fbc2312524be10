/**
 * The limits that keep one peer (or the holder of one function's token) from taking what every other peer
 * needs: connections per address, sessions and held debuggers per function, how far a deadline may be, and a
 * discovery lookup whose cost does not depend on the token presented.
 */
import { connect, type Socket } from 'node:net';
import { CloseCode, LAMBDA_MAX_TIMEOUT_MS } from '@lambda-debug/shim-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveToken } from '../src/index.js';
import { getJson, rawExchange, statusOf, TestScope, upgradeRequest, waitFor } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** Opens a TCP connection that sends nothing, closed at cleanup. */
async function idleConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  scope.track({
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) resolve();
        else socket.once('close', () => resolve()).destroy();
      }),
  });
  return socket;
}

describe('connections per remote address', () => {
  it('answers a debugger-port connection over maxDebuggerConnectionsPerAddress with 429, and admits again after one closes', async () => {
    const test = await scope.broker({ limits: { maxDebuggerConnectionsPerAddress: 2 } });
    const port = test.broker.debuggerAddress.port;
    const first = await idleConnection(port);
    await idleConnection(port);
    await waitFor(() => test.broker.stats().tcpConnections === 2, 'the broker to see both connections');

    const refused = await rawExchange(port, 'GET /json/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(statusOf(refused)).toBe(429);
    expect(refused).toContain('maxDebuggerConnectionsPerAddress');

    first.destroy();
    await waitFor(() => test.broker.stats().tcpConnections === 1, 'the broker to see one connection close');
    expect((await getJson(port, '/json/version')).status).toBe(200);
  });

  it('counts the Lambda port on its own, with maxLambdaConnectionsPerAddress', async () => {
    const test = await scope.broker({
      limits: { maxLambdaConnectionsPerAddress: 1, maxDebuggerConnectionsPerAddress: 1 },
    });
    const proxy = await scope.proxy(test, 'capped');
    const token = deriveToken(test.secret ?? '', 'lambda', 'capped');
    const refused = await rawExchange(
      test.broker.lambdaAddress.port,
      upgradeRequest('/v1/lambda/capped', { Authorization: `Bearer ${token}` }),
    );
    expect(statusOf(refused)).toBe(429);
    expect(refused).toContain('maxLambdaConnectionsPerAddress');
    // The debugger port has its own count: the one debugger connection it allows still attaches.
    const { sessionId } = await proxy.register();
    await scope.debugger(test, 'capped');
    await proxy.nextControl('debugger-attached', sessionId);
  });
});

describe('per-function caps', () => {
  it('refuses a register beyond maxSessionsPerFunction, while other functions still register', async () => {
    const test = await scope.broker({ limits: { maxSessionsPerFunction: 2 } });
    const greedy = await scope.proxy(test, 'greedy');
    const first = await greedy.register();
    await greedy.register();
    await expect(greedy.register({ sessionId: 'third' })).rejects.toThrow(/maxSessionsPerFunction/);
    const other = await scope.proxy(test, 'modest');
    await other.register();
    greedy.end(first.sessionId);
    await greedy.register({ sessionId: 'third' });
  });

  it('closes a debugger beyond maxHeldDebuggersPerFunction with CAPACITY, while other functions still hold', async () => {
    const test = await scope.broker({ limits: { maxHeldDebuggersPerFunction: 1 } });
    const held = await scope.debugger(test, 'popular');
    await held.notice();
    const extra = await scope.debugger(test, 'popular');
    expect((await extra.notice()).text).toContain('maxHeldDebuggersPerFunction');
    expect((await extra.closed).code).toBe(CloseCode.CAPACITY);
    const other = await scope.debugger(test, 'quiet');
    expect((await other.notice()).text).toContain('waiting for an invocation of quiet');
    expect(test.broker.stats().heldDebuggers).toBe(2);
  });
});

describe('deadlines', () => {
  it('refuses a deadline later than the Lambda maximum plus deadlineGraceMs, and accepts one at the maximum', async () => {
    const test = await scope.broker({ limits: { deadlineGraceMs: 60_000 } });
    const proxy = await scope.proxy(test, 'forever');
    await expect(
      proxy.register({ sessionId: 'far', deadlineMs: Date.now() + LAMBDA_MAX_TIMEOUT_MS + 120_000 }),
    ).rejects.toThrow(/"code":"deadline-too-far"/);
    await expect(proxy.register({ sessionId: 'never', deadlineMs: Number.MAX_SAFE_INTEGER })).rejects.toThrow(
      /"code":"deadline-too-far"/,
    );
    expect(test.broker.sessions()).toEqual([]);
    await proxy.register({ sessionId: 'longest', deadlineMs: Date.now() + LAMBDA_MAX_TIMEOUT_MS });
  });
});

describe('/json/list without ?fn=', () => {
  it('finds a debugger token’s function among many active ones, refuses junk, and forgets functions that left', async () => {
    const test = await scope.broker();
    const port = test.broker.debuggerAddress.port;
    const secret = test.secret ?? '';
    const proxies = [];
    for (let index = 0; index < 40; index += 1) {
      const proxy = await scope.proxy(test, `fn-${index}`);
      await proxy.register({ sessionId: `s-${index}` });
      proxies.push(proxy);
    }
    const list = (token: string) => getJson(port, `/json/list?token=${encodeURIComponent(token)}`);

    const found = await list(deriveToken(secret, 'debugger', 'fn-27'));
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject([{ id: 's-27' }]);
    expect((await list('ld1.debugger.junk')).status).toBe(401);
    expect((await list(deriveToken(secret, 'lambda', 'fn-27'))).status).toBe(401);

    // Once fn-27 has neither sessions nor waiting debuggers, its token lists nothing.
    proxies[27]?.end('s-27');
    await waitFor(() => test.broker.sessions().length === 39, 'the session of fn-27 to end');
    expect((await list(deriveToken(secret, 'debugger', 'fn-27'))).status).toBe(401);
    expect((await list(deriveToken(secret, 'debugger', 'fn-3'))).body).toMatchObject([{ id: 's-3' }]);
  });
});
