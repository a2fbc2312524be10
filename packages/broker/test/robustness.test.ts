import { connect } from 'node:net';
import { CloseCode, type SessionEvent } from '@lambda-debug/shim-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { deriveToken, startBroker } from '../src/index.js';
import { captureLogger, FakeProxy, IDLE_STATS, TestDebugger, TestScope, waitFor } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** Resolves once `ws` has received `count` pings from the broker. */
function pingsReceived(ws: WebSocket, count: number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    ws.on('ping', () => {
      seen += 1;
      if (seen === count) resolve();
    });
  });
}

/** Waits until the broker has processed everything `proxy` sent so far (it answers heartbeats in order). */
async function roundTrip(proxy: FakeProxy): Promise<void> {
  const sentAtMs = Date.now();
  proxy.send({ type: 'heartbeat', sentAtMs, reply: false });
  await proxy.control.next((message) => message.type === 'heartbeat' && message.sentAtMs === sentAtMs);
}

describe('heartbeats', () => {
  // Fast pings; a timeout long enough that a loaded machine (clients share the broker's process) never trips it.
  const fast = { heartbeatIntervalMs: 20, heartbeatTimeoutMs: 1_000 };

  it('drops a frozen Lambda and ends its session so it does not look alive', async () => {
    const test = await scope.broker({ limits: fast });
    const ended = new Promise<SessionEvent>((resolve) =>
      test.broker.events.on(
        'session',
        (event: SessionEvent) => event.type === 'session-ended' && resolve(event),
      ),
    );
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'frozen');

    // Lambda freezes the process: it stops reading, so it answers nothing.
    proxy.ws.pause();
    expect((await ended).session).toMatchObject({
      sessionId,
      state: 'ended',
      endReason: 'heartbeat-timeout',
    });
    expect((await dbg.notice()).text).toBe(
      'lambda-debug: session ended: the Lambda stopped answering (frozen or gone)',
    );
    expect(await dbg.closed).toEqual({
      code: CloseCode.LAMBDA_GONE,
      reason: 'session ended: heartbeat-timeout',
    });
    expect(test.broker.sessions()).toEqual([]);
    expect(test.capture.lines.some((line) => line.includes('proxy stopped answering heartbeats'))).toBe(true);
    // Thawed, the Lambda finds its link gone.
    proxy.ws.resume();
    expect((await proxy.closed).code).toBe(1006);
  });

  it('drops a silent debugger and tells the proxy, keeping the session for another debugger', async () => {
    const test = await scope.broker({ limits: fast });
    const proxy = await scope.proxy(test, 'quiet');
    const { sessionId } = await proxy.register();
    await scope.debugger(test, 'quiet', undefined, { autoPong: false });
    await proxy.nextControl('debugger-attached', sessionId);
    const detached = await proxy.nextControl('debugger-detached', sessionId);
    expect(detached.reason).toBe('heartbeat-timeout');
    // The proxy answers pings, so it stays, with its session waiting, for several more heartbeats.
    await pingsReceived(proxy.ws, 10);
    expect(test.broker.sessions()).toMatchObject([{ sessionId, state: 'waiting' }]);
    await scope.debugger(test, 'quiet');
    await proxy.nextControl('debugger-attached', sessionId);
  });

  it('never pings a client that looks like `node inspect`, which dies on ping frames', async () => {
    const test = await scope.broker({ limits: fast });
    const proxy = await scope.proxy(test, 'minimal');
    const { sessionId } = await proxy.register();
    // No User-Agent and no extension offer: how Node's built-in inspector client upgrades.
    const dbg = await scope.debugger(test, 'minimal', undefined, {
      perMessageDeflate: false,
      autoPong: false,
    });
    let pingsToDebugger = 0;
    dbg.ws.on('ping', () => {
      pingsToDebugger += 1;
    });
    await proxy.nextControl('debugger-attached', sessionId);
    await pingsReceived(proxy.ws, 10);
    expect(pingsToDebugger).toBe(0);
    expect(dbg.ws.readyState).toBe(WebSocket.OPEN);
    expect(test.broker.sessions()[0]?.state).toBe('attached');
  });

  it('answers application heartbeats from the proxy', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'beating');
    proxy.send({ type: 'heartbeat', sentAtMs: 1234, reply: false });
    expect(await proxy.nextControl('heartbeat')).toEqual({ type: 'heartbeat', sentAtMs: 1234, reply: true });
  });
});

describe('backpressure', () => {
  const highWaterBytes = 64 * 1024;
  const frameCount = 48;
  const pad = 'x'.repeat(512 * 1024);
  const frame = (index: number) =>
    `{"method":"HeapProfiler.addHeapSnapshotChunk","params":{"i":${index},"chunk":"${pad}"}}`;

  it('pauses a fast proxy while its debugger reads slowly, buffers a bounded amount, and loses nothing', async () => {
    const test = await scope.broker({ limits: { relayHighWaterBytes: highWaterBytes } });
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'snapshot');

    dbg.ws.pause();
    for (let index = 0; index < frameCount; index += 1) proxy.sendCdp(sessionId, frame(index));
    await waitFor(() => test.broker.stats().pausedSockets === 1, 'the proxy link to be paused');
    // What the debugger cannot take yet waits at the proxy, not in the broker.
    expect(test.broker.stats().bufferedBytes).toBeLessThan(highWaterBytes + 2 * frame(0).length);
    expect(proxy.ws.bufferedAmount).toBeGreaterThan(0);

    dbg.ws.resume();
    for (let index = 0; index < frameCount; index += 1) {
      const message = await dbg.messages.next();
      expect(message.length).toBe(frame(index).length);
      expect(message.slice(0, 80)).toBe(frame(index).slice(0, 80));
    }
    await waitFor(() => test.broker.stats().pausedSockets === 0, 'the proxy link to be resumed');
  });

  it('pauses a fast debugger while the proxy reads slowly, and loses nothing', async () => {
    const test = await scope.broker({ limits: { relayHighWaterBytes: highWaterBytes } });
    const { proxy, dbg } = await scope.attachedSession(test, 'upload');

    proxy.ws.pause();
    for (let index = 0; index < frameCount; index += 1)
      dbg.send(frame(index).replace('"method"', `"id":${index},"method"`));
    await waitFor(() => test.broker.stats().pausedSockets === 1, 'the debugger to be paused');
    expect(test.broker.stats().bufferedBytes).toBeLessThan(highWaterBytes + 2 * frame(0).length + 64);
    expect(dbg.ws.bufferedAmount).toBeGreaterThan(0);

    proxy.ws.resume();
    for (let index = 0; index < frameCount; index += 1) {
      const { payload } = await proxy.cdp.next();
      expect(payload.startsWith(`{"id":${index},"method"`)).toBe(true);
    }
    await waitFor(() => test.broker.stats().pausedSockets === 0, 'the debugger to be resumed');
  });
});

describe('limits', () => {
  it('refuses registrations beyond maxSessions with an error, and accepts again once one ends', async () => {
    const test = await scope.broker({ limits: { maxSessions: 2 } });
    const proxy = await scope.proxy(test, 'busy');
    const first = await proxy.register();
    await proxy.register();
    await expect(proxy.register({ sessionId: 'third' })).rejects.toThrow(/"code":"capacity"/);
    proxy.end(first.sessionId);
    await proxy.register({ sessionId: 'third' });
  });

  it('refuses a duplicate session id without touching the existing session', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'dupe');
    const { sessionId } = await proxy.register();
    const other = await scope.proxy(test, 'dupe');
    await expect(other.register({ sessionId })).rejects.toThrow(/"code":"duplicate-session"/);
    expect(test.broker.sessions()).toHaveLength(1);
    await scope.debugger(test, 'dupe');
    await proxy.nextControl('debugger-attached', sessionId);
  });

  it('closes a debugger beyond maxHeldDebuggers with CAPACITY', async () => {
    const test = await scope.broker({ limits: { maxHeldDebuggers: 1 } });
    await scope.debugger(test, 'popular');
    const extra = await scope.debugger(test, 'popular');
    expect((await extra.notice()).text).toContain('maxHeldDebuggers');
    expect((await extra.closed).code).toBe(CloseCode.CAPACITY);
    expect(test.broker.stats().heldDebuggers).toBe(1);
  });

  it('closes a held debugger that sends more than maxQueuedBytesPerSession with CAPACITY', async () => {
    const test = await scope.broker({ limits: { maxQueuedBytesPerSession: 1024 } });
    const dbg = await scope.debugger(test, 'chatty');
    await dbg.notice();
    dbg.send({ id: 1, method: 'Runtime.enable' });
    dbg.send({ id: 2, method: 'Runtime.evaluate', params: { expression: 'x'.repeat(2048) } });
    expect((await dbg.closed).code).toBe(CloseCode.CAPACITY);
    expect(test.broker.stats().heldDebuggers).toBe(0);
  });

  it('ends a session whose deadline passed long ago, telling both sides', async () => {
    const test = await scope.broker({
      limits: { deadlineGraceMs: 1, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 10_000 },
    });
    const proxy = await scope.proxy(test, 'overdue');
    const { sessionId } = await proxy.register({ deadlineMs: Date.now() + 50 });
    const dbg = await scope.debugger(test, 'overdue');
    await proxy.nextControl('debugger-attached', sessionId);
    expect(await proxy.nextControl('session-end', sessionId)).toMatchObject({ reason: 'deadline' });
    expect(await dbg.closed).toEqual({ code: CloseCode.DEADLINE, reason: 'session ended: deadline' });
  });
});

describe('isolation between proxy links', () => {
  it('drops CDP frames a proxy sends for a session it does not own', async () => {
    const test = await scope.broker();
    const owner = await scope.proxy(test, 'shared');
    const { sessionId } = await owner.register();
    const dbg = await scope.debugger(test, 'shared');
    await owner.nextControl('debugger-attached', sessionId);

    const intruder = await scope.proxy(test, 'shared');
    intruder.sendCdp(sessionId, '{"method":"Runtime.consoleAPICalled","params":{"forged":true}}');
    await roundTrip(intruder);
    owner.sendCdp(sessionId, '{"method":"Debugger.resumed"}');
    expect(await dbg.messages.next()).toBe('{"method":"Debugger.resumed"}');
    expect(dbg.messages.pending).toEqual([]);
  });

  it('ignores a session-end a proxy sends for a session it does not own', async () => {
    const test = await scope.broker();
    const owner = await scope.proxy(test, 'kept');
    const { sessionId } = await owner.register();
    const intruder = await scope.proxy(test, 'kept');
    intruder.end(sessionId, 'completed');
    await roundTrip(intruder);
    expect(test.broker.sessions()).toMatchObject([{ sessionId, state: 'waiting' }]);
  });
});

describe('close()', () => {
  it('ends every session with broker-shutdown, tells every peer, and leaves nothing behind', async () => {
    const test = await scope.broker();
    const { broker, secret } = test;
    const proxy = scope.track(await FakeProxy.connect(broker, secret, 'live'));
    const { sessionId } = await proxy.register();
    const attached = scope.track(await TestDebugger.attach(broker, secret, 'live'));
    await proxy.nextControl('debugger-attached', sessionId);
    const held = scope.track(await TestDebugger.attach(broker, secret, 'later'));
    await held.notice();
    const handshaking = scope.track(await FakeProxy.openAuthenticated(broker, secret, 'never-says-hello'));
    const watcher = new WebSocket(`ws://127.0.0.1:${broker.debuggerAddress.port}/admin/events`, {
      headers: { Authorization: `Bearer ${deriveToken(secret ?? '', 'admin')}` },
    });
    const watcherClosed = new Promise<number>((resolve) => watcher.once('close', resolve));
    await new Promise((resolve) => watcher.once('open', resolve));
    // A client that connected and said nothing at all.
    const idle = connect(broker.debuggerAddress.port, '127.0.0.1');
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    await new Promise((resolve) => idle.once('connect', resolve));
    await waitFor(() => broker.stats().tcpConnections === 6, 'every connection to be accepted');

    await Promise.all([broker.close(), broker.close()]);
    expect(broker.stats()).toEqual(IDLE_STATS);
    expect(await proxy.nextControl('session-end', sessionId)).toMatchObject({ reason: 'broker-shutdown' });
    expect((await proxy.closed).code).toBe(CloseCode.GOING_AWAY);
    expect((await attached.notice()).text).toBe('lambda-debug: session ended: the broker is shutting down');
    expect((await attached.closed).code).toBe(CloseCode.GOING_AWAY);
    expect((await held.closed).code).toBe(CloseCode.GOING_AWAY);
    expect((await handshaking.closed).code).toBe(CloseCode.GOING_AWAY);
    expect(await watcherClosed).toBe(CloseCode.GOING_AWAY);
    await idleClosed;
  });

  it('frees its ports: a new broker can listen on them right away', async () => {
    const { logger } = captureLogger();
    const first = await startBroker({ auth: false, lambdaPort: 0, debuggerPort: 0, logger });
    const { lambdaAddress, debuggerAddress } = first;
    await first.close();
    const second = await startBroker({
      auth: false,
      lambdaPort: lambdaAddress.port,
      debuggerPort: debuggerAddress.port,
      logger,
    });
    expect(second.debuggerAddress.port).toBe(debuggerAddress.port);
    await second.close();
  });
});
