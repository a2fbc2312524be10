/**
 * Every fault of the issue under the real runtime client, on every runtime of the matrix: the function either
 * runs normally (with one log line saying why it was not debugged) or fails with a `LambdaDebug.*` error that
 * says what happened, before Lambda's own timeout; the next invocation is fine.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import type { InvokeResult, LocalLambda } from '@lambda-debug/lambda-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachDebugger,
  FIXTURES,
  invokeWithDebugger,
  RUNTIMES,
  startTestBroker,
  type TestBroker,
  uniqueFunctionId,
  withLambda,
} from './support/harness.js';

const TASK_ROOT = resolve(FIXTURES, 'session');
const HANDLER = 'faults.handler';

function proxyLines(result: InvokeResult): string[] {
  return result.logs.filter((line) => line.includes('[lambda-debug]'));
}

function body(result: InvokeResult): {
  errorType?: string;
  errorMessage?: string;
  ok?: boolean;
  pid?: number;
} {
  return JSON.parse(result.payload);
}

describe.concurrent.each(RUNTIMES)('faults on %s', (runtime) => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  function lambdaWith(
    env: Record<string, string>,
    use: (lambda: LocalLambda) => Promise<void>,
    timeoutMs = 20_000,
  ) {
    return withLambda({ runtime, taskRoot: TASK_ROOT, handler: HANDLER, timeoutMs, memoryMb: 256, env }, use);
  }

  it.concurrent.each([
    [
      'a missing DEBUGGER_TOKEN',
      (functionId: string) => ({ ...broker.lambdaEnv(functionId), DEBUGGER_TOKEN: '' }),
      /DEBUGGER_TOKEN is not set/,
    ],
    [
      'an unreachable broker',
      (functionId: string) => ({ ...broker.lambdaEnv(functionId), DEBUGGER_BROKER_ADDRESS: '127.0.0.1:1' }),
      /could not reach the broker .*connection refused/,
    ],
    [
      'a refused token',
      (functionId: string) => ({
        ...broker.lambdaEnv(functionId),
        DEBUGGER_TOKEN: 'ld1.lambda.not-the-token',
      }),
      /refused DEBUGGER_TOKEN/,
    ],
    [
      'no debugger within DEBUGGER_WAIT_MS',
      (functionId: string) => broker.lambdaEnv(functionId, { DEBUGGER_WAIT_MS: '300' }),
      /no debugger attached within 300 ms/,
    ],
  ])('%s: the handler runs normally, after one log line', async (_label, env, line) => {
    await lambdaWith(env(uniqueFunctionId(`fault-${runtime}`)), async (lambda) => {
      const result = await lambda.invoke({});
      expect(result.status).toBe('success');
      expect(body(result).ok).toBe(true);
      expect(proxyLines(result)).toEqual([expect.stringMatching(line)]);
      expect(result.logs.join('\n')).not.toContain('not-the-token');
    });
  });

  it('starts the debug child during init: it loads the handler although no invocation reached the broker', async () => {
    const probe = await startProbe();
    try {
      const childSaid = probe.nextMessage();
      const env = {
        ...broker.lambdaEnv(uniqueFunctionId(`init-${runtime}`)),
        DEBUGGER_BROKER_ADDRESS: '127.0.0.1:1',
        INIT_PROBE_PORT: String(probe.port),
      };
      await withLambda(
        { runtime, taskRoot: TASK_ROOT, handler: 'init-probe.handler', timeoutMs: 20_000, env },
        async (lambda) => {
          const result = await lambda.invoke({});
          expect(result.status).toBe('success');
          expect(proxyLines(result)).toEqual([expect.stringMatching(/could not reach the broker/)]);
          // The invocation gave up on the broker before registering, so only init can have started the child.
          const said = await childSaid;
          expect(said).toMatch(/^child \d+$/);
          expect(said).not.toBe(`child ${body(result).pid}`);
        },
      );
    } finally {
      await probe.close();
    }
  });

  it('a child that cannot load the handler fails neither init nor the invocation: it runs normally', async () => {
    const functionId = uniqueFunctionId(`init-fail-${runtime}`);
    await withLambda(
      {
        runtime,
        taskRoot: TASK_ROOT,
        handler: 'init-probe.handler',
        // Every start of the child fails here (during init, before registering, on attach): room for all three.
        timeoutMs: 20_000,
        memoryMb: 256,
        env: broker.lambdaEnv(functionId, { INIT_PROBE_FAIL_IN_CHILD: '1' }),
      },
      async (lambda) => {
        const { result } = await invokeWithDebugger(lambda, broker, functionId, {});
        expect(result.status).toBe('success');
        expect(body(result).ok).toBe(true);
        expect(proxyLines(result)).toContainEqual(
          expect.stringMatching(
            /the debug process could not start .*cannot load in the debug child.*running the handler without the debugger/,
          ),
        );
      },
    );
  });

  it('the debugger detaches while paused: after the reconnect grace the handler resumes and the result is returned', async () => {
    const functionId = uniqueFunctionId(`detach-${runtime}`);
    await lambdaWith(broker.lambdaEnv(functionId, { DEBUGGER_RECONNECT_GRACE_MS: '500' }), async (lambda) => {
      const debuggerClient = await attachDebugger(broker.debuggerUrl(functionId), { autoResume: false });
      const invocation = lambda.invoke({});
      expect((await debuggerClient.nextPause()).pause.reason).toBe('Break on start');
      await debuggerClient.close();
      const result = await invocation;
      expect(result.status).toBe('success');
      expect(body(result).ok).toBe(true);
      expect(proxyLines(result).join('\n')).toMatch(
        /debugger detached .*while the handler was paused; it stays paused for up to 500 ms/,
      );
      expect(proxyLines(result).join('\n')).toMatch(/no debugger attached again within 500 ms/);
    });
  });

  it('the broker goes away mid-session: the handler resumes and the result is returned', async () => {
    const ownBroker = await startTestBroker();
    const functionId = uniqueFunctionId(`broker-gone-${runtime}`);
    try {
      await lambdaWith(ownBroker.lambdaEnv(functionId), async (lambda) => {
        const debuggerClient = await attachDebugger(ownBroker.debuggerUrl(functionId), { autoResume: false });
        const invocation = lambda.invoke({});
        await debuggerClient.nextPause();
        await ownBroker.close();
        const result = await invocation;
        expect(result.status).toBe('success');
        expect(body(result).ok).toBe(true);
        expect(proxyLines(result).join('\n')).toMatch(
          /the broker ended the session \(broker-shutdown\)|connection to the broker closed/,
        );
        await debuggerClient.close();
      });
    } finally {
      await ownBroker.close();
    }
  });

  it('the child exits: LambdaDebug.ChildCrashed, and the next invocation runs in a new child', async () => {
    const functionId = uniqueFunctionId(`crash-${runtime}`);
    await lambdaWith(broker.lambdaEnv(functionId, { DEBUGGER_BREAK_ON_START: 'false' }), async (lambda) => {
      const first = await invokeWithDebugger(lambda, broker, functionId, {});
      const crashed = await invokeWithDebugger(lambda, broker, functionId, { exit: true });
      const after = await invokeWithDebugger(lambda, broker, functionId, {});
      expect(crashed.result.status).toBe('error');
      expect(crashed.result.errorType).toBe('LambdaDebug.ChildCrashed');
      expect(body(crashed.result).errorMessage).toMatch(
        /ended before the handler returned: it exited with code 3/,
      );
      expect(after.result.status).toBe('success');
      expect(body(after.result).pid).not.toBe(body(first.result).pid);
    });
  });

  it('the child runs out of memory: the debugger sees the OOM pause, then LambdaDebug.ChildCrashed', async () => {
    const functionId = uniqueFunctionId(`oom-${runtime}`);
    await lambdaWith(broker.lambdaEnv(functionId, { DEBUGGER_BREAK_ON_START: 'false' }), async (lambda) => {
      const { result, debuggerClient } = await invokeWithDebugger(lambda, broker, functionId, {
        hoard: true,
      });
      expect(debuggerClient.pauses.map((pause) => pause.reason)).toContain('OOM');
      expect(result.errorType).toBe('LambdaDebug.ChildCrashed');
      expect(body(result).errorMessage).toMatch(/ran out of memory/);
    });
  });

  it('the deadline nears: LambdaDebug.DeadlineReached before Lambda times out, and the next invocation is fine', async () => {
    const functionId = uniqueFunctionId(`deadline-${runtime}`);
    await lambdaWith(
      broker.lambdaEnv(functionId, { DEBUGGER_DEADLINE_MARGIN_MS: '1000', DEBUGGER_BREAK_ON_START: 'false' }),
      async (lambda) => {
        const stuck = await invokeWithDebugger(lambda, broker, functionId, { spin: true });
        expect(stuck.result.status).toBe('error');
        expect(stuck.result.errorType).toBe('LambdaDebug.DeadlineReached');
        expect(body(stuck.result).errorMessage).toMatch(
          /reached its deadline .*DEBUGGER_DEADLINE_MARGIN_MS=1000 ms/,
        );
        const after = await invokeWithDebugger(lambda, broker, functionId, {});
        expect(after.result.status).toBe('success');
      },
      4_000,
    );
  });
});

/** A TCP server on port 0 that the `init-probe` fixture reports to. */
async function startProbe(): Promise<{
  port: number;
  nextMessage(): Promise<string>;
  close(): Promise<void>;
}> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the probe server has no port');
  return {
    port: address.port,
    nextMessage: () =>
      new Promise((resolveMessage) => {
        server.once('connection', (socket) => {
          let text = '';
          socket.setEncoding('utf8');
          socket.on('data', (chunk: string) => {
            text += chunk;
          });
          socket.on('end', () => resolveMessage(text));
        });
      }),
    close: () =>
      new Promise((resolveClosed) => {
        server.close(() => resolveClosed());
      }),
  };
}
