/**
 * The races the seed broker lost, one named test each. Each sets up the interleaving on purpose with real
 * sockets, then checks that nothing was lost and nothing leaked.
 */
import { CloseCode } from '@lambda-debug/shim-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveToken } from '../src/index.js';
import {
  FakeProxy,
  getJson,
  rawExchange,
  statusOf,
  type TestBroker,
  TestDebugger,
  TestScope,
  upgradeRequest,
  waitFor,
} from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** The commands DevTools and VS Code send the moment their socket opens. */
const INITIAL_BURST = [
  'Runtime.enable',
  'Debugger.enable',
  'Debugger.setPauseOnExceptions',
  'Debugger.setAsyncCallStackDepth',
  'Profiler.enable',
  'Debugger.setBlackboxPatterns',
  'Runtime.getIsolateId',
  'Runtime.runIfWaitingForDebugger',
];

/** Opens a debugger socket and sends the burst from the `open` handler, before anything else can happen. */
async function connectWithBurst(
  test: TestBroker,
  functionId: string,
  firstId: number,
): Promise<TestDebugger> {
  const token = deriveToken(test.secret ?? '', 'debugger', functionId);
  const client = await TestDebugger.connect(test.broker, `/${functionId}`, token, {}, (opened) => {
    INITIAL_BURST.forEach((method, index) => {
      opened.send({ id: firstId + index, method });
    });
  });
  return scope.track(client);
}

describe('races the seed lost', () => {
  it('race 1: a debugger that attaches before the invocation loses neither its attach nor its first commands', async () => {
    const test = await scope.broker();
    const dbg = await connectWithBurst(test, 'cold-start', 1);
    await waitFor(() => test.broker.stats().heldDebuggers === 1, 'the debugger to be held');

    const proxy = await scope.proxy(test, 'cold-start');
    const { sessionId } = await proxy.register();
    // The proxy sees the attach before any CDP frame, then every command in the order it was sent.
    const attached = await proxy.nextControl('debugger-attached', sessionId);
    expect(attached.sessionId).toBe(sessionId);
    const received = [];
    for (const _ of INITIAL_BURST)
      received.push(JSON.parse((await proxy.cdp.next()).payload) as { method: string });
    expect(received.map((command) => command.method)).toEqual(INITIAL_BURST);

    // The child becomes ready later and answers everything; the debugger gets every reply.
    received.forEach((_, index) => {
      proxy.sendCdp(sessionId, JSON.stringify({ id: index + 1, result: {} }));
    });
    for (let id = 1; id <= INITIAL_BURST.length; id += 1)
      expect(await dbg.reply(id)).toEqual({ id, result: {} });
  });

  it('race 1 (variant): commands sent between attach and the child being ready are delivered after the attach', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'slow-child');
    const { sessionId } = await proxy.register();
    const dbg = await connectWithBurst(test, 'slow-child', 100);
    const order: string[] = [];
    await proxy.nextControl('debugger-attached', sessionId);
    order.push('attached');
    for (const _ of INITIAL_BURST) order.push(JSON.parse((await proxy.cdp.next()).payload).method as string);
    expect(order).toEqual(['attached', ...INITIAL_BURST]);
    proxy.sendCdp(sessionId, '{"id":100,"result":{}}');
    expect(await dbg.reply(100)).toEqual({ id: 100, result: {} });
  });

  it('race 2: every command of an initial burst sent right after the socket opens gets its reply', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'burst');
    proxy.autoReply = true;
    for (let round = 0; round < 20; round += 1) {
      const { sessionId } = await proxy.register();
      const dbg = await connectWithBurst(test, 'burst', 1);
      for (let id = 1; id <= INITIAL_BURST.length; id += 1) {
        expect(await dbg.reply(id)).toEqual({ id, result: { echo: INITIAL_BURST[id - 1] } });
      }
      proxy.end(sessionId, 'completed');
      expect((await dbg.closed).code).toBe(CloseCode.NORMAL);
    }
  });

  it('race 3: back-to-back warm invocations, the second registering before the first is closed, both work', async () => {
    const test = await scope.broker();
    // First invocation, on its own link, being debugged.
    const first = await scope.proxy(test, 'warm');
    const a = await first.register();
    const debuggerA = await scope.debugger(test, 'warm', a.sessionId);
    await first.nextControl('debugger-attached', a.sessionId);

    // The second invocation registers on a new link before the first link's end and close are processed.
    const second = await scope.proxy(test, 'warm');
    const b = await second.register();
    first.end(a.sessionId, 'completed');
    first.ws.close();
    expect((await debuggerA.closed).code).toBe(CloseCode.NORMAL);
    await first.closed;

    // The second session survived the first's teardown and pairs normally.
    expect(test.broker.sessions().map((session) => session.sessionId)).toEqual([b.sessionId]);
    const debuggerB = await scope.debugger(test, 'warm');
    await second.nextControl('debugger-attached', b.sessionId);
    debuggerB.send({ id: 1, method: 'Runtime.enable' });
    expect(await second.cdp.next()).toEqual({
      sessionId: b.sessionId,
      payload: '{"id":1,"method":"Runtime.enable"}',
    });
    second.sendCdp(b.sessionId, '{"id":1,"result":{}}');
    expect(await debuggerB.reply(1)).toEqual({ id: 1, result: {} });
  });

  it('race 3 (same link): a register that arrives before the previous session-end keeps both sessions apart', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'warm-link');
    const a = await proxy.register();
    const debuggerA = await scope.debugger(test, 'warm-link');
    await proxy.nextControl('debugger-attached', a.sessionId);
    const b = await proxy.register();
    proxy.end(a.sessionId, 'completed');
    expect((await debuggerA.closed).code).toBe(CloseCode.NORMAL);
    const debuggerB = await scope.debugger(test, 'warm-link');
    await proxy.nextControl('debugger-attached', b.sessionId);
    debuggerB.send({ id: 5, method: 'Debugger.resume' });
    expect((await proxy.cdp.next()).sessionId).toBe(b.sessionId);
  });

  it('race 4: an invocation that ends with no debugger leaves nothing behind, and the next one works', async () => {
    const test = await scope.broker();
    const proxy = scope.track(await FakeProxy.connect(test.broker, test.secret, 'unwatched'));
    const { sessionId } = await proxy.register();
    proxy.end(sessionId, 'no-debugger');
    await proxy.close();
    await waitFor(() => test.broker.stats().lambdaSockets === 0, 'the link to close');
    expect(test.broker.stats()).toMatchObject({ sessions: 0, heldDebuggers: 0, debuggerSockets: 0 });
    const token = deriveToken(test.secret ?? '', 'debugger', 'unwatched');
    expect(
      (await getJson(test.broker.debuggerAddress.port, `/json/list?fn=unwatched&token=${token}`)).body,
    ).toEqual([]);

    const next = await scope.proxy(test, 'unwatched');
    const again = await next.register();
    const dbg = await scope.debugger(test, 'unwatched');
    await next.nextControl('debugger-attached', again.sessionId);
    dbg.send({ id: 1, method: 'Runtime.enable' });
    expect((await next.cdp.next()).sessionId).toBe(again.sessionId);
  });

  it('race 5: a second Lambda of the same function keeps its session when the first one’s is torn down', async () => {
    const test = await scope.broker();
    const lambdaA = await scope.proxy(test, 'twin');
    const lambdaB = await scope.proxy(test, 'twin');
    const a = await lambdaA.register();
    const b = await lambdaB.register();
    const debuggerA = await scope.debugger(test, 'twin', a.sessionId);
    const debuggerB = await scope.debugger(test, 'twin', b.sessionId);
    await lambdaA.nextControl('debugger-attached', a.sessionId);
    await lambdaB.nextControl('debugger-attached', b.sessionId);

    lambdaA.ws.terminate();
    expect((await debuggerA.closed).code).toBe(CloseCode.LAMBDA_GONE);

    // B is untouched: still attached, still relaying both ways, never told anything.
    expect(test.broker.sessions()).toMatchObject([{ sessionId: b.sessionId, state: 'attached' }]);
    debuggerB.send({ id: 9, method: 'Debugger.stepOver' });
    expect(await lambdaB.cdp.next()).toEqual({
      sessionId: b.sessionId,
      payload: '{"id":9,"method":"Debugger.stepOver"}',
    });
    lambdaB.sendCdp(b.sessionId, '{"id":9,"result":{}}');
    expect(await debuggerB.reply(9)).toEqual({ id: 9, result: {} });
    expect(lambdaB.control.pending.filter((message) => message.type !== 'debugger-attached')).toEqual([]);
    expect(debuggerB.messages.pending).toEqual([]);
  });

  describe('race 6: bad input closes only the offending connection', () => {
    /** A paired session that must keep working whatever else happens. */
    async function bystander(test: TestBroker) {
      const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'bystander');
      let nextId = 1;
      return {
        async stillWorks() {
          const id = nextId++;
          dbg.send({ id, method: 'Runtime.evaluate' });
          expect((await proxy.cdp.next()).sessionId).toBe(sessionId);
          proxy.sendCdp(sessionId, JSON.stringify({ id, result: {} }));
          expect(await dbg.reply(id)).toEqual({ id, result: {} });
        },
      };
    }

    it('a non-JSON frame from a proxy', async () => {
      const test = await scope.broker();
      const other = await bystander(test);
      const bad = await scope.proxy(test, 'bad');
      bad.ws.send('this is not a frame');
      expect((await bad.closed).code).toBe(CloseCode.MALFORMED_FRAME);
      const brokenJson = await scope.proxy(test, 'bad');
      brokenJson.ws.send('{"type": "register",');
      expect((await brokenJson.closed).code).toBe(CloseCode.MALFORMED_FRAME);
      await other.stillWorks();
    });

    it('a frame of unknown type from a proxy', async () => {
      const test = await scope.broker();
      const other = await bystander(test);
      const bad = await scope.proxy(test, 'bad');
      bad.ws.send('{"type":"take-over-the-world"}');
      const closed = await bad.closed;
      expect(closed.code).toBe(CloseCode.UNKNOWN_MESSAGE);
      expect(closed.reason).toContain('take-over-the-world');
      await other.stillWorks();
    });

    it('a binary frame or an invalid CDP header from a proxy, ending its sessions with proxy-error', async () => {
      const test = await scope.broker();
      const other = await bystander(test);
      const bad = await scope.proxy(test, 'bad');
      const { sessionId } = await bad.register();
      const dbg = await scope.debugger(test, 'bad', sessionId);
      await bad.nextControl('debugger-attached', sessionId);
      bad.ws.send(Buffer.from('cdp:x\n{}'), { binary: true });
      expect((await bad.closed).code).toBe(CloseCode.MALFORMED_FRAME);
      expect(await dbg.closed).toEqual({
        code: CloseCode.SESSION_ENDED,
        reason: 'session ended: proxy-error',
      });
      const badHeader = await scope.proxy(test, 'bad');
      badHeader.ws.send('cdp:no newline and far too long a header '.repeat(10));
      expect((await badHeader.closed).code).toBe(CloseCode.MALFORMED_FRAME);
      await other.stillWorks();
    });

    it('a non-JSON or binary frame from a debugger', async () => {
      const test = await scope.broker();
      const other = await bystander(test);
      const proxy = await scope.proxy(test, 'noisy');
      const { sessionId } = await proxy.register();
      const text = await scope.debugger(test, 'noisy', sessionId);
      text.send('definitely not JSON');
      expect((await text.closed).code).toBe(CloseCode.MALFORMED_FRAME);
      expect((await proxy.nextControl('debugger-detached', sessionId)).reason).toBe('error');
      const binary = await scope.debugger(test, 'noisy', sessionId);
      binary.ws.send(Buffer.from('{"id":1}'), { binary: true });
      expect((await binary.closed).code).toBe(CloseCode.MALFORMED_FRAME);
      // The session itself lives on and can be attached again.
      expect(test.broker.sessions().find((s) => s.sessionId === sessionId)?.state).toBe('waiting');
      await other.stillWorks();
    });

    it('a header flood on the upgrade request', async () => {
      const test = await scope.broker();
      const other = await bystander(test);
      const response = await rawExchange(
        test.broker.debuggerAddress.port,
        upgradeRequest('/bystander', { Cookie: 'c'.repeat(1024 * 1024) }),
      );
      expect(statusOf(response)).toBe(431);
      await other.stillWorks();
    });

    it('a 100 MB frame, from a proxy and from a debugger', async () => {
      const test = await scope.broker();
      const other = await scope.broker();
      const hundredMegabytes = Buffer.alloc(100 * 1024 * 1024, 0x61);
      const survivor = await bystander(test);

      const proxy = await scope.proxy(test, 'huge');
      proxy.ws.send(hundredMegabytes, { binary: false });
      expect((await proxy.closed).code).toBe(CloseCode.FRAME_TOO_LARGE);

      const dbg = await scope.debugger(test, 'huge');
      dbg.ws.send(hundredMegabytes, { binary: false });
      expect((await dbg.closed).code).toBe(CloseCode.FRAME_TOO_LARGE);

      await survivor.stillWorks();
      // A broker in the same process is unaffected too.
      expect((await getJson(other.broker.debuggerAddress.port, '/json/version')).status).toBe(200);
    });
  });
});
