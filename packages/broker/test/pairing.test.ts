import { CloseCode, type SessionEvent } from '@lambda-debug/shim-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { TestScope } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

describe('pairing a Lambda and a debugger', () => {
  it('relays CDP both ways once a debugger attaches to a waiting invocation', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'orders');
    const { sessionId } = await proxy.register();
    const dbg = await scope.debugger(test, 'orders');

    const attached = await proxy.nextControl('debugger-attached', sessionId);
    expect(attached.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    dbg.send({ id: 1, method: 'Runtime.evaluate', params: { expression: '1+1' } });
    const command = await proxy.cdp.next();
    expect(command).toEqual({
      sessionId,
      payload: '{"id":1,"method":"Runtime.evaluate","params":{"expression":"1+1"}}',
    });

    proxy.sendCdp(sessionId, '{"id":1,"result":{"result":{"type":"number","value":2}}}');
    expect(await dbg.reply(1)).toEqual({ id: 1, result: { result: { type: 'number', value: 2 } } });
    expect(test.broker.sessions()).toMatchObject([{ sessionId, functionId: 'orders', state: 'attached' }]);
  });

  it('relays payload bytes exactly as sent, including non-ASCII text and pretty-printed JSON', async () => {
    const test = await scope.broker();
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'bytes');

    const fromDebugger =
      '{\n  "id": 7,\n  "method": "Runtime.evaluate",\n  "params": {"expression": "\'é ✓ 🐛\'"}\n}';
    dbg.send(fromDebugger);
    expect((await proxy.cdp.next()).payload).toBe(fromDebugger);
    const fromLambda = '{"id":7,"result":{"result":{"type":"string","value":"é ✓ 🐛 \\u0000"}}}';
    proxy.sendCdp(sessionId, fromLambda);
    expect(await dbg.messages.next()).toBe(fromLambda);
  });

  it('holds a debugger that arrives first, tells it so, and attaches it to the next invocation', async () => {
    const test = await scope.broker();
    const dbg = await scope.debugger(test, 'early');
    expect(await dbg.notice()).toEqual({
      type: 'log',
      text: 'lambda-debug: waiting for an invocation of early…',
    });
    expect(test.broker.stats().heldDebuggers).toBe(1);

    const proxy = await scope.proxy(test, 'early');
    const { sessionId } = await proxy.register();
    await proxy.nextControl('debugger-attached', sessionId);
    expect(test.broker.stats().heldDebuggers).toBe(0);
    dbg.send({ id: 1, method: 'Debugger.enable' });
    expect((await proxy.cdp.next()).payload).toBe('{"id":1,"method":"Debugger.enable"}');
  });

  it('does not attach a held debugger to another function', async () => {
    const test = await scope.broker();
    const dbg = await scope.debugger(test, 'mine');
    await dbg.notice();
    const other = await scope.proxy(test, 'theirs');
    const { sessionId } = await other.register();
    const mine = await scope.proxy(test, 'mine');
    const own = await mine.register();
    await mine.nextControl('debugger-attached', own.sessionId);
    expect(other.control.pending.filter((message) => message.type === 'debugger-attached')).toEqual([]);
    expect(test.broker.sessions().find((session) => session.sessionId === sessionId)?.state).toBe('waiting');
  });

  it('gives a debugger that reconnects during the invocation the same session back', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'flaky');
    const first = await proxy.register();
    const dbg = await scope.debugger(test, 'flaky');
    await proxy.nextControl('debugger-attached', first.sessionId);
    // A second invocation registers while the first is being debugged.
    const second = await proxy.register();

    await dbg.close();
    const detached = await proxy.nextControl('debugger-detached', first.sessionId);
    expect(detached.reason).toBe('closed');

    const again = await scope.debugger(test, 'flaky');
    const reattached = await proxy.nextControl('debugger-attached');
    expect(reattached.sessionId).toBe(first.sessionId);
    again.send({ id: 2, method: 'Runtime.enable' });
    expect(await proxy.cdp.next()).toEqual({
      sessionId: first.sessionId,
      payload: '{"id":2,"method":"Runtime.enable"}',
    });
    expect(test.broker.sessions().find((session) => session.sessionId === second.sessionId)?.state).toBe(
      'waiting',
    );
  });

  it('reattaches through /<fn>/<sessionId> to exactly that session', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'exact');
    const older = await proxy.register();
    const newer = await proxy.register();
    const dbg = await scope.debugger(test, 'exact', newer.sessionId);
    expect((await proxy.nextControl('debugger-attached')).sessionId).toBe(newer.sessionId);
    dbg.send({ id: 3, method: 'Debugger.pause' });
    expect((await proxy.cdp.next()).sessionId).toBe(newer.sessionId);
    expect(test.broker.sessions().find((s) => s.sessionId === older.sessionId)?.state).toBe('waiting');
  });

  it('lets a debugger take over a session by id, telling the one it replaces', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'takeover');
    const { sessionId } = await proxy.register();
    const first = await scope.debugger(test, 'takeover', sessionId);
    const firstAttach = await proxy.nextControl('debugger-attached', sessionId);

    const second = await scope.debugger(test, 'takeover', sessionId);
    expect(await first.notice()).toEqual({
      type: 'warning',
      text: 'lambda-debug: another debugger took over this session',
    });
    expect(await first.closed).toEqual({ code: CloseCode.REPLACED, reason: 'replaced by another debugger' });
    const detached = await proxy.nextControl('debugger-detached', sessionId);
    expect(detached).toMatchObject({ debuggerId: firstAttach.debuggerId, reason: 'replaced' });
    const secondAttach = await proxy.nextControl('debugger-attached', sessionId);
    expect(secondAttach.debuggerId).not.toBe(firstAttach.debuggerId);
    second.send({ id: 1, method: 'Runtime.enable' });
    expect((await proxy.cdp.next()).payload).toBe('{"id":1,"method":"Runtime.enable"}');
  });

  it('closes a debugger asking for a session that does not exist with SESSION_NOT_FOUND', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'known');
    await proxy.register();
    const dbg = await scope.debugger(test, 'known', 'no-such-session');
    expect((await dbg.notice()).text).toContain('has ended or never existed');
    expect(await dbg.closed).toEqual({ code: CloseCode.SESSION_NOT_FOUND, reason: 'session not found' });
  });

  it('does not let a session id reach another function’s session', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'owner');
    const { sessionId } = await proxy.register();
    const dbg = await scope.debugger(test, 'intruder', sessionId);
    expect((await dbg.closed).code).toBe(CloseCode.SESSION_NOT_FOUND);
    expect(test.broker.sessions()[0]?.state).toBe('waiting');
  });

  it('tells the debugger when the invocation finishes and closes it with NORMAL', async () => {
    const test = await scope.broker();
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'done');
    proxy.end(sessionId, 'completed');
    expect(await dbg.notice()).toEqual({
      type: 'warning',
      text: 'lambda-debug: session ended: the invocation finished',
    });
    expect(await dbg.closed).toEqual({ code: CloseCode.NORMAL, reason: 'session ended: completed' });
  });

  it.each([
    ['deadline', CloseCode.DEADLINE],
    ['child-crashed', CloseCode.SESSION_ENDED],
    ['proxy-error', CloseCode.SESSION_ENDED],
  ] as const)('closes the debugger of a session ended with %s with code %i', async (reason, code) => {
    const test = await scope.broker();
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'ends');
    proxy.end(sessionId, reason);
    expect((await dbg.notice()).type).toBe('warning');
    expect(await dbg.closed).toEqual({ code, reason: `session ended: ${reason}` });
  });

  it('tells the debugger when the Lambda disconnects and closes it with LAMBDA_GONE', async () => {
    const test = await scope.broker();
    const { proxy, dbg } = await scope.attachedSession(test, 'gone');
    proxy.ws.terminate();
    expect((await dbg.notice()).text).toBe(
      'lambda-debug: session ended: the Lambda disconnected from the broker',
    );
    expect(await dbg.closed).toEqual({
      code: CloseCode.LAMBDA_GONE,
      reason: 'session ended: lambda-disconnected',
    });
    expect(test.broker.sessions()).toEqual([]);
  });

  it('emits one event per change, in order, with the session summary', async () => {
    const test = await scope.broker();
    const events: SessionEvent[] = [];
    test.broker.events.on('session', (event: SessionEvent) => events.push(event));
    const proxy = await scope.proxy(test, 'evented');
    const { sessionId, requestId } = await proxy.register();
    const dbg = await scope.debugger(test, 'evented');
    await proxy.nextControl('debugger-attached', sessionId);
    await dbg.close();
    await proxy.nextControl('debugger-detached', sessionId);
    proxy.end(sessionId, 'completed');
    await new Promise<void>((resolve) => {
      test.broker.events.on('session', (event: SessionEvent) => event.type === 'session-ended' && resolve());
    });
    expect(events.map((event) => [event.type, event.session.state])).toEqual([
      ['session-registered', 'waiting'],
      ['debugger-attached', 'attached'],
      ['debugger-detached', 'waiting'],
      ['session-ended', 'ended'],
    ]);
    expect(events[1]?.session).toMatchObject({
      sessionId,
      requestId,
      functionId: 'evented',
      runtime: 'nodejs20.x',
    });
    expect(events[1]?.session.debuggerAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(events[3]?.session.endReason).toBe('completed');
  });

  it('pairs and relays even when a session event listener throws', async () => {
    const test = await scope.broker();
    test.broker.events.on('session', () => {
      throw new Error('listener bug');
    });
    const dbg = await scope.debugger(test, 'robust');
    const proxy = await scope.proxy(test, 'robust');
    const { sessionId } = await proxy.register();
    await proxy.nextControl('debugger-attached', sessionId);
    dbg.send({ id: 1, method: 'Runtime.enable' });
    expect((await proxy.cdp.next()).sessionId).toBe(sessionId);
    expect(test.capture.lines.some((line) => line.includes('a session event listener threw'))).toBe(true);
  });

  it('lets one proxy link carry several sessions at once, each with its own debugger', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'multi');
    const a = await proxy.register();
    const b = await proxy.register();
    const debuggerA = await scope.debugger(test, 'multi', a.sessionId);
    const debuggerB = await scope.debugger(test, 'multi', b.sessionId);
    await proxy.nextControl('debugger-attached', a.sessionId);
    await proxy.nextControl('debugger-attached', b.sessionId);
    proxy.sendCdp(a.sessionId, '{"method":"Debugger.paused","params":{"for":"a"}}');
    proxy.sendCdp(b.sessionId, '{"method":"Debugger.paused","params":{"for":"b"}}');
    expect(await debuggerA.messages.next()).toContain('"for":"a"');
    expect(await debuggerB.messages.next()).toContain('"for":"b"');
    expect(debuggerA.messages.pending).toEqual([]);
  });
});
