import type { InvokeResult } from '@lambda-debug/lambda-emulator';
import { describe, expect, it } from 'vitest';
import type { LocalDebugReady } from './local-debug.js';
import {
  formatDuration,
  formatInvokeResult,
  formatLocalDebugReady,
  resultLine,
} from './local-debug-output.js';
import { createPalette } from './output.js';

const plain = createPalette(false);

const ready: LocalDebugReady = {
  type: 'ready',
  functionId: 'demo-hello',
  runtime: 'nodejs20.x',
  nodeVersion: '20.20.2',
  runtimeClientVersion: '3.3.0',
  taskRoot: '/code/hello',
  handler: 'index.handler',
  waitMs: 600_000,
  timeoutMs: 900_000,
  ws: 'ws://127.0.0.1:4001/demo-hello?token=ld1.debugger.abc',
  devtools:
    'devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=127.0.0.1:4001/demo-hello?token=ld1.debugger.abc',
  inspect: {
    target: 'localhost:4002',
    ws: 'ws://127.0.0.1:4002/id/demo-hello',
    devtools:
      'devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=127.0.0.1:4002/id/demo-hello',
  },
  vscode: {
    type: 'node',
    request: 'attach',
    name: 'Lambda demo-hello (lambda-debug)',
    websocketAddress: 'ws://127.0.0.1:4001/demo-hello?token=ld1.debugger.abc',
    autoAttachChildProcesses: false,
    continueOnAttach: false,
    skipFiles: ['<node_internals>/**'],
    localRoot: '/code/hello',
    remoteRoot: '/code/hello',
  },
  broker: { lambdaPort: 4000, debuggerPort: 4001 },
};

const success: InvokeResult = {
  requestId: 'req-1',
  status: 'success',
  payload: '{"greeting":"Hello, Ada!","total":23}',
  logs: [],
  droppedLogLines: 0,
  durationMs: 5210,
  coldStart: true,
  environment: 0,
};

describe('formatDuration', () => {
  it('reads naturally from milliseconds to minutes', () => {
    expect(formatDuration(12)).toBe('12 ms');
    expect(formatDuration(1250)).toBe('1.25 s');
    expect(formatDuration(90_000)).toBe('90 s');
    expect(formatDuration(600_000)).toBe('10 minutes');
  });
});

describe('formatLocalDebugReady', () => {
  it('says where to attach every way, and what happens next', () => {
    const text = formatLocalDebugReady(ready, 'lambda-debug demo: title', 'enter', plain);
    expect(text.split('\n')[0]).toBe('lambda-debug demo: title');
    expect(text).toContain(`  ${ready.devtools}\n`);
    expect(text).toContain(`  ${ready.ws}\n`);
    expect(text).toContain('add localhost:4002');
    expect(text).toContain('`node inspect localhost:4002`');
    expect(text).toContain('"websocketAddress": "ws://127.0.0.1:4001/demo-hello?token=ld1.debugger.abc"');
    expect(text).toContain('Lambda port 4000, debugger port 4001');
    expect(text).toContain('waits up to 10 minutes for a debugger');
    expect(text).toContain('Press Enter to invoke it again, Ctrl+C to stop.');
  });

  it('tells how the run ends when there is no terminal to press Enter in', () => {
    expect(formatLocalDebugReady(ready, 't', 'once', plain)).toContain('Then lambda-debug stops');
    expect(formatLocalDebugReady(ready, 't', 'lines', plain)).toContain('Each line on standard input');
  });
});

describe('formatInvokeResult', () => {
  it('shows a response as indented JSON under its request id and timing', () => {
    expect(formatInvokeResult(success, plain)).toBe(
      'Response (request req-1, 5.21 s, cold start)\n{\n  "greeting": "Hello, Ada!",\n  "total": 23\n}',
    );
  });

  it('shows a failure with its status and error type, and a body that is not JSON as it came', () => {
    const failed: InvokeResult = {
      ...success,
      status: 'error',
      errorType: 'Runtime.UserCodeSyntaxError',
      payload: 'not json',
      coldStart: false,
      durationMs: 8,
    };
    expect(formatInvokeResult(failed, plain)).toBe(
      'The invocation failed: error, Runtime.UserCodeSyntaxError (request req-1, 8 ms)\nnot json',
    );
  });
});

describe('resultLine', () => {
  it('carries the payload exactly and leaves absent fields out', () => {
    expect(resultLine(success)).toEqual({
      type: 'result',
      requestId: 'req-1',
      status: 'success',
      payload: success.payload,
      durationMs: 5210,
      coldStart: true,
    });
  });
});
