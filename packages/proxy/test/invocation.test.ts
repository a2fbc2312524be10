/**
 * One invocation with debugging on, driven the way the runtime drives a handler, against a minimal in-test
 * broker: every fault of the issue ends in its documented outcome, and nothing is left behind.
 */
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProxyErrorType } from '../src/index.js';
import { ChildPool } from '../src/parent/child-pool.js';
import { handleInvocation, type InvocationDeps } from '../src/parent/invocation.js';
import { LambdaDebugError } from '../src/parent/proxy-errors.js';
import { CHILD_ENTRY, lambdaContext } from './support/child.js';
import { FIXTURES } from './support/harness.js';
import { type MiniBroker, type MiniLink, startMiniBroker } from './support/mini-broker.js';

const TASK_ROOT = resolve(FIXTURES, 'faults');
const TOKEN = 'ld1.lambda.test-token';

/** The object the runtime calls handlers on (4.x); its name shows in stack frames. */
class BufferedInvokeProcessor {}

interface Harness {
  readonly deps: InvocationDeps;
  readonly logs: string[];
  readonly pool: ChildPool;
  readonly stderr: string[];
  /** Resolves with the first log line (already written or to come) that matches `pattern`. */
  logLine(pattern: RegExp): Promise<string>;
}

function harness(broker: MiniBroker | undefined, handler: string, env: Record<string, string> = {}): Harness {
  const logs: string[] = [];
  const logWaiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const stderr: string[] = [];
  const errStream = new PassThrough();
  errStream.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const pool = new ChildPool();
  return {
    logs,
    pool,
    stderr,
    logLine: (pattern) => {
      const seen = logs.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolveLine) => logWaiters.push({ pattern, resolve: resolveLine }));
    },
    deps: {
      env: {
        PATH: process.env.PATH,
        LAMBDA_TASK_ROOT: TASK_ROOT,
        _HANDLER: handler,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        DEBUGGER_ACTIVE: 'true',
        DEBUGGER_FUNCTION_ID: 'fn-test',
        DEBUGGER_TOKEN: TOKEN,
        DEBUGGER_WAIT_MS: '10000',
        ...(broker ? { DEBUGGER_BROKER_ADDRESS: `127.0.0.1:${broker.port}` } : {}),
        ...env,
      },
      logSink: (level, line) => {
        const entry = `${level} ${line}`;
        logs.push(entry);
        for (const waiter of logWaiters.filter((candidate) => candidate.pattern.test(entry))) {
          logWaiters.splice(logWaiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
      },
      pool,
      childOptions: {
        entryPath: CHILD_ENTRY,
        execArgv: [],
        cwd: TASK_ROOT,
        stderr: errStream,
        stdout: new PassThrough(),
      },
    },
  };
}

/** Calls the (debuggable) handler as the 4.x runtime does. */
function invoke(h: Harness, inProcess: (event: unknown) => unknown, event: unknown, remainingMs = 30_000) {
  return handleInvocation(
    {
      target: inProcess as (...args: unknown[]) => unknown,
      thisArg: new BufferedInvokeProcessor(),
      args: [event, lambdaContext(`req-${Date.now()}`, remainingMs)],
      origin: 'seed',
      syncFrames: [],
    },
    h.deps,
  );
}

/** Attaches as a debugger that enables the domains and releases the handler, as DevTools does. */
async function attachDebugger(link: MiniLink): Promise<void> {
  await link.attach();
  link.post('Runtime.enable');
  link.post('Debugger.enable');
  link.post('Runtime.runIfWaitingForDebugger');
}

const notExpected = () => {
  throw new Error('the handler must not run in this process');
};

describe('faults before a debugger is attached: the handler runs normally', () => {
  let broker: MiniBroker;
  beforeAll(async () => {
    broker = await startMiniBroker(TOKEN);
  });
  afterAll(async () => {
    await broker.close();
  });

  it.each([
    ['DEBUGGER_BROKER_ADDRESS', { DEBUGGER_BROKER_ADDRESS: '' }],
    ['DEBUGGER_FUNCTION_ID', { DEBUGGER_FUNCTION_ID: 'not valid!' }],
    ['DEBUGGER_TOKEN', { DEBUGGER_TOKEN: '' }],
  ])('%s missing or malformed: one log line naming it', async (variable, env) => {
    const h = harness(broker, 'index.ok', env);
    await expect(invoke(h, () => 'normal run', {})).resolves.toBe('normal run');
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatch(
      new RegExp(`^error \\[lambda-debug\\] debugging is off for this invocation: .*${variable}`),
    );
  });

  it('broker unreachable: one log line, normal run', async () => {
    const h = harness(undefined, 'index.ok', { DEBUGGER_BROKER_ADDRESS: '127.0.0.1:1' });
    await expect(invoke(h, () => 'normal run', {})).resolves.toBe('normal run');
    expect(h.logs).toEqual([
      expect.stringMatching(
        /^warn .*could not reach the broker at ws:\/\/127\.0\.0\.1:1 .*connection refused.*running the handler without the debugger$/,
      ),
    ]);
  });

  it('broker slow to answer: the connect timeout applies', async () => {
    const held = new Set<import('node:net').Socket>();
    const silent = await import('node:net').then(({ createServer }) =>
      createServer((socket) => {
        held.add(socket);
        socket.on('close', () => held.delete(socket));
      }),
    );
    await new Promise<void>((ready) => silent.listen(0, '127.0.0.1', () => ready()));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const h = harness(undefined, 'index.ok', {
        DEBUGGER_BROKER_ADDRESS: `127.0.0.1:${port}`,
        DEBUGGER_CONNECT_TIMEOUT_MS: '300',
      });
      await expect(invoke(h, () => 'normal run', {})).resolves.toBe('normal run');
      expect(h.logs).toEqual([
        expect.stringMatching(/did not answer in time.*DEBUGGER_CONNECT_TIMEOUT_MS=300/),
      ]);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((closed) => silent.close(() => closed()));
    }
  });

  it('token refused: one log line naming DEBUGGER_TOKEN, never its value', async () => {
    const h = harness(broker, 'index.ok', { DEBUGGER_TOKEN: 'ld1.lambda.wrong-secret-value' });
    await expect(invoke(h, () => 'normal run', {})).resolves.toBe('normal run');
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatch(/refused DEBUGGER_TOKEN for DEBUGGER_FUNCTION_ID=fn-test .*4010/);
    expect(h.logs.join('\n')).not.toContain('wrong-secret-value');
  });

  it('no debugger within DEBUGGER_WAIT_MS: the session ends as no-debugger and the handler runs normally', async () => {
    const h = harness(broker, 'index.ok', { DEBUGGER_WAIT_MS: '200' });
    const linkPromise = broker.nextLink();
    const result = invoke(h, () => 'normal run', {});
    const link = await linkPromise;
    await expect(result).resolves.toBe('normal run');
    expect(link.registration?.requestId).toMatch(/^req-/);
    expect(await link.waitFor('session-end')).toMatchObject({ reason: 'no-debugger' });
    expect((await link.closed).code).toBe(1000);
    expect(h.logs.filter((line) => line.startsWith('info'))).toEqual([
      expect.stringMatching(/no debugger attached within 200 ms .*running the handler without the debugger/),
    ]);
    await h.pool.dispose();
  });
});

describe('a debugger attached: the handler runs in the debug child', () => {
  let broker: MiniBroker;
  const pools: ChildPool[] = [];
  beforeAll(async () => {
    broker = await startMiniBroker(TOKEN);
  });
  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.dispose();
  });
  afterAll(async () => {
    await broker.close();
  });

  function debugHarness(handler: string, env: Record<string, string> = {}): Harness {
    const h = harness(broker, handler, env);
    pools.push(h.pool);
    return h;
  }

  it('pauses before the first statement, relays CDP both ways, returns the result, and ends the session', async () => {
    const h = debugHarness('index.ok');
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, { value: 'a' });
    const link = await linkPromise;
    const repliesSeen: number[] = [];
    link.onCdp((message) => {
      if (typeof message.id === 'number') repliesSeen.push(message.id);
    });
    const paused = link.nextEvent('Debugger.paused');
    await attachDebugger(link);
    const event = await paused;
    expect(event.params.reason).toBe('Break on start');
    // The entry breakpoint is the proxy's own: neither its id nor the replies to the commands that set it
    // reach the debugger.
    expect(event.params.hitBreakpoints).toEqual([]);
    const evaluated = await link.send('Runtime.evaluate', { expression: '6 * 7', returnByValue: true });
    expect(evaluated.result).toMatchObject({ result: { value: 42 } });
    const resumed = await link.send('Debugger.resume');
    expect(resumed.result).toEqual({});
    const value = (await result) as { value: string; invocations: number; pid: number };
    expect(value).toMatchObject({ value: 'a', invocations: 1 });
    expect(value.pid).not.toBe(process.pid);
    expect(await link.waitFor('session-end')).toMatchObject({ reason: 'completed' });
    expect([...repliesSeen].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);

    // The next invocation reuses the warm child: module state carried over.
    const secondLink = broker.nextLink();
    const second = invoke(h, notExpected, { value: 'b' });
    await attachDebugger(await secondLink);
    const secondPaused = (await secondLink).nextEvent('Debugger.paused');
    await secondPaused;
    await (await secondLink).send('Debugger.resume');
    expect(await second).toMatchObject({ value: 'b', invocations: 2, pid: value.pid });
  });

  it('DEBUGGER_BREAK_ON_START=false: no pause', async () => {
    const h = debugHarness('index.ok', { DEBUGGER_BREAK_ON_START: 'false' });
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, { value: 'no pause' });
    const link = await linkPromise;
    const pauses: unknown[] = [];
    link.onCdp((message) => {
      if (message.method === 'Debugger.paused') pauses.push(message);
    });
    await attachDebugger(link);
    expect(await result).toMatchObject({ value: 'no pause' });
    expect(pauses).toEqual([]);
  });

  it('the debugger detaches while paused, no reconnect grace: the handler resumes and its result is returned', async () => {
    const h = debugHarness('index.ok', { DEBUGGER_RECONNECT_GRACE_MS: '0' });
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, { value: 'detached' });
    const link = await linkPromise;
    const paused = link.nextEvent('Debugger.paused');
    await attachDebugger(link);
    await paused;
    link.detach();
    expect(await result).toMatchObject({ value: 'detached' });
    expect(await link.waitFor('session-end')).toMatchObject({ reason: 'completed' });
    expect(h.logs.some((line) => /debugger detached \(closed\); the handler carries on/.test(line))).toBe(
      true,
    );
  });

  it('the debugger detaches while paused and attaches again within DEBUGGER_RECONNECT_GRACE_MS: the pause is still there', async () => {
    const h = debugHarness('index.ok', { DEBUGGER_RECONNECT_GRACE_MS: '60000' });
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, { value: 'returning' });
    const link = await linkPromise;
    const paused = link.nextEvent('Debugger.paused');
    await attachDebugger(link);
    const entry = await paused;
    link.detach();
    await h.logLine(
      /debugger detached \(closed\) while the handler was paused; it stays paused for up to \d+ ms/,
    );

    const pausedAgain = link.nextEvent('Debugger.paused');
    await link.attach('d-second');
    const enabled = link.send('Debugger.enable');
    const again = await pausedAgain;
    expect((await enabled).error).toBeUndefined();
    type Frame = { callFrameId: string; location: { lineNumber: number; scriptId: string } };
    const [entryTop] = entry.params.callFrames as Frame[];
    const [top] = again.params.callFrames as Frame[];
    expect(top?.location).toEqual(entryTop?.location);
    await h.logLine(/the debugger that attached again took over the paused handler/);
    // The first debugger's session is gone, and the handler is still paused for the new one.
    const evaluated = await link.send('Debugger.evaluateOnCallFrame', {
      callFrameId: top?.callFrameId,
      expression: 'event.value',
      returnByValue: true,
    });
    expect(evaluated.result).toMatchObject({ result: { value: 'returning' } });
    await link.send('Debugger.resume');
    expect(await result).toMatchObject({ value: 'returning' });
    expect(await link.waitFor('session-end')).toMatchObject({ reason: 'completed' });
  });

  it('nobody attaches again within DEBUGGER_RECONNECT_GRACE_MS: the handler resumes and its result is returned', async () => {
    const h = debugHarness('index.ok', { DEBUGGER_RECONNECT_GRACE_MS: '200' });
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, { value: 'abandoned' });
    const link = await linkPromise;
    const paused = link.nextEvent('Debugger.paused');
    await attachDebugger(link);
    await paused;
    link.detach();
    expect(await result).toMatchObject({ value: 'abandoned' });
    expect(await link.waitFor('session-end')).toMatchObject({ reason: 'completed' });
    expect(h.logs.filter((line) => /detached|attached again/.test(line))).toEqual([
      expect.stringMatching(
        /debugger detached \(closed\) while the handler was paused; it stays paused for up to 200 ms/,
      ),
      expect.stringMatching(/no debugger attached again within 200 ms \(DEBUGGER_RECONNECT_GRACE_MS\)/),
    ]);
  });

  it('the debugger detaches before the handler is paused: nothing is held, the handler runs at once', async () => {
    // A grace period as long as the test's own timeout: holding anything would fail the test.
    const h = debugHarness('index.ok', { DEBUGGER_RECONNECT_GRACE_MS: '60000' });
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, { value: 'not paused' });
    const link = await linkPromise;
    await link.attach();
    // A reply proves the bridge connection is up; the handler waits for Runtime.runIfWaitingForDebugger.
    await link.send('Debugger.enable');
    link.detach();
    expect(await result).toMatchObject({ value: 'not paused' });
    expect(h.logs).toContainEqual(
      expect.stringMatching(/debugger detached \(closed\); the handler carries on without it$/),
    );
  });

  it('the broker ends the session while paused: the handler resumes and its result is returned', async () => {
    const h = debugHarness('index.ok');
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, { value: 'shutdown' });
    const link = await linkPromise;
    const paused = link.nextEvent('Debugger.paused');
    await attachDebugger(link);
    await paused;
    link.sendControl({
      type: 'session-end',
      sessionId: link.registration?.sessionId ?? '',
      reason: 'broker-shutdown',
    });
    expect(await result).toMatchObject({ value: 'shutdown' });
  });

  it('the broker connection drops while paused: the handler resumes and its result is returned', async () => {
    const h = debugHarness('index.ok');
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, { value: 'dropped' });
    const link = await linkPromise;
    const paused = link.nextEvent('Debugger.paused');
    await attachDebugger(link);
    await paused;
    link.socket.terminate();
    expect(await result).toMatchObject({ value: 'dropped' });
    expect(
      h.logs.some((line) => /connection to the broker closed .*carries on without the debugger/.test(line)),
    ).toBe(true);
  });

  it.each([
    ['process.exit', 'index.exit', /it exited with code 3/],
    ['an uncaught exception', 'index.throwLater', /an uncaught exception: TypeError: thrown from a timer/],
    [
      'an unhandled rejection',
      'index.rejectLater',
      /an unhandled promise rejection: RangeError: nobody handles this/,
    ],
  ])(
    'the child crashes with %s: LambdaDebug.ChildCrashed, and the child is discarded',
    async (_label, handler, what) => {
      const h = debugHarness(handler, { DEBUGGER_BREAK_ON_START: 'false' });
      const linkPromise = broker.nextLink();
      const result = invoke(h, notExpected, {});
      const link = await linkPromise;
      await attachDebugger(link);
      const error = (await result.catch((caught: unknown) => caught)) as LambdaDebugError;
      expect(error).toBeInstanceOf(LambdaDebugError);
      expect(error.name).toBe(ProxyErrorType.ChildCrashed);
      expect(error.message).toMatch(what);
      expect(error.message).toMatch(/The next invocation starts a new debug process/);
      expect(await link.waitFor('session-end')).toMatchObject({ reason: 'child-crashed' });
      expect(h.pool.current).toBeUndefined();
    },
  );

  it("the child runs out of memory: the debugger gets V8's OOM pause, then LambdaDebug.ChildCrashed says so", async () => {
    const h = debugHarness('index.outOfMemory', {
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      DEBUGGER_BREAK_ON_START: 'false',
    });
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, {});
    const link = await linkPromise;
    // With a debugger attached, V8 pauses before an out-of-memory crash (as under Node's own inspector).
    const oomPause = link.nextEvent('Debugger.paused');
    await attachDebugger(link);
    expect((await oomPause).params.reason).toBe('OOM');
    link.post('Debugger.resume');
    const error = (await result.catch((caught: unknown) => caught)) as LambdaDebugError;
    expect(error.name).toBe(ProxyErrorType.ChildCrashed);
    expect(error.message).toMatch(/it ran out of memory \(its heap limit was \d+ MB\)/);
    expect(await link.waitFor('session-end')).toMatchObject({ reason: 'child-crashed' });
  });

  it('the deadline nears: the debugger is told, the session ends, LambdaDebug.DeadlineReached, the child is replaced', async () => {
    const h = debugHarness('index.spin', { DEBUGGER_DEADLINE_MARGIN_MS: '500' });
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, {}, 3_000);
    const link = await linkPromise;
    const start = link.nextEvent('Runtime.consoleAPICalled');
    const notice = link.nextEvent('Runtime.consoleAPICalled', (params) => params.type === 'warning');
    await link.attach();
    link.post('Runtime.enable');
    link.post('Runtime.runIfWaitingForDebugger');
    const error = (await result.catch((caught: unknown) => caught)) as LambdaDebugError;
    expect(error.name).toBe(ProxyErrorType.DeadlineReached);
    // First the note that opens the session, with the time left (under 3 s here: no 60 s or 10 s warning).
    expect((await start).params).toMatchObject({
      type: 'info',
      args: [{ type: 'string', value: expect.stringMatching(/^lambda-debug: invocation .*: [0-3] s left/) }],
    });
    expect(error.message).toMatch(/DEBUGGER_DEADLINE_MARGIN_MS=500 ms/);
    expect((await notice).params).toMatchObject({
      type: 'warning',
      args: [{ type: 'string', value: expect.stringMatching(/deadline/) }],
    });
    expect(await link.waitFor('session-end')).toMatchObject({ reason: 'deadline' });
    expect(h.pool.current).toBeUndefined();
  });

  it('queues what the debugger sends before the child is connected, in order', async () => {
    const h = debugHarness('index.ok');
    const linkPromise = broker.nextLink();
    const result = invoke(h, notExpected, { value: 'queued' });
    const link = await linkPromise;
    await link.attach();
    const replies: number[] = [];
    link.onCdp((message) => {
      if (typeof message.id === 'number') replies.push(message.id);
    });
    const ids = Array.from({ length: 30 }, (_, index) =>
      link.post('Runtime.evaluate', { expression: String(index) }),
    );
    link.post('Runtime.runIfWaitingForDebugger');
    expect(await result).toMatchObject({ value: 'queued' });
    expect(replies.slice(0, ids.length)).toEqual(ids);
  });
});
