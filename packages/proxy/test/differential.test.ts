/**
 * The differential corpus: every handler runs once bare (no debugging) and once through broker + proxy + child
 * with an auto-resuming debugger attached, on every runtime of the matrix, under the real runtime client. The
 * responses must be byte-identical and the log lines equivalent (same lines once timestamps and request ids are
 * masked, the proxy's own lines left out).
 */
import type { InvokeOptions, InvokeResult, LambdaRuntimeName } from '@lambda-debug/lambda-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptsCallbacks,
  CORPUS,
  comparableLogs,
  invokeWithDebugger,
  RUNTIMES,
  startTestBroker,
  type TestBroker,
  uniqueFunctionId,
  withLambda,
} from './support/harness.js';

interface CorpusCase {
  readonly handler: string;
  readonly events?: readonly unknown[];
  readonly invokeOptions?: InvokeOptions;
  readonly logFormat?: 'Text' | 'JSON';
  /** Callback-style handlers: nodejs24.x refuses them at init (the case then compares the init errors). */
  readonly callbackStyle?: boolean;
  /**
   * Also run on nodejs20.x. Node 20 runs the same runtime client as nodejs22.x (3.3.0), so it gets a sample of
   * every kind of case rather than the whole corpus again, which keeps the suite fast.
   */
  readonly onNode20?: boolean;
}

const TIMEOUT_MS = 20_000;

const CASES: readonly CorpusCase[] = [
  { handler: 'results.object', events: [{ value: 1, text: 'é✓' }], onNode20: true },
  { handler: 'results.undefinedResult', onNode20: true },
  { handler: 'results.nullResult' },
  { handler: 'results.zero', onNode20: true },
  { handler: 'results.emptyString' },
  { handler: 'results.falseResult' },
  { handler: 'results.negativeZero' },
  { handler: 'results.numberKeys' },
  { handler: 'results.large', events: [{}], onNode20: true },
  { handler: 'results.plainValue', events: [{ value: 'returned synchronously' }] },
  { handler: 'results.promiseReturning', events: [{ value: 7 }] },
  { handler: 'results.unserializable', onNode20: true },
  { handler: 'results.bigint' },
  { handler: 'results.dateResult' },
  { handler: 'errors.throwSync', events: [{ value: 'x' }], onNode20: true },
  { handler: 'errors.throwAsync', events: [{ value: 'y' }], onNode20: true },
  { handler: 'errors.throwBeforeAwait' },
  { handler: 'errors.reject' },
  { handler: 'errors.customError', onNode20: true },
  { handler: 'errors.subclassError' },
  { handler: 'errors.withCause' },
  { handler: 'errors.throwString', onNode20: true },
  { handler: 'errors.throwNumber' },
  { handler: 'errors.throwObject' },
  { handler: 'errors.throwUndefined' },
  { handler: 'errors.throwNull' },
  { handler: 'errors.throwSyncUndefined' },
  { handler: 'errors.errorLikeObject', onNode20: true },
  { handler: 'errors.errorWithDel' },
  { handler: 'errors.multilineMessage' },
  { handler: 'callbacks.callbackResult', events: [{ value: 3 }], callbackStyle: true, onNode20: true },
  { handler: 'callbacks.callbackError', callbackStyle: true },
  { handler: 'callbacks.callbackStringError', callbackStyle: true },
  { handler: 'callbacks.waitsForTimer', callbackStyle: true, onNode20: true },
  { handler: 'callbacks.doesNotWait', callbackStyle: true },
  { handler: 'callbacks.callbackTwice', callbackStyle: true },
  { handler: 'callbacks.noAnswer', callbackStyle: true, onNode20: true },
  {
    handler: 'context.fields',
    events: [{ timeoutMs: TIMEOUT_MS }],
    invokeOptions: {
      requestId: 'fixed-request-id',
      clientContext: { client: { installation_id: 'abc' }, custom: { k: 'v' }, env: { platform: 'test' } },
      identity: { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' },
      tenantId: 'tenant-7',
    },
  },
  {
    handler: 'context.fields',
    events: [{ timeoutMs: TIMEOUT_MS }],
    invokeOptions: { requestId: 'no-extras' },
  },
  { handler: 'context.succeed', events: [{ value: 5 }], onNode20: true },
  { handler: 'context.fail' },
  { handler: 'context.failEmpty', onNode20: true },
  { handler: 'context.done' },
  { handler: 'context.doneError' },
  { handler: 'context.remainingDecreases' },
  { handler: 'context.counter', events: [{}, {}, {}], onNode20: true },
  { handler: 'logging.handler', events: [{ value: 'text' }], onNode20: true },
  { handler: 'logging.handler', events: [{ value: 'json' }], logFormat: 'JSON' },
  { handler: 'esm.handler', events: [{ value: 'esm' }], onNode20: true },
  { handler: 'esm.fails' },
  { handler: 'explicit.handler', events: [{ value: 1 }] },
  { handler: 'explicit.throws', events: [{ value: 2 }] },
  { handler: 'first.handler', events: [{ value: 'a' }], onNode20: true },
  { handler: 'second.handler', events: [{ value: 'b' }] },
];

interface RunRecord {
  readonly result: InvokeResult;
  readonly pauses: readonly { reason: string; url: string; functionName: string }[];
}

async function runCase(
  runtime: LambdaRuntimeName,
  corpusCase: CorpusCase,
  broker: TestBroker | undefined,
): Promise<RunRecord[]> {
  const functionId = uniqueFunctionId(`${runtime}-${corpusCase.handler}`);
  return withLambda(
    {
      runtime,
      taskRoot: CORPUS,
      handler: corpusCase.handler,
      timeoutMs: TIMEOUT_MS,
      memoryMb: 512,
      ...(corpusCase.logFormat ? { logFormat: corpusCase.logFormat } : {}),
      env: broker ? broker.lambdaEnv(functionId, { DEBUGGER_WAIT_MS: '10000' }) : {},
    },
    async (lambda) => {
      const records: RunRecord[] = [];
      for (const event of corpusCase.events ?? [{}]) {
        if (!broker) {
          records.push({ result: await lambda.invoke(event, corpusCase.invokeOptions), pauses: [] });
          continue;
        }
        const { result, debuggerClient } = await invokeWithDebugger(
          lambda,
          broker,
          functionId,
          event,
          corpusCase.invokeOptions,
        );
        records.push({ result, pauses: [...debuggerClient.pauses] });
      }
      return records;
    },
  );
}

describe.each(RUNTIMES)('differential corpus on %s', (runtime) => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  it.concurrent.each(
    CASES.filter((corpusCase) => runtime !== 'nodejs20.x' || corpusCase.onNode20).map(
      (corpusCase) =>
        [
          `${corpusCase.handler}${corpusCase.logFormat === 'JSON' ? ' (JSON logs)' : ''}${corpusCase.invokeOptions?.requestId === 'no-extras' ? ' (no extras)' : ''}`,
          corpusCase,
        ] as const,
    ),
  )(
    '%s: bare and debugged give identical responses and logs',
    async (_name, corpusCase) => {
      const bare = await runCase(runtime, corpusCase, undefined);
      const debugged = await runCase(runtime, corpusCase, broker);
      expect(debugged).toHaveLength(bare.length);
      for (const [index, bareRun] of bare.entries()) {
        const debuggedRun = debugged[index] as RunRecord;
        expect(debuggedRun.result.status).toBe(bareRun.result.status);
        expect(debuggedRun.result.errorType).toBe(bareRun.result.errorType);
        expect(debuggedRun.result.functionError).toBe(bareRun.result.functionError);
        expect(debuggedRun.result.payload).toBe(bareRun.result.payload);
        expect(comparableLogs(debuggedRun.result)).toEqual(comparableLogs(bareRun.result));
        const refusedAtInit = corpusCase.callbackStyle && !acceptsCallbacks(runtime);
        if (refusedAtInit) {
          expect(debuggedRun.result.errorType).toBe('Runtime.CallbackHandlerDeprecated');
        } else {
          // The handler really ran under the debugger, paused at its first statement in the user's file.
          expect(debuggedRun.result.logs.some((line) => line.includes('debugger attached'))).toBe(true);
          const entry = debuggedRun.pauses.find((pause) => pause.reason === 'Break on start');
          expect(entry?.url).toMatch(new RegExp(`/corpus/${corpusCase.handler.split('.')[0]}\\.(js|mjs)$`));
        }
      }
    },
    120_000,
  );
});
