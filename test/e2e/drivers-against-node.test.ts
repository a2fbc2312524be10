/**
 * Each debugger-client driver, validated against a plain `node --inspect` process (Node's own inspector), so a
 * failure in the lambda-debug suites is about lambda-debug, not about the driver.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactDir, REPO_ROOT } from '../support/artifacts.js';
import {
  consoleText,
  evaluateInFrame,
  localScope,
  nextPause,
  resume,
  scriptEndingWith,
} from '../support/cdp-debugging.js';
import { CriClient } from '../support/cri-client.js';
import { ChromiumBrowser } from '../support/devtools.js';
import { NodeInspectCli } from '../support/node-inspect.js';
import { type InspectedNode, startInspectedNode } from '../support/node-target.js';
import { stopAllProcesses } from '../support/processes.js';
import { lineOf } from '../support/source-lines.js';
import { Steps } from '../support/steps.js';
import { JsDebugStyleAttach } from '../support/vscode-attach.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'node-target');
const PROGRAM = path.join(FIXTURES, 'program.js');
const THROWS = path.join(FIXTURES, 'throws.js');

afterEach(async () => {
  await stopAllProcesses();
});

describe('chrome-remote-interface driver against node --inspect-brk', () => {
  it('breaks on start, binds breakpoints by URL and by regex, steps, evaluates, sets a variable, sees console and scripts', async () => {
    const steps = new Steps('cri against node');
    const target = await steps.run('start node --inspect-brk', () =>
      startInspectedNode({ script: PROGRAM, breakOnStart: true }),
    );
    const client = await steps.run('connect chrome-remote-interface', () =>
      CriClient.connect(target.webSocketDebuggerUrl),
    );
    try {
      await steps.run('enable Runtime and Debugger, run', async () => {
        await client.send('Runtime.enable');
        await client.send('Debugger.enable', {});
        await client.send('Runtime.runIfWaitingForDebugger');
      });
      const entry = await steps.run('pause at the first line', () => nextPause(client));
      expect(entry.reason).toBe('Break on start');
      const script = await steps.run('program.js appears in Debugger.scriptParsed', () =>
        scriptEndingWith(client, '/program.js'),
      );
      expect(script.url).toBe(`file://${PROGRAM}`);

      const byUrl = await steps.run('breakpoint by URL on `const total`', () =>
        client.send('Debugger.setBreakpointByUrl', {
          url: script.url,
          lineNumber: lineOf(PROGRAM, 'const total') - 1,
        }),
      );
      expect(byUrl.locations).toHaveLength(1);
      const byRegex = await steps.run('breakpoint by URL regex on `const doubled`', () =>
        client.send('Debugger.setBreakpointByUrl', {
          urlRegex: 'program\\.js$',
          lineNumber: lineOf(PROGRAM, 'const doubled') - 1,
        }),
      );
      expect(byRegex.locations).toHaveLength(1);

      await steps.run('resume', () => resume(client));
      const atTotal = await steps.run('pause on the URL breakpoint', () => nextPause(client));
      expect([atTotal.line, atTotal.functionName, atTotal.hitBreakpoints]).toEqual([
        lineOf(PROGRAM, 'const total'),
        'describeCount',
        [byUrl.breakpointId],
      ]);
      expect(await evaluateInFrame(client, atTotal, 'name + count')).toBe('lambda21');
      await steps.run('set count = 25', () =>
        client.send('Debugger.setVariableValue', {
          scopeNumber: 0,
          variableName: 'count',
          newValue: { value: 25 },
          callFrameId: atTotal.callFrames[0]!.callFrameId,
        }),
      );

      await steps.run('step into double()', () => client.send('Debugger.stepInto'));
      const inDouble = await nextPause(client);
      expect([inDouble.functionName, inDouble.line]).toEqual(['double', lineOf(PROGRAM, 'const doubled')]);
      expect(await evaluateInFrame(client, inDouble, 'value')).toBe(25);
      await steps.run('step over', () => client.send('Debugger.stepOver'));
      const afterDoubled = await nextPause(client);
      expect(afterDoubled.line).toBe(lineOf(PROGRAM, 'return doubled'));
      await steps.run('step out', () => client.send('Debugger.stepOut'));
      const backInDescribe = await nextPause(client);
      expect([backInDescribe.functionName, backInDescribe.line]).toEqual([
        'describeCount',
        lineOf(PROGRAM, 'const label'),
      ]);
      await steps.run('step over the label line', () => client.send('Debugger.stepOver'));
      const atReturn = await nextPause(client);
      expect(atReturn.line).toBe(lineOf(PROGRAM, 'return label'));
      expect((await localScope(client, atReturn)).label).toBe('lambda:50');

      const logged = client.next('Runtime.consoleAPICalled');
      await steps.run('resume to the end', () => resume(client));
      expect(consoleText(await logged)).toBe('program says lambda:50');
    } finally {
      await client.close();
      await target.stop();
    }
  });

  it('pauses at a throw with pause on exceptions', async () => {
    const steps = new Steps('cri pause on exceptions');
    const target = await startInspectedNode({ script: THROWS, breakOnStart: true });
    const client = await CriClient.connect(target.webSocketDebuggerUrl);
    try {
      await steps.run('enable, pause on all exceptions, run', async () => {
        await client.send('Debugger.enable', {});
        await client.send('Debugger.setPauseOnExceptions', { state: 'all' });
        await client.send('Runtime.runIfWaitingForDebugger');
      });
      expect((await nextPause(client)).reason).toBe('Break on start');
      await resume(client);
      const thrown = await steps.run('pause at the throw', () => nextPause(client));
      expect([thrown.reason, thrown.line]).toEqual(['exception', lineOf(THROWS, 'throw error')]);
      expect((thrown.data as { description?: string }).description).toContain(
        'failing because the test asked',
      );
    } finally {
      await client.close();
      await target.stop();
    }
  });
});

describe('node inspect driver against node --inspect-brk', () => {
  it('sets a breakpoint, continues, prints a variable, shows the backtrace and exits', async () => {
    const artifacts = new ArtifactDir('driver node inspect against node');
    const steps = new Steps('node inspect against node');
    const target = await startInspectedNode({ script: PROGRAM, breakOnStart: true });
    const cli = await NodeInspectCli.attach(target.hostPort, steps, { artifacts, cwd: FIXTURES });
    try {
      const start = await cli.waitForBreak('node inspect reports Break on start');
      expect(start).toMatchObject({ reason: 'Break on start', file: 'program.js' });
      await cli.setBreakpoint('program.js', lineOf(PROGRAM, 'const label'));
      const hit = await cli.continueToBreak('to the breakpoint');
      expect(hit).toEqual({ reason: 'break', file: 'program.js', line: lineOf(PROGRAM, 'const label') });
      expect(await cli.exec('total')).toBe('42');
      const frames = await cli.backtrace();
      expect(frames[0]).toMatch(/^#0 describeCount program\.js:\d+:\d+$/);
      expect(frames[1]).toMatch(/^#1 main program\.js:/);
      await cli.continueToEnd();
      await target.process.waitForOutput(/program says lambda:42/, 'stdout');
      await cli.exit();
    } finally {
      await cli.stop();
      await target.stop();
    }
  });
});

describe('VS Code-style attach driver against node --inspect-brk', () => {
  it('discovers through /json/list with Host: localhost, treats Break on start as the entry and binds a breakpoint', async () => {
    const steps = new Steps('vscode attach against node');
    const target = await startInspectedNode({ script: PROGRAM, breakOnStart: true });
    const line = lineOf(PROGRAM, 'const label');
    const attach = await JsDebugStyleAttach.attach(
      { address: '127.0.0.1', port: target.port, breakpoints: [{ path: PROGRAM, line }] },
      steps,
    );
    try {
      expect(attach.discovery?.fromVersion).toBe(false);
      // Node echoes the Host header into its URLs: js-debug's host fix-up is what makes the URL usable.
      const list = attach.discovery?.list as Array<{ webSocketDebuggerUrl: string }>;
      const listed = list[0]!.webSocketDebuggerUrl;
      expect(listed.startsWith('ws://localhost/')).toBe(true);
      expect(attach.discovery?.webSocketDebuggerUrl).toBe(target.webSocketDebuggerUrl);
      const entry = await attach.nextPause('entry pause');
      expect(entry.kind).toBe('entry');
      await attach.continue();
      const hit = await attach.nextPause('pause on the breakpoint');
      expect([hit.kind, hit.line, hit.functionName]).toEqual(['breakpoint', line, 'describeCount']);
      expect(await evaluateInFrame(attach.connection, hit, 'total')).toBe(42);
      await attach.continue();
    } finally {
      await attach.disconnect();
      await target.stop();
    }
  });

  it('with continueOnAttach, runs straight to the breakpoint', async () => {
    const steps = new Steps('vscode continueOnAttach against node');
    const target = await startInspectedNode({ script: PROGRAM, breakOnStart: true });
    const line = lineOf(PROGRAM, 'const doubled');
    const attach = await JsDebugStyleAttach.attach(
      {
        websocketAddress: target.webSocketDebuggerUrl,
        continueOnAttach: true,
        breakpoints: [{ path: PROGRAM, line }],
      },
      steps,
    );
    try {
      const hit = await attach.nextPause('first pause a person sees');
      expect([hit.kind, hit.line]).toEqual(['breakpoint', line]);
    } finally {
      await attach.disconnect();
      await target.stop();
    }
  });
});

describe('Chrome DevTools driver against node --inspect-brk', { timeout: 120_000 }, () => {
  let browser: ChromiumBrowser;
  let target: InspectedNode | undefined;

  beforeAll(async () => {
    browser = await ChromiumBrowser.launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('pauses, shows the file, breaks on a gutter breakpoint, shows a local in Scope and runs to the end', async () => {
    const artifacts = new ArtifactDir('driver devtools against node');
    const steps = new Steps('devtools against node');
    target = await startInspectedNode({ script: PROGRAM, breakOnStart: true });
    const url = target.webSocketDebuggerUrl.replace(/^ws:\/\//, '');
    const devtools = await browser.openDevTools(browser.devtoolsUrlForTarget(url), steps, artifacts);
    try {
      await devtools.waitForDebuggerPaused();
      await devtools.expectSourceShown('program.js');
      await devtools.setBreakpointInGutter(lineOf(PROGRAM, 'const label'));
      await devtools.pressResume('run to the breakpoint');
      await devtools.waitForPausedOnBreakpoint();
      expect(await devtools.scopeValue('total', '42')).toBe('42');
      await devtools.pressResume('run to the end');
      await steps.run('the program finishes', async () => {
        await target!.process.waitForOutput(/program says lambda:42/, 'stdout');
      });
    } finally {
      await devtools.close();
      await target.stop();
    }
  });
});
