/**
 * chrome-remote-interface through the whole chain: broker, proxy, child, under the real runtime client in the
 * local Lambda. Covers the debugging verbs scripts use and the session scenarios of the contract.
 */
import path from 'node:path';
import { CloseCode } from '@lambda-debug/shim-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactDir } from '../support/artifacts.js';
import { CdpConnection } from '../support/cdp-connection.js';
import {
  consoleText,
  describePause,
  enableAndRun,
  evaluateInFrame,
  localScope,
  nextPause,
  resume,
  scriptEndingWith,
} from '../support/cdp-debugging.js';
import { BASIC, BASIC_FIRST_STATEMENT, OTHER, THROWS, TYPESCRIPT_SOURCE } from '../support/chain-fixtures.js';
import { Cleanups } from '../support/cleanups.js';
import { CriClient } from '../support/cri-client.js';
import { DebuggableFunction, SessionEvents, successPayload } from '../support/lambda-chain.js';
import { lineOf } from '../support/source-lines.js';
import { Steps } from '../support/steps.js';
import { TestBroker } from '../support/test-broker.js';
import { compileTypeScriptHandler, generatedLineFor } from '../support/typescript-fixture.js';

const CHAIN_TEST_TIMEOUT_MS = 90_000;

let broker: TestBroker;
let sessions: SessionEvents;
const cleanups = new Cleanups();

beforeAll(async () => {
  broker = await TestBroker.start();
  sessions = new SessionEvents(broker);
});

afterEach(async () => {
  await cleanups.run();
});

afterAll(async () => {
  sessions?.close();
  await broker?.close();
  if (broker) {
    broker.saveLog('chain cri broker log');
    expect(broker.leakedSecrets(['cri-basic', 'cri-throws', 'cri-other', 'cri-twice', 'cri-ts'])).toEqual([]);
  }
});

async function startFunction(
  functionId: string,
  taskRoot: string,
  options: Partial<Parameters<typeof DebuggableFunction.start>[0]> = {},
): Promise<DebuggableFunction> {
  const fn = await DebuggableFunction.start({ broker, functionId, taskRoot, ...options });
  cleanups.push(() => fn.close());
  return fn;
}

async function connect(url: string): Promise<CriClient> {
  const client = await CriClient.connect(url);
  cleanups.push(() => client.close());
  return client;
}

describe('chrome-remote-interface through the chain', { timeout: CHAIN_TEST_TIMEOUT_MS }, () => {
  it('invocation first: entry pause, scripts, breakpoints by URL and regex, stepping, evaluate, set a variable, console', async () => {
    const steps = new Steps('cri invocation first');
    const fn = await startFunction('cri-basic', BASIC.taskRoot);
    const invocation = fn.invoke({ name: 'lambda' });
    await steps.run('the invocation registers with the broker', () =>
      sessions.next('session-registered', 'cri-basic'),
    );
    const client = await steps.run('connect chrome-remote-interface to the function', () =>
      connect(broker.functionWebSocketUrl('cri-basic')),
    );
    await steps.run('enable and run', () => enableAndRun(client));
    const entry = await steps.run('pause before the handler’s first statement', () => nextPause(client));
    expect(entry.url.endsWith('/basic/index.js'), describePause(entry)).toBe(true);
    expect(entry.line, describePause(entry)).toBe(BASIC.line(BASIC_FIRST_STATEMENT));

    const script = await steps.run('Debugger.scriptParsed lists the handler file', () =>
      scriptEndingWith(client, '/basic/index.js'),
    );
    const byRegex = await steps.run('breakpoint by URL regex in greet()', () =>
      client.send('Debugger.setBreakpointByUrl', {
        urlRegex: 'basic[\\\\/]index\\.js$',
        lineNumber: BASIC.line('const greeting = `hello') - 1,
      }),
    );
    const byUrl = await steps.run('breakpoint by URL on the return statement', () =>
      client.send('Debugger.setBreakpointByUrl', {
        url: script.url,
        lineNumber: BASIC.line('return { greeting, size') - 1,
      }),
    );
    expect(byRegex.locations.length + byUrl.locations.length).toBe(2);

    // The handler's own line (the proxy's notes to the debugger start with "lambda-debug:").
    const logged = client.next('Runtime.consoleAPICalled', (event) => event.type === 'log');
    await steps.run('resume to the regex breakpoint', () => resume(client));
    expect(consoleText(await steps.run('console.log reaches the debugger', () => logged))).toBe(
      'handling lambda',
    );
    const inGreet = await steps.run('pause in greet()', () => nextPause(client));
    expect([inGreet.functionName, inGreet.hitBreakpoints]).toEqual(['greet', [byRegex.breakpointId]]);
    expect(await evaluateInFrame(client, inGreet, 'name.toUpperCase()')).toBe('LAMBDA');

    await steps.run('step over', () => client.send('Debugger.stepOver'));
    expect((await nextPause(client)).line).toBe(BASIC.line('return greeting;'));
    await steps.run('step out of greet()', () => client.send('Debugger.stepOut'));
    // V8 stops at the caller's next statement (as under Node's own inspector: drivers-against-node.test.ts).
    const backInHandler = await nextPause(client);
    expect(backInHandler.line, describePause(backInHandler)).toBe(
      BASIC.line('const size = measure(greeting);'),
    );
    await steps.run('step into measure()', () => client.send('Debugger.stepInto'));
    const inMeasure = await nextPause(client);
    expect([inMeasure.functionName, inMeasure.line]).toEqual([
      'measure',
      BASIC.line('const size = text.length;'),
    ]);
    await steps.run('set text = "eight ch"', () =>
      client.send('Debugger.setVariableValue', {
        scopeNumber: 0,
        variableName: 'text',
        newValue: { value: 'eight ch' },
        callFrameId: inMeasure.callFrames[0]!.callFrameId,
      }),
    );
    await steps.run('resume to the URL breakpoint', () => resume(client));
    const atReturn = await nextPause(client);
    expect([atReturn.line, atReturn.hitBreakpoints]).toEqual([
      BASIC.line('return { greeting, size'),
      [byUrl.breakpointId],
    ]);
    const locals = await localScope(client, atReturn);
    expect([locals.greeting, locals.size]).toEqual(['hello lambda', 8]);

    await steps.run('resume to the end', () => resume(client));
    const result = await steps.run('the invocation returns', () => invocation);
    expect(successPayload(result)).toEqual({
      greeting: 'hello lambda',
      size: 8,
      requestId: result.requestId,
    });
  });

  it('debugger first: a held debugger pauses the next invocation', async () => {
    const steps = new Steps('cri debugger first');
    const fn = await startFunction('cri-basic', BASIC.taskRoot);
    const client = await steps.run('connect before any invocation', () =>
      connect(broker.functionWebSocketUrl('cri-basic')),
    );
    const ready = enableAndRun(client);
    const invocation = fn.invoke({ name: 'early bird' });
    await steps.run('the queued commands are answered once the invocation arrives', () => ready);
    const entry = await steps.run('pause before the handler’s first statement', () => nextPause(client));
    expect(entry.line, describePause(entry)).toBe(BASIC.line(BASIC_FIRST_STATEMENT));
    expect(await evaluateInFrame(client, entry, 'event.name')).toBe('early bird');
    await resume(client);
    expect(successPayload(await invocation)).toMatchObject({ greeting: 'hello early bird', size: 16 });
  });

  it('pause on exceptions: a throwing handler pauses at the throw, and the error reaches Lambda unchanged', async () => {
    const steps = new Steps('cri exceptions');
    const fn = await startFunction('cri-throws', THROWS.taskRoot);
    const invocation = fn.invoke({ quantity: 1 });
    await sessions.next('session-registered', 'cri-throws');
    const client = await connect(broker.functionWebSocketUrl('cri-throws'));
    await steps.run('pause on all exceptions, enable and run', async () => {
      await Promise.all([
        client.send('Debugger.enable', {}),
        client.send('Debugger.setPauseOnExceptions', { state: 'all' }),
      ]);
      await enableAndRun(client);
    });
    await steps.run('entry pause', () => nextPause(client));
    await resume(client);
    const thrown = await steps.run('pause at the throw', () => nextPause(client));
    // V8 reports a throw inside an async function as a promise rejection, as it does under `node --inspect`.
    expect(['exception', 'promiseRejection']).toContain(thrown.reason);
    expect([thrown.line, thrown.functionName]).toEqual([THROWS.line('throw problem;'), 'validate']);
    expect((thrown.data as { description?: string }).description).toContain('TypeError: order has no id');
    await resume(client);
    const result = await steps.run('the invocation fails as the bare handler would', () => invocation);
    expect([result.status, result.errorType]).toEqual(['error', 'TypeError']);
    expect(JSON.parse(result.payload)).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'order has no id',
    });
  });

  it('two functions, each with its own debugger, paused at the same time', async () => {
    const steps = new Steps('cri two functions');
    const [basic, other] = await Promise.all([
      startFunction('cri-basic', BASIC.taskRoot),
      startFunction('cri-other', OTHER.taskRoot),
    ]);
    const [clientA, clientB] = await Promise.all([
      connect(broker.functionWebSocketUrl('cri-basic')),
      connect(broker.functionWebSocketUrl('cri-other')),
    ]);
    const readyA = enableAndRun(clientA);
    const readyB = enableAndRun(clientB);
    const invocations = [basic.invoke({ name: 'first' }), other.invoke({ value: 21 })] as const;
    await steps.run('both debuggers are answered', () => Promise.all([readyA, readyB]));
    const [pauseA, pauseB] = await steps.run('both handlers pause', () =>
      Promise.all([nextPause(clientA), nextPause(clientB)]),
    );
    expect(pauseA.url.endsWith('/basic/index.js')).toBe(true);
    expect(pauseB.url.endsWith('/other/index.js')).toBe(true);
    expect(await evaluateInFrame(clientA, pauseA, 'event.name')).toBe('first');
    expect(await evaluateInFrame(clientB, pauseB, 'event.value')).toBe(21);
    await Promise.all([resume(clientA), resume(clientB)]);
    const [resultA, resultB] = await steps.run('both invocations return', () => Promise.all(invocations));
    expect(successPayload(resultA)).toMatchObject({ greeting: 'hello first' });
    expect(successPayload(resultB)).toEqual({ doubled: 42 });
  });

  it('two concurrent invocations of one function, each debugged by its own client', async () => {
    const steps = new Steps('cri two invocations');
    const fn = await startFunction('cri-twice', BASIC.taskRoot, { environments: 2 });
    const invocations = [fn.invoke({ name: 'one' }), fn.invoke({ name: 'two' })];
    const registered = await steps.run('both invocations register', () =>
      Promise.all([
        sessions.next('session-registered', 'cri-twice'),
        sessions.next('session-registered', 'cri-twice'),
      ]),
    );
    const sessionIds = registered.map((event) => event.session.sessionId);
    expect(new Set(sessionIds).size).toBe(2);
    const token = broker.debuggerToken('cri-twice');
    const clients = await steps.run('attach one client to each session', () =>
      Promise.all(
        sessionIds.map((id) => connect(`ws://${broker.debuggerHostPort}/cri-twice/${id}?token=${token}`)),
      ),
    );
    await Promise.all(clients.map((client) => enableAndRun(client)));
    const pauses = await steps.run('both sessions pause', () =>
      Promise.all(clients.map((client) => nextPause(client))),
    );
    const names = await Promise.all(
      pauses.map((pause, at) => evaluateInFrame(clients[at]!, pause, 'event.name')),
    );
    expect([...names].sort()).toEqual(['one', 'two']);
    await Promise.all(clients.map((client) => resume(client)));
    const results = await Promise.all(invocations);
    expect(results.map((result) => (successPayload(result) as { greeting: string }).greeting)).toEqual([
      'hello one',
      'hello two',
    ]);
  });

  it('the client disconnects while paused: the invocation completes with the right response', async () => {
    const steps = new Steps('cri disconnect while paused');
    const fn = await startFunction('cri-basic', BASIC.taskRoot);
    const invocation = fn.invoke({ name: 'abandoned' });
    await sessions.next('session-registered', 'cri-basic');
    const client = await connect(broker.functionWebSocketUrl('cri-basic'));
    await enableAndRun(client);
    await steps.run('entry pause', () => nextPause(client));
    await steps.run('set a breakpoint in measure()', () =>
      client.send('Debugger.setBreakpointByUrl', {
        urlRegex: 'basic[\\\\/]index\\.js$',
        lineNumber: BASIC.line('const size = text.length;') - 1,
      }),
    );
    await resume(client);
    await steps.run('pause on the breakpoint', () => nextPause(client));
    await steps.run('the debugger goes away while paused', () => client.close());
    const result = await steps.run('the invocation completes without the debugger', () => invocation);
    expect(successPayload(result)).toMatchObject({ greeting: 'hello abandoned', size: 15 });
  });

  it('the client reconnects within the same invocation: the paused state is visible again', async () => {
    const steps = new Steps('cri reconnect while paused');
    // The same function id as earlier tests on purpose: their events (registrations, detaches) must not reach these waits.
    const fn = await startFunction('cri-basic', BASIC.taskRoot);
    const invocation = fn.invoke({ name: 'returning' });
    const registered = await sessions.next('session-registered', 'cri-basic');
    const first = await connect(broker.functionWebSocketUrl('cri-basic'));
    await enableAndRun(first);
    const entry = await steps.run('entry pause for the first client', () => nextPause(first));
    const detached = sessions.next('debugger-detached', 'cri-basic', registered.session.sessionId);
    await steps.run('the first client drops its connection', () => first.close());
    await steps.run('the broker sees the debugger leave', () => detached);
    const sessionUrl = `ws://${broker.debuggerHostPort}/cri-basic/${registered.session.sessionId}?token=${broker.debuggerToken('cri-basic')}`;
    const second = await steps.run('a new client attaches to the same invocation', () => connect(sessionUrl));
    await steps.run('enable and run', () => enableAndRun(second));
    const again = await steps.run('the new client sees the handler paused', () => nextPause(second));
    expect(again.line, describePause(again)).toBe(entry.line);
    expect(await evaluateInFrame(second, again, 'event.name')).toBe('returning');
    await resume(second);
    expect(successPayload(await invocation)).toMatchObject({ greeting: 'hello returning' });
  });

  it('the deadline nears while paused: the debugger is told, the session ends, the invocation fails clearly', async () => {
    const steps = new Steps('cri deadline');
    const fn = await startFunction('cri-basic', BASIC.taskRoot, {
      timeoutMs: 8_000,
      deadlineMarginMs: 2_000,
    });
    const invocation = fn.invoke({ name: 'slow' });
    await sessions.next('session-registered', 'cri-basic');
    // The raw client: the close code is part of the contract and chrome-remote-interface hides it.
    const connection = await CdpConnection.open(broker.functionWebSocketUrl('cri-basic'));
    cleanups.push(() => connection.close());
    await enableAndRun(connection);
    await steps.run('entry pause', () => nextPause(connection));
    const warning = await steps.run(
      'a console message warns about the deadline',
      () => connection.next('Runtime.consoleAPICalled', (event) => /deadline|time/i.test(consoleText(event))),
      { timeoutMs: 12_000 },
    );
    expect(consoleText(warning)).toMatch(/deadline|remaining|time/i);
    const close = await steps.run('the broker closes the debugger connection', () => connection.closed);
    expect([CloseCode.DEADLINE, CloseCode.SESSION_ENDED]).toContain(close.code);
    const result = await steps.run('the invocation returns an error instead of hanging', () => invocation);
    expect(result.status).toBe('error');
    expect(result.errorType).toBe('LambdaDebug.DeadlineReached');
  });

  it('a TypeScript handler compiled with inline source maps: a breakpoint set on a .ts line binds and hits', async () => {
    const steps = new Steps('cri typescript');
    const artifacts = new ArtifactDir('chain cri typescript');
    const compiled = compileTypeScriptHandler(TYPESCRIPT_SOURCE, path.join(artifacts.path, 'task'));
    const tsLine = lineOf(compiled.tsFile, 'const total: number');
    const jsLine = generatedLineFor(compiled.jsFile, tsLine);
    const fn = await startFunction('cri-ts', compiled.taskRoot, { handler: 'handler.handler' });
    const invocation = fn.invoke({ id: 'order-7', quantity: 4 });
    await sessions.next('session-registered', 'cri-ts');
    const client = await connect(broker.functionWebSocketUrl('cri-ts'));
    await enableAndRun(client);
    await steps.run('entry pause', () => nextPause(client));
    const script = await scriptEndingWith(client, '/task/handler.js');
    expect(script.sourceMapURL, 'the compiled handler announces its source map').toMatch(
      /^data:application\/json;base64,/,
    );
    const breakpoint = await steps.run(
      `breakpoint on handler.ts:${tsLine} (handler.js:${jsLine} through the source map)`,
      () => client.send('Debugger.setBreakpointByUrl', { url: script.url, lineNumber: jsLine - 1 }),
    );
    expect(breakpoint.locations).toHaveLength(1);
    await resume(client);
    const hit = await steps.run('pause on the mapped breakpoint', () => nextPause(client));
    expect([hit.functionName, hit.line, hit.hitBreakpoints]).toEqual([
      'priceOf',
      jsLine,
      [breakpoint.breakpointId],
    ]);
    expect(await evaluateInFrame(client, hit, 'unitPrice * order.quantity')).toBe(50);
    await resume(client);
    expect(successPayload(await invocation)).toEqual({ id: 'order-7', total: 50 });
  });
});
