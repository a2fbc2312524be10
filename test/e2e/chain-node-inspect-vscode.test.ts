/**
 * The clients that discover their target themselves, through the chain: `node inspect HOST:PORT` and
 * chrome://inspect-style discovery through `lambda-debug tunnel` (they cannot send a token), and VS Code's
 * attach both through the tunnel (`address`/`port`) and directly (`websocketAddress` with the token).
 */
import { startTunnel, type Tunnel } from '@lambda-debug/cli';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactDir } from '../support/artifacts.js';
import { evaluateInFrame } from '../support/cdp-debugging.js';
import { BASIC, BASIC_FIRST_STATEMENT } from '../support/chain-fixtures.js';
import { Cleanups } from '../support/cleanups.js';
import { getJson } from '../support/http-json.js';
import { DebuggableFunction, SessionEvents, successPayload } from '../support/lambda-chain.js';
import { NodeInspectCli } from '../support/node-inspect.js';
import { stopAllProcesses } from '../support/processes.js';
import { Steps } from '../support/steps.js';
import { TestBroker } from '../support/test-broker.js';
import { JsDebugStyleAttach } from '../support/vscode-attach.js';

const CHAIN_TEST_TIMEOUT_MS = 90_000;
const FUNCTION_ID = 'tunnel-fn';

let broker: TestBroker;
let sessions: SessionEvents;
let tunnel: Tunnel;
let fn: DebuggableFunction;
const cleanups = new Cleanups();

beforeAll(async () => {
  broker = await TestBroker.start();
  sessions = new SessionEvents(broker);
  tunnel = await startTunnel({
    functionId: FUNCTION_ID,
    broker: { secure: false, host: '127.0.0.1', port: broker.handle.debuggerAddress.port },
    token: broker.debuggerToken(FUNCTION_ID),
    host: '127.0.0.1',
    port: 0,
  });
  fn = await DebuggableFunction.start({ broker, functionId: FUNCTION_ID, taskRoot: BASIC.taskRoot });
});

afterEach(async () => {
  await cleanups.run();
  await stopAllProcesses();
});

afterAll(async () => {
  await fn?.close();
  await tunnel?.close();
  sessions?.close();
  await broker?.close();
  if (broker) expect(broker.leakedSecrets([FUNCTION_ID])).toEqual([]);
});

describe('node inspect and chrome://inspect discovery through the tunnel', {
  timeout: CHAIN_TEST_TIMEOUT_MS,
}, () => {
  it('chrome://inspect polls /json/version and /json/list on the tunnel and finds the waiting invocation', async () => {
    const steps = new Steps('chrome inspect discovery');
    const invocation = fn.invoke({ name: 'discovered' });
    await steps.run('the invocation registers', () => sessions.next('session-registered', FUNCTION_ID));
    const [version, list] = await steps.run('GET /json/version and /json/list on the tunnel', () =>
      Promise.all([
        getJson(`http://${tunnel.address}/json/version`),
        getJson(`http://${tunnel.address}/json/list`),
      ]),
    );
    expect(version.status).toBe(200);
    expect(version.json).not.toHaveProperty('webSocketDebuggerUrl');
    const targets = list.json as Array<{
      webSocketDebuggerUrl: string;
      type: string;
      devtoolsFrontendUrl: string;
    }>;
    expect(targets.length).toBeGreaterThanOrEqual(1);
    for (const target of targets) {
      expect(target.type).toBe('node');
      // chrome://inspect connects only to plain ws:// targets on the address it polls, and never sees a token.
      expect(target.webSocketDebuggerUrl.startsWith(`ws://${tunnel.address}/`)).toBe(true);
      expect(target.webSocketDebuggerUrl).not.toContain('token=');
    }
    const attach = await JsDebugStyleAttach.attach(
      { websocketAddress: targets[0]!.webSocketDebuggerUrl },
      steps,
    );
    cleanups.push(() => attach.connection.close());
    const entry = await attach.nextPause('the listed target pauses at the handler');
    expect(entry.line).toBe(BASIC.line(BASIC_FIRST_STATEMENT));
    await attach.continue();
    expect(successPayload(await invocation)).toMatchObject({ greeting: 'hello discovered' });
  });

  it('node inspect HOST:PORT: breakpoint, continue, print a variable, backtrace, exit', async () => {
    const steps = new Steps('node inspect through the tunnel');
    const artifacts = new ArtifactDir('chain node inspect');
    const invocation = fn.invoke({ name: 'cli' });
    await steps.run('the invocation registers', () => sessions.next('session-registered', FUNCTION_ID));
    const cli = await NodeInspectCli.attach(tunnel.address, steps, { artifacts, cwd: BASIC.taskRoot });
    cleanups.push(() => cli.stop());
    const start = await cli.waitForBreak('node inspect reports the pause at the handler');
    expect(start.file.endsWith('index.js')).toBe(true);
    expect(start.line).toBe(BASIC.line(BASIC_FIRST_STATEMENT));
    await cli.setBreakpoint('basic/index.js', BASIC.line('const size = text.length;'));
    const hit = await cli.continueToBreak('to the breakpoint in measure()');
    expect(hit).toMatchObject({ reason: 'break', line: BASIC.line('const size = text.length;') });
    expect(await cli.exec('text')).toBe("'hello cli'");
    const frames = await cli.backtrace();
    expect(frames[0]).toMatch(/^#0 measure index\.js:\d+:\d+$/);
    expect(frames[1]).toMatch(/index\.js:\d+:\d+$/);
    await cli.continueToEnd();
    const result = await steps.run('the invocation returns', () => invocation);
    expect(successPayload(result)).toMatchObject({ greeting: 'hello cli', size: 9 });
    await cli.exit();
  });
});

describe('VS Code attach', { timeout: CHAIN_TEST_TIMEOUT_MS }, () => {
  it('address/port attach through the tunnel: Break on start is the entry, a breakpoint binds and hits', async () => {
    const steps = new Steps('vscode through the tunnel');
    const invocation = fn.invoke({ name: 'vscode' });
    await steps.run('the invocation registers', () => sessions.next('session-registered', FUNCTION_ID));
    const line = BASIC.line('const size = text.length;');
    const attach = await JsDebugStyleAttach.attach(
      { address: '127.0.0.1', port: tunnel.port, breakpoints: [{ path: BASIC.file, line }] },
      steps,
    );
    cleanups.push(() => attach.connection.close());
    expect(attach.discovery?.fromVersion).toBe(false);
    const entry = await attach.nextPause('the entry pause');
    expect([entry.kind, entry.reason, entry.line]).toEqual([
      'entry',
      'Break on start',
      BASIC.line(BASIC_FIRST_STATEMENT),
    ]);
    await attach.continue();
    const hit = await attach.nextPause('pause on the breakpoint set before running');
    expect([hit.kind, hit.line, hit.functionName]).toEqual(['breakpoint', line, 'measure']);
    expect(await evaluateInFrame(attach.connection, hit, 'text')).toBe('hello vscode');
    await attach.continue();
    expect(successPayload(await invocation)).toMatchObject({ greeting: 'hello vscode', size: 12 });
    await attach.disconnect();
  });

  it('websocketAddress attach with the token, debugger first, continueOnAttach: runs to the breakpoint', async () => {
    const steps = new Steps('vscode websocketAddress debugger first');
    const line = BASIC.line('return { greeting, size');
    const attaching = JsDebugStyleAttach.attach(
      {
        websocketAddress: broker.functionWebSocketUrl(FUNCTION_ID),
        continueOnAttach: true,
        breakpoints: [{ path: BASIC.file, line }],
      },
      steps,
    );
    // The broker holds the debugger; its first burst is answered once the invocation arrives.
    const held = await steps.run('the broker holds the debugger until an invocation arrives', async () => {
      const invocation = fn.invoke({ name: 'held' });
      return { invocation, attach: await attaching };
    });
    cleanups.push(() => held.attach.connection.close());
    const hit = await held.attach.nextPause('the first pause shown is the breakpoint');
    expect([hit.kind, hit.line]).toEqual(['breakpoint', line]);
    await held.attach.continue();
    expect(successPayload(await held.invocation)).toMatchObject({ greeting: 'hello held' });
    await held.attach.disconnect();
  });
});
