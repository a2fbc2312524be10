/**
 * The real Chrome DevTools frontend (Debian's Chromium, headless) through the whole chain. One browser and one
 * broker for the file; the tests run one after the other. Screenshots of every step land in
 * `test-artifacts/e2e/<test>/`.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactDir } from '../support/artifacts.js';
import { CdpConnection, HandshakeRefused } from '../support/cdp-connection.js';
import { BASIC, OTHER, TYPESCRIPT_SOURCE } from '../support/chain-fixtures.js';
import { Cleanups } from '../support/cleanups.js';
import { ChromiumBrowser } from '../support/devtools.js';
import { getJson } from '../support/http-json.js';
import { DebuggableFunction, SessionEvents, successPayload } from '../support/lambda-chain.js';
import { lineOf } from '../support/source-lines.js';
import { Steps } from '../support/steps.js';
import { TestBroker } from '../support/test-broker.js';
import { compileTypeScriptHandler } from '../support/typescript-fixture.js';

const DEVTOOLS_TEST_TIMEOUT_MS = 120_000;
const FUNCTION_ID = 'devtools-fn';
/** A second function, in another file: DevTools keeps breakpoints per file URL in its profile. */
const OTHER_FUNCTION_ID = 'devtools-other';

let browser: ChromiumBrowser;
let broker: TestBroker;
let sessions: SessionEvents;
let fn: DebuggableFunction;
let otherFn: DebuggableFunction;
const cleanups = new Cleanups();

beforeAll(async () => {
  browser = await ChromiumBrowser.launch();
  // The DevTools page is served by Chromium itself, so it connects with Origin http://127.0.0.1:<its port>:
  // the broker accepts it only because the test says so.
  broker = await TestBroker.start({ allowedOrigins: [browser.devtoolsOrigin] });
  sessions = new SessionEvents(broker);
  fn = await DebuggableFunction.start({ broker, functionId: FUNCTION_ID, taskRoot: BASIC.taskRoot });
  otherFn = await DebuggableFunction.start({
    broker,
    functionId: OTHER_FUNCTION_ID,
    taskRoot: OTHER.taskRoot,
  });
}, 90_000);

afterEach(async () => {
  await cleanups.run();
});

afterAll(async () => {
  await fn?.close();
  await otherFn?.close();
  sessions?.close();
  await broker?.close();
  await browser?.close();
  if (broker) {
    broker.saveLog('chain devtools broker log');
    expect(broker.leakedSecrets([FUNCTION_ID, OTHER_FUNCTION_ID])).toEqual([]);
  }
});

describe('Chrome DevTools through the chain', { timeout: DEVTOOLS_TEST_TIMEOUT_MS }, () => {
  it('invocation first, opened from /json/list: pause, file, gutter breakpoint, Scope, resume, response', async () => {
    const artifacts = new ArtifactDir('chain devtools invocation first');
    const steps = new Steps('devtools invocation first');
    const invocation = fn.invoke({ name: 'devtools' });
    await steps.run('the invocation registers', () => sessions.next('session-registered', FUNCTION_ID));
    const listed = await steps.run('read the DevTools URL from /json/list', async () => {
      const list = await getJson(broker.listUrl(FUNCTION_ID));
      const [target] = list.json as Array<{ devtoolsFrontendUrl: string }>;
      if (!target) throw new Error(`no target listed: HTTP ${list.status}`);
      return target.devtoolsFrontendUrl;
    });
    const devtools = await browser.openDevTools(browser.devtoolsUrlFromFrontendUrl(listed), steps, artifacts);
    cleanups.push(() => devtools.close());
    await devtools.waitForDebuggerPaused();
    await devtools.expectSourceShown('index.js');
    const line = BASIC.line('const size = text.length;');
    await devtools.setBreakpointInGutter(line);
    await devtools.pressResume('run to the breakpoint');
    await devtools.waitForPausedOnBreakpoint();
    expect(await devtools.scopeValue('text', '"hello devtools"')).toBe('"hello devtools"');
    await devtools.pressResume('run to the end');
    const result = await steps.run('the Lambda returns the handler’s response', () => invocation);
    expect(successPayload(result)).toMatchObject({ greeting: 'hello devtools', size: 14 });
  });

  it('TypeScript with an external .map file (no sourcesContent): DevTools shows handler.ts, hits a gutter breakpoint in it, and the call stack holds only the handler', async () => {
    const artifacts = new ArtifactDir('chain devtools typescript external map');
    const steps = new Steps('devtools typescript external map');
    const compiled = compileTypeScriptHandler(
      TYPESCRIPT_SOURCE,
      path.join(artifacts.path, 'task'),
      'external',
    );
    const tsFn = await DebuggableFunction.start({
      broker,
      functionId: 'devtools-ts',
      taskRoot: compiled.taskRoot,
      handler: 'handler.handler',
    });
    cleanups.push(() => tsFn.close());
    const invocation = tsFn.invoke({ id: 'order-9', quantity: 4 });
    await steps.run('the invocation registers', () => sessions.next('session-registered', 'devtools-ts'));
    const devtools = await browser.openDevTools(
      browser.devtoolsUrlForTarget(broker.functionTarget('devtools-ts')),
      steps,
      artifacts,
    );
    cleanups.push(() => devtools.close());
    await devtools.waitForDebuggerPaused();
    // The map is a file on the Lambda's disk: DevTools can show the TypeScript only because the proxy sent it.
    await devtools.expectSourceShown('handler.ts');
    const tsLine = lineOf(compiled.tsFile, 'const total: number');
    await devtools.setBreakpointInGutter(tsLine);
    await devtools.pressResume('run to the breakpoint in handler.ts');
    await devtools.waitForPausedOnBreakpoint();
    expect(await devtools.scopeValue('unitPrice', '12.5')).toBe('12.5');
    // The Call Stack pane shows the handler's frames only: nothing of the proxy, nothing of Node's internals.
    const frames = await steps.run('the Call Stack pane lists only the handler’s frames', async () => {
      const items = devtools.page.locator('.call-frame-item');
      await items.first().waitFor({ state: 'visible' });
      return items.allTextContents();
    });
    expect(frames.join(' | ')).toMatch(/priceOf/);
    expect(frames.join(' | ')).not.toMatch(/child-runtime|child-entry|node:internal|debuggable/);
    await devtools.pressResume('run to the end');
    expect(successPayload(await invocation)).toEqual({ id: 'order-9', total: 50 });
  });

  it('debugger first: DevTools opened on the function waits, then pauses the next invocation', async () => {
    const artifacts = new ArtifactDir('chain devtools debugger first');
    const steps = new Steps('devtools debugger first');
    const attached = sessions.next('debugger-attached', OTHER_FUNCTION_ID);
    const devtools = await browser.openDevTools(
      browser.devtoolsUrlForTarget(broker.functionTarget(OTHER_FUNCTION_ID)),
      steps,
      artifacts,
    );
    cleanups.push(() => devtools.close());
    const invocation = otherFn.invoke({ value: 4 });
    await steps.run('the held DevTools is paired with the invocation', () => attached);
    await devtools.waitForDebuggerPaused();
    await devtools.expectSourceShown('index.js');
    await devtools.pressResume('run to the end');
    expect(successPayload(await invocation)).toEqual({ doubled: 8 });
  });

  it('the Origin check refuses the same page on a broker not told to accept it', async () => {
    const strict = await TestBroker.start();
    cleanups.push(() => strict.close());
    const refusal = await CdpConnection.open(strict.functionWebSocketUrl(FUNCTION_ID), {
      headers: { origin: browser.devtoolsOrigin },
    }).then(
      (connection) => connection.close().then(() => undefined),
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(HandshakeRefused);
    expect((refusal as HandshakeRefused).status).toBe(403);
  });
});
