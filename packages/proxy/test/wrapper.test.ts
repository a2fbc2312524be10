/**
 * The no-code-change setup under the real runtime client: the function's handler setting is the proxy's
 * wrapper and DEBUGGER_HANDLER names the original. The wrapper must find every kind of handler the runtime finds
 * (CommonJS, .mjs, .cjs, "type": "module", nested export paths), fail with the runtime's own errors when the
 * runtime would, and, with a debugger, run the handler in the child.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { InvokeResult } from '@lambda-debug/lambda-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURES,
  invokeWithDebugger,
  PROXY_ROOT,
  RUNTIMES,
  startTestBroker,
  type TestBroker,
  uniqueFunctionId,
  withLambda,
} from './support/harness.js';

/** The handler setting of the no-code-change setup (documented in the README). */
const WRAPPER_HANDLER = 'node_modules/@lambda-debug/proxy/wrapper.handler';

const FOUND = [
  ['CommonJS', 'cjs/index.handler', 'cjs'],
  ['an .mjs module', 'esm/index.handler', 'mjs'],
  ['a .cjs module', 'cjs-ext/index.handler', 'cjs-extension'],
  ['a "type": "module" package', 'typemodule/index.handler', 'type-module'],
  ['a nested export path', 'nested/lib/app.api.handlers.main', 'nested'],
] as const;

const NOT_FOUND = [
  ['a missing module', 'missing/nothing.handler'],
  ['a missing export', 'cjs/index.absent'],
  ['an export that is not a function', 'nested/lib/app.api'],
  ['a relative path', '../cjs/index.handler'],
  ['a handler string without a dot', 'cjs/index'],
  ['a syntax error', 'broken/syntax.handler'],
] as const;

/** What must match between the bare function and the wrapper: errors are compared by type and first line. */
function outcome(result: InvokeResult): {
  status: string;
  errorType?: string;
  firstLine?: string;
  payload?: string;
} {
  if (result.status === 'success') return { status: result.status, payload: result.payload };
  const body = JSON.parse(result.payload) as { errorMessage?: string };
  return {
    status: result.status,
    ...(result.errorType ? { errorType: result.errorType } : {}),
    // ImportModuleError messages end with Node's "Require stack" (which file asked): that names the loader.
    firstLine: String(body.errorMessage).split('\n')[0],
  };
}

describe.each(RUNTIMES)('the wrapper handler on %s', (runtime) => {
  let taskRoot: string;
  let broker: TestBroker;

  beforeAll(async () => {
    taskRoot = mkdtempSync(join(tmpdir(), 'lambda-debug-wrapper-'));
    cpSync(resolve(FIXTURES, 'wrapper'), taskRoot, { recursive: true });
    // The deployment package as users ship it: the proxy under node_modules in the task root.
    mkdirSync(join(taskRoot, 'node_modules', '@lambda-debug'), { recursive: true });
    symlinkSync(PROXY_ROOT, join(taskRoot, 'node_modules', '@lambda-debug', 'proxy'));
    symlinkSync(
      resolve(PROXY_ROOT, '..', 'shim-protocol'),
      join(taskRoot, 'node_modules', '@lambda-debug', 'shim-protocol'),
    );
    mkdirSync(join(taskRoot, 'broken'));
    writeFileSync(
      join(taskRoot, 'broken', 'syntax.js'),
      'exports.handler = async (event) => {\n  return { value: event.value ;\n};\n',
    );
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker.close();
    rmSync(taskRoot, { recursive: true, force: true });
  });

  it.concurrent.each(FOUND)(
    'finds %s (%s) as the runtime does, and debugs it',
    async (_label, handler, kind) => {
      const event = { value: 11 };
      const options = { requestId: 'fixed-id' };
      const bare = await withLambda({ runtime, taskRoot, handler }, (lambda) =>
        lambda.invoke(event, options),
      );
      const off = await withLambda(
        { runtime, taskRoot, handler: WRAPPER_HANDLER, env: { DEBUGGER_HANDLER: handler } },
        (lambda) => lambda.invoke(event, options),
      );
      const functionId = uniqueFunctionId(`wrapper-${runtime}-${kind}`);
      const debugged = await withLambda(
        {
          runtime,
          taskRoot,
          handler: WRAPPER_HANDLER,
          timeoutMs: 20_000,
          env: broker.lambdaEnv(functionId, { DEBUGGER_HANDLER: handler }),
        },
        (lambda) => invokeWithDebugger(lambda, broker, functionId, event, options),
      );
      expect(bare.status).toBe('success');
      expect(JSON.parse(bare.payload)).toMatchObject({ kind, value: 11 });
      expect(off.payload).toBe(bare.payload);
      expect(debugged.result.payload).toBe(bare.payload);
      const entry = debugged.debuggerClient.pauses.find((pause) => pause.reason === 'Break on start');
      expect(entry?.url).toContain(`/${handler.split('.')[0]}`);
    },
  );

  it.concurrent.each(NOT_FOUND)("fails init on %s with the runtime's own error", async (_label, handler) => {
    const bare = await withLambda({ runtime, taskRoot, handler }, (lambda) => lambda.invoke({}));
    for (const active of ['false', 'true']) {
      const wrapped = await withLambda(
        {
          runtime,
          taskRoot,
          handler: WRAPPER_HANDLER,
          env: {
            DEBUGGER_HANDLER: handler,
            ...broker.lambdaEnv(uniqueFunctionId('wrapper-error')),
            DEBUGGER_ACTIVE: active,
          },
        },
        (lambda) => lambda.invoke({}),
      );
      expect(outcome(wrapped)).toEqual(outcome(bare));
      expect(wrapped.errorType).toMatch(/^Runtime\./);
      // The runtime logs the failure as it logs its own (3.x: "Uncaught Exception", 4.x: "Init Error").
      const initLine = (result: InvokeResult) =>
        result.logs
          .find((line) => /\t(Init Error|Uncaught Exception|Unhandled Promise Rejection)\s*\t/.test(line))
          ?.split('\t')[3];
      expect(initLine(wrapped)).toBeDefined();
      expect(initLine(wrapped)).toBe(initLine(bare));
    }
  });

  it('without DEBUGGER_HANDLER, fails init saying what to set', async () => {
    const result = await withLambda({ runtime, taskRoot, handler: WRAPPER_HANDLER }, (lambda) =>
      lambda.invoke({}),
    );
    expect(result.status).toBe('error');
    expect(result.errorType).toBe('LambdaDebug.HandlerNotConfigured');
    expect(JSON.parse(result.payload).errorMessage).toMatch(/DEBUGGER_HANDLER is not set.*index\.handler/);
  });
});
