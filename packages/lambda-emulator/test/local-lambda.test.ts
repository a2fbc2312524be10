/**
 * The local Lambda against the real runtime client, for every runtime of the matrix. A runtime that is not
 * provisioned fails here with the provisioning message (run `npm run provision`), it is never skipped.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type InvokeResult,
  LAMBDA_RUNTIMES,
  type LambdaRuntimeName,
  type LocalLambda,
  type LocalLambdaOptions,
  startLocalLambda,
} from '@lambda-debug/lambda-emulator';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

const fixtures = join(__dirname, 'fixtures');

/** The JSON a handler returned. */
function json<T = Record<string, unknown>>(result: InvokeResult): T {
  expect(result.status, result.payload).toBe('success');
  return JSON.parse(result.payload) as T;
}

/** The error body a failed invocation carries. */
function errorBody(result: InvokeResult): { errorType?: string; errorMessage?: string; trace?: string[] } {
  return JSON.parse(result.payload);
}

/** True while a process with this pid exists. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A barrier on 127.0.0.1: each invocation connects and waits; all are released once `parties` have arrived, so
 * the test knows they ran at the same time without measuring time.
 */
async function startBarrier(parties: number): Promise<{ port: number; close: () => Promise<void> }> {
  const waiting: Socket[] = [];
  const server: Server = createServer((socket) => {
    socket.once('data', () => {
      waiting.push(socket);
      if (waiting.length === parties) for (const party of waiting) party.end('go\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each(LAMBDA_RUNTIMES)('%s', (runtime: LambdaRuntimeName) => {
  const started: LocalLambda[] = [];
  const start = async (options: Omit<LocalLambdaOptions, 'runtime'>): Promise<LocalLambda> => {
    const lambda = await startLocalLambda({ runtime, ...options });
    started.push(lambda);
    return lambda;
  };

  afterAll(async () => {
    await Promise.all(started.map((lambda) => lambda.close()));
  });

  it('runs a function with a layer and an exec wrapper from it, as Lambda does', async () => {
    // The layer is made here: a node_modules folder could not be kept in the repository's fixtures.
    const layer = mkdtempSync(join(tmpdir(), 'emulator-layer-'));
    const moduleDir = join(layer, 'nodejs', 'node_modules', 'greeting');
    mkdirSync(moduleDir, { recursive: true });
    mkdirSync(join(layer, 'bin'));
    writeFileSync(
      join(moduleDir, 'index.js'),
      "module.exports = (name) => 'hello from the layer, ' + name;\n",
    );
    // Lambda runs an exec wrapper with the runtime's bootstrap command as its arguments.
    writeFileSync(
      join(layer, 'bin', 'wrapper.sh'),
      '#!/bin/sh\nexport WRAPPED_BY="wrapper.sh with $# arguments"\nexec "$@"\n',
      { mode: 0o755 },
    );
    const lambda = await start({
      taskRoot: join(fixtures, 'layered'),
      handler: 'index.handler',
      layers: [layer],
      env: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/bin/wrapper.sh' },
    });
    const result = json<{ greeting: string; wrapped: string; handlerSetting: string; nodePath: string }>(
      await lambda.invoke({}),
    );
    expect(result.greeting).toBe('hello from the layer, layers');
    // The wrapper got the bootstrap command (node, its flags, the runtime's entry) and exec'd it.
    expect(result.wrapped).toMatch(/^wrapper\.sh with [2-9]\d* arguments$/);
    // The bootstrap reads the handler from _HANDLER when it starts, so a wrapper may change it.
    expect(result.handlerSetting).toBe('index.handler');
    expect(result.nodePath.split(':')[1]).toMatch(/\/nodejs\/node_modules$/);
    rmSync(layer, { recursive: true, force: true });
  });

  describe('a CommonJS handler in one warm runtime process', () => {
    let lambda: LocalLambda;
    const liveLines: string[] = [];
    let starting: Promise<LocalLambda> | undefined;

    // Started by the first test that runs, not in beforeAll: a runtime that is not provisioned then fails every
    // test with the provisioning message instead of marking them skipped.
    beforeEach(async () => {
      starting ??= start({
        taskRoot: join(fixtures, 'cjs'),
        handler: 'index.handler',
        functionName: 'emulator-test',
        memoryMb: 256,
        env: { DEBUGGER_ACTIVE: 'false', CUSTOM_SETTING: 'on' },
        onLog: (line) => liveLines.push(line),
      });
      lambda = await starting;
    });

    it('returns what the handler returned, cold first and warm after', async () => {
      const first = await lambda.invoke({ action: 'echo', n: 1 });
      const second = await lambda.invoke({ action: 'echo', n: 2 });
      expect(json(first)).toMatchObject({ event: { action: 'echo', n: 1 } });
      expect(first.coldStart).toBe(true);
      expect(first.initDurationMs).toBeGreaterThanOrEqual(0);
      // A managed runtime writes nothing of its own while it starts (no "Executing ..." banner).
      expect(first.logs).toEqual([]);
      expect(second.coldStart).toBe(false);
      expect(second.initDurationMs).toBeUndefined();
      expect(json(second).pid).toBe(json(first).pid);
      expect(first.functionError).toBeUndefined();
      expect(second.requestId).not.toBe(first.requestId);
    });

    it('gives the handler a context that matches the invocation and a deadline it can read', async () => {
      const result = await lambda.invoke(
        { action: 'context' },
        {
          timeoutMs: 5000,
          requestId: 'ctx-request-1',
          clientContext: { custom: { feature: 'x' }, env: { platform: 'test' } },
          identity: { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' },
          tenantId: 'tenant-9',
        },
      );
      const context = json<{
        now: number;
        remaining: number;
        [field: string]: unknown;
      }>(result);
      expect(result.requestId).toBe('ctx-request-1');
      expect(context).toMatchObject({
        functionName: 'emulator-test',
        functionVersion: '$LATEST',
        memoryLimitInMB: '256',
        invokedFunctionArn: lambda.functionArn,
        awsRequestId: 'ctx-request-1',
        logGroupName: '/aws/lambda/emulator-test',
        clientContext: { custom: { feature: 'x' }, env: { platform: 'test' } },
        identity: { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' },
        tenantId: 'tenant-9',
      });
      // aws-lambda-ric 4.x (nodejs24.x) has no callbacks, so its context has no callbackWaitsForEmptyEventLoop.
      expect(context.callbackWaitsForEmptyEventLoop).toBe(runtime === 'nodejs24.x' ? undefined : true);
      expect(lambda.functionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:emulator-test');
      expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
      expect(context.traceId).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
      // getRemainingTimeInMillis() is computed from the deadline header: "now + remaining" is that deadline.
      expect(result.deadlineMs).toBeDefined();
      expect(Math.abs(context.now + context.remaining - (result.deadlineMs ?? 0))).toBeLessThanOrEqual(5);
      expect(context.remaining).toBeGreaterThan(0);
      expect(context.remaining).toBeLessThanOrEqual(5000);
    });

    it('runs the process with the environment and Node flags Lambda uses', async () => {
      const { env, execArgv, cwd, version } = json<{
        env: Record<string, string>;
        execArgv: string[];
        cwd: string;
        version: string;
      }>(await lambda.invoke({ action: 'environment' }));
      expect(env).toMatchObject({
        AWS_LAMBDA_FUNCTION_NAME: 'emulator-test',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
        LAMBDA_TASK_ROOT: join(fixtures, 'cjs'),
        _HANDLER: 'index.handler',
        AWS_REGION: 'us-east-1',
        AWS_LAMBDA_RUNTIME_API: lambda.runtimeApiAddress,
        DEBUGGER_ACTIVE: 'false',
        CUSTOM_SETTING: 'on',
      });
      expect(cwd).toBe(join(fixtures, 'cjs'));
      expect(version).toBe(`v${lambda.installation.nodeVersion}`);
      expect(version.startsWith(`v${runtime.slice(6, 8)}.`)).toBe(true);
      expect(execArgv).toContain('--no-experimental-require-module');
      expect(execArgv).toContain('--max-old-space-size=252');
      expect(execArgv).toContain('--expose-gc');
    });

    it('keeps the lines each invocation wrote with that invocation, and passes every line on live', async () => {
      const first = await lambda.invoke({ action: 'log', lines: ['one', 'two'], errorLine: 'to stderr' });
      const second = await lambda.invoke({ action: 'log', lines: ['three'], errorLine: 'again' });
      expect(first.payload).toBe('"logged"');
      const firstMessages = first.logs.map((line) => line.split('\t').slice(1));
      expect(firstMessages).toEqual([
        [first.requestId, 'INFO', 'one'],
        [first.requestId, 'INFO', 'two'],
        [first.requestId, 'ERROR', 'to stderr'],
      ]);
      expect(second.logs.map((line) => line.split('\t').slice(1))).toEqual([
        [second.requestId, 'INFO', 'three'],
        [second.requestId, 'ERROR', 'again'],
      ]);
      expect(first.logs[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\t/);
      for (const line of [...first.logs, ...second.logs]) expect(liveLines).toContain(line);
    });

    it('reports an error thrown by the handler with its type and trace', async () => {
      const result = await lambda.invoke({ action: 'throw', message: 'bad input' });
      expect(result.status).toBe('error');
      expect(result.functionError).toBe('Unhandled');
      expect(result.errorType).toBe('TypeError');
      expect(errorBody(result)).toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input' });
      expect(errorBody(result).trace?.[0]).toBe('TypeError: bad input');
      expect(result.logs.some((line) => line.includes('Invoke Error'))).toBe(true);
    });

    it('reports a rejected promise with its type', async () => {
      const result = await lambda.invoke({ action: 'reject', message: 'out of range' });
      expect(result.status).toBe('error');
      expect(result.errorType).toBe('RangeError');
      expect(errorBody(result)).toMatchObject({ errorType: 'RangeError', errorMessage: 'out of range' });
    });

    it('reports a thrown string as the runtime client does', async () => {
      const result = await lambda.invoke({ action: 'throw-string', message: 'just text' });
      expect(result.status).toBe('error');
      expect(errorBody(result)).toMatchObject({ errorType: 'string', errorMessage: 'just text' });
    });

    it('ends an invocation past its timeout with Lambda’s error, kills the process, and starts cold next time', async () => {
      const before = json<{ pid: number }>(await lambda.invoke({ action: 'echo' }));
      const timedOut = await lambda.invoke({ action: 'sleep-forever' }, { timeoutMs: 400 });
      expect(timedOut.status).toBe('timeout');
      expect(timedOut.functionError).toBe('Unhandled');
      expect(timedOut.errorType).toBe('Sandbox.Timedout');
      expect(JSON.parse(timedOut.payload)).toEqual({
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${timedOut.requestId} Error: Task timed out after 0.40 seconds`,
      });
      expect(isRunning(before.pid)).toBe(false);
      const after = await lambda.invoke({ action: 'echo' });
      expect(after.coldStart).toBe(true);
      expect(json(after).pid).not.toBe(before.pid);
    });

    it('reports a runtime that exits mid-invocation as Runtime.ExitError and starts cold next time', async () => {
      const before = json<{ pid: number }>(await lambda.invoke({ action: 'echo' }));
      const crashed = await lambda.invoke({ action: 'exit', code: 3 });
      expect(crashed.status).toBe('crash');
      expect(crashed.functionError).toBe('Unhandled');
      expect(JSON.parse(crashed.payload)).toEqual({
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${crashed.requestId} Error: Runtime exited with error: exit status 3`,
      });
      expect(isRunning(before.pid)).toBe(false);
      const after = await lambda.invoke({ action: 'echo' });
      expect(after.coldStart).toBe(true);
    });

    it('fails a response over 6 MB with Function.ResponseSizeTooLarge, and the runtime carries on', async () => {
      const result = await lambda.invoke({ action: 'big', bytes: 7 * 1024 * 1024 });
      expect(result.status).toBe('error');
      expect(result.errorType).toBe('Function.ResponseSizeTooLarge');
      expect(errorBody(result).errorMessage).toMatch(/^Response payload size \(\d+ bytes\) exceeded maximum/);
      expect(json(await lambda.invoke({ action: 'echo' }))).toMatchObject({ event: { action: 'echo' } });
    });

    it('refuses bad input to the Runtime API while the function runs', async () => {
      const response = await fetch(
        `http://${lambda.runtimeApiAddress}/2018-06-01/runtime/invocation/not-a-request/response`,
        { method: 'POST', body: '{}' },
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        errorMessage: 'Invalid request ID',
        errorType: 'InvalidRequestID',
      });
      expect(json(await lambda.invoke({ action: 'echo' }))).toMatchObject({ event: { action: 'echo' } });
    });
  });

  it('writes JSON log lines when the log format is JSON', async () => {
    const lambda = await start({
      taskRoot: join(fixtures, 'cjs'),
      handler: 'index.handler',
      logFormat: 'JSON',
    });
    const result = await lambda.invoke({ action: 'log', lines: ['structured'], errorLine: 'went wrong' });
    expect(result.logs.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'INFO', requestId: result.requestId, message: 'structured' }),
      expect.objectContaining({ level: 'ERROR', requestId: result.requestId, message: 'went wrong' }),
    ]);
  });

  it('runs an ES module handler from a .mjs file', async () => {
    const lambda = await start({ taskRoot: join(fixtures, 'esm'), handler: 'handler.handler' });
    const result = json(await lambda.invoke({ x: 1 }));
    expect(result).toMatchObject({ format: 'esm', event: { x: 1 } });
    expect(String(result.url)).toMatch(/\/esm\/handler\.mjs$/);
  });

  it('runs an ES module handler from a .js file of a "type": "module" package', async () => {
    const lambda = await start({ taskRoot: join(fixtures, 'type-module'), handler: 'index.handler' });
    const result = json(await lambda.invoke({ y: 2 }));
    expect(result).toMatchObject({ format: 'type-module', event: { y: 2 } });
    expect(String(result.url)).toMatch(/\/type-module\/index\.js$/);
  });

  if (runtime === 'nodejs24.x') {
    it('refuses a callback handler at init, as nodejs24.x does', async () => {
      const lambda = await start({ taskRoot: join(fixtures, 'cjs'), handler: 'callback.handler' });
      const result = await lambda.invoke({});
      expect(result.status).toBe('error');
      expect(result.errorType).toBe('Runtime.CallbackHandlerDeprecated');
      expect(result.coldStart).toBe(true);
      expect(result.deadlineMs).toBeUndefined();
    });
  } else {
    it('runs a callback handler, for a result and for an error', async () => {
      const lambda = await start({ taskRoot: join(fixtures, 'cjs'), handler: 'callback.handler' });
      const ok = await lambda.invoke({ k: 'v' });
      expect(json(ok)).toEqual({ via: 'callback', requestId: ok.requestId, event: { k: 'v' } });
      const failed = await lambda.invoke({ fail: 'callback error' });
      expect(failed.status).toBe('error');
      expect(errorBody(failed)).toMatchObject({ errorType: 'Error', errorMessage: 'callback error' });
    });
  }

  it('reports an init error on the invocation that started the init, and initialises again next time', async () => {
    const lambda = await start({ taskRoot: join(fixtures, 'init-error'), handler: 'index.handler' });
    const first = await lambda.invoke({});
    expect(first.status).toBe('error');
    expect(first.functionError).toBe('Unhandled');
    expect(first.coldStart).toBe(true);
    expect(errorBody(first)).toMatchObject({ errorType: 'Error', errorMessage: 'init failed on purpose' });
    expect(first.logs.some((line) => line.includes('init failed on purpose'))).toBe(true);
    const second = await lambda.invoke({});
    expect(second.coldStart).toBe(true);
    expect(errorBody(second).errorMessage).toBe('init failed on purpose');
  });

  it('reports a missing module as Runtime.ImportModuleError', async () => {
    const lambda = await start({ taskRoot: join(fixtures, 'cjs'), handler: 'no-such-file.handler' });
    const result = await lambda.invoke({});
    expect(result.status).toBe('error');
    expect(result.errorType).toBe('Runtime.ImportModuleError');
    expect(errorBody(result).errorMessage).toContain('no-such-file');
  });

  it('reports a missing export as Runtime.HandlerNotFound', async () => {
    const lambda = await start({ taskRoot: join(fixtures, 'cjs'), handler: 'index.nothing' });
    const result = await lambda.invoke({});
    expect(result.status).toBe('error');
    expect(result.errorType).toBe('Runtime.HandlerNotFound');
  });

  it('streams a response, and reports an error a stream ends with', async () => {
    const ok = await start({ taskRoot: join(fixtures, 'streaming'), handler: 'index.handler' });
    const streamed = await ok.invoke({ name: 'stream' });
    expect(streamed.status).toBe('success');
    expect(streamed.payload).toBe('hello stream');
    expect(streamed.responseMode).toBe('streaming');
    expect(streamed.contentType).toBe('text/plain');

    const failing = await start({ taskRoot: join(fixtures, 'streaming'), handler: 'index.failing' });
    const broken = await failing.invoke({});
    expect(broken.status).toBe('error');
    expect(broken.errorType).toBe('Error');
    expect(errorBody(broken).errorMessage).toBe('stream broke');
    expect(broken.streamedPayload).toBe('partial');
  });

  it('runs concurrent invocations in separate environments, and reuses a warm one after', async () => {
    const lambda = await start({
      taskRoot: join(fixtures, 'cjs'),
      handler: 'index.handler',
      environments: 2,
    });
    expect(lambda.runtimeApiAddresses).toHaveLength(2);
    const barrier = await startBarrier(2);
    try {
      const [a, b] = await Promise.all([
        lambda.invoke({ action: 'barrier', port: barrier.port }),
        lambda.invoke({ action: 'barrier', port: barrier.port }),
      ]);
      const pids = [json<{ pid: number }>(a).pid, json<{ pid: number }>(b).pid];
      expect(new Set(pids).size).toBe(2);
      expect(new Set([a.environment, b.environment])).toEqual(new Set([0, 1]));
      expect(a.coldStart && b.coldStart).toBe(true);
      const again = await lambda.invoke({ action: 'echo' });
      expect(again.coldStart).toBe(false);
      expect(pids).toContain(json<{ pid: number }>(again).pid);
    } finally {
      await barrier.close();
    }
  });

  it('kills its runtime processes on close, and refuses to invoke after', async () => {
    const lambda = await startLocalLambda({
      runtime,
      taskRoot: join(fixtures, 'cjs'),
      handler: 'index.handler',
    });
    const { pid } = json<{ pid: number }>(await lambda.invoke({ action: 'echo' }));
    expect(isRunning(pid)).toBe(true);
    const running = lambda.invoke({ action: 'sleep-forever' }, { timeoutMs: 60_000 }).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await lambda.close();
    expect(await running).toMatchObject({ code: 'closed' });
    expect(isRunning(pid)).toBe(false);
    await expect(lambda.invoke({ action: 'echo' })).rejects.toMatchObject({ code: 'closed' });
  });
});
