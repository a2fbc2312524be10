/**
 * A real debugger client (chrome-remote-interface) through the real broker, debugging a handler that runs under
 * the real runtime client: it sets a breakpoint by URL before the handler starts, is paused there, reads the
 * event on the call frame, changes a local variable, resumes, and the response shows the change.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type Protocol from 'devtools-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachDebugger,
  FIXTURES,
  RUNTIMES,
  startTestBroker,
  type TestBroker,
  uniqueFunctionId,
  withLambda,
} from './support/harness.js';

const TASK_ROOT = resolve(FIXTURES, 'session');
const HANDLER_FILE = resolve(TASK_ROOT, 'orders.js');
/** 0-based line of `const discounted = total > 100;`. */
const BREAKPOINT_LINE = 4;

describe.concurrent.each(RUNTIMES)('a debugger session on %s', (runtime) => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  it('breaks by URL in the handler, reads the event, changes a local, and the response shows it', async () => {
    const functionId = uniqueFunctionId(`session-${runtime}`);
    await withLambda(
      {
        runtime,
        taskRoot: TASK_ROOT,
        handler: 'orders.handler',
        timeoutMs: 30_000,
        env: broker.lambdaEnv(functionId),
      },
      async (lambda) => {
        // The debugger connects first and is held by the broker until the invocation arrives; like DevTools, it
        // sets its breakpoints before it releases the handler with Runtime.runIfWaitingForDebugger.
        let breakpointSet: Promise<unknown> = Promise.resolve();
        const consoleTexts: string[] = [];
        const debuggerClient = await attachDebugger(broker.debuggerUrl(functionId), {
          autoResume: false,
          setup: (client) => {
            client.on('Runtime.consoleAPICalled', (event: Protocol.Runtime.ConsoleAPICalledEvent) =>
              consoleTexts.push(String(event.args[0]?.value)),
            );
            breakpointSet = client.send('Debugger.setBreakpointByUrl', {
              lineNumber: BREAKPOINT_LINE,
              urlRegex: 'session/orders\\.js$',
            });
          },
        });
        try {
          const { client } = debuggerClient;
          const invocation = lambda.invoke({
            order: { id: 'A-1', items: [{ price: 10, quantity: 3 }] },
          });

          // First: the pause before the handler's first statement, in the handler's own file.
          const entry = await debuggerClient.nextPause();
          expect(entry.pause.reason).toBe('Break on start');
          expect(entry.pause.url).toBe(`file://${HANDLER_FILE}`);
          expect(entry.pause.lineNumber).toBe(2);
          // The debugger's console said which invocation this is and how long is left, before the handler ran.
          expect(consoleTexts[0]).toMatch(/^lambda-debug: invocation [\w-]+: \d+ s left to debug it/);
          const top = entry.event.callFrames[0] as Protocol.Debugger.CallFrame;
          const source = (await client.send('Debugger.getScriptSource', {
            scriptId: top.location.scriptId,
          })) as Protocol.Debugger.GetScriptSourceResponse;
          expect(source.scriptSource).toContain(readFileSync(HANDLER_FILE, 'utf8').split('\n')[1]);
          await client.send('Debugger.resume');

          // Then the user's breakpoint.
          const breakpoint = (await breakpointSet) as Protocol.Debugger.SetBreakpointByUrlResponse;
          const hit = await debuggerClient.nextPause();
          expect(hit.pause.reason).toBe('other');
          expect(hit.pause.hitBreakpoints).toEqual([breakpoint.breakpointId]);
          expect(hit.pause.lineNumber).toBe(BREAKPOINT_LINE);
          const frame = hit.event.callFrames[0] as Protocol.Debugger.CallFrame;
          const read = async (expression: string) =>
            (
              (await client.send('Debugger.evaluateOnCallFrame', {
                callFrameId: frame.callFrameId,
                expression,
                returnByValue: true,
              })) as Protocol.Debugger.EvaluateOnCallFrameResponse
            ).result.value;
          expect(await read('event.order.id')).toBe('A-1');
          expect(await read('total')).toBe(30);
          await client.send('Debugger.setVariableValue', {
            scopeNumber: 0,
            variableName: 'total',
            newValue: { value: 500 },
            callFrameId: frame.callFrameId,
          });
          await client.send('Debugger.resume');

          const result = await invocation;
          expect(result.status).toBe('success');
          expect(JSON.parse(result.payload)).toEqual({ id: 'A-1', total: 500, discounted: true });
          // The debugger is told the session is over.
          await debuggerClient.closed;
        } finally {
          await debuggerClient.close();
        }
      },
    );
  });
});
