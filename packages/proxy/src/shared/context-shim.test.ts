import { decodeParentMessage } from '@lambda-debug/shim-protocol';
import { describe, expect, it } from 'vitest';
import { absoluteDeadlineMs, isLambdaContext, rebuildContext, snapshotContext } from './context-shim.js';

/** A context shaped as aws-lambda-ric 3.x builds it: callback members first, then environment and headers. */
function ric3Context(deadlineMs: number): Record<string, unknown> {
  let waits = true;
  const context: Record<string, unknown> = {
    get callbackWaitsForEmptyEventLoop() {
      return waits;
    },
    set callbackWaitsForEmptyEventLoop(value: boolean) {
      waits = value;
    },
    succeed: () => undefined,
    fail: () => undefined,
    done: () => undefined,
  };
  return Object.assign(
    context,
    {
      functionVersion: '$LATEST',
      functionName: 'orders',
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/orders',
      logStreamName: '2026/01/01/[$LATEST]abc',
    },
    {
      clientContext: undefined,
      identity: { cognitoIdentityId: 'id-1' },
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:orders',
      awsRequestId: 'req-1',
      tenantId: undefined,
      getRemainingTimeInMillis: () => deadlineMs - Date.now(),
    },
  );
}

/** A context shaped as aws-lambda-ric 4.x builds it: headers first, no callback members. */
function ric4Context(deadlineMs: number): Record<string, unknown> {
  return {
    clientContext: { custom: { k: 'v' } },
    identity: undefined,
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:orders',
    awsRequestId: 'req-2',
    tenantId: 'tenant-7',
    xRayTraceId: 'Root=1-abc',
    getRemainingTimeInMillis: () => deadlineMs - Date.now(),
    functionName: 'orders',
    functionVersion: '$LATEST',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/orders',
    logStreamName: 'stream',
    futureField: { added: 'later' },
  };
}

describe('context snapshot and rebuild', () => {
  it.each([
    ['aws-lambda-ric 3.x', ric3Context],
    ['aws-lambda-ric 4.x', ric4Context],
  ])('rebuilds a %s context with the same keys, order, values and JSON', (_label, make) => {
    const deadlineMs = Date.now() + 60_000;
    const original = make(deadlineMs);
    expect(isLambdaContext(original)).toBe(true);
    const snapshot = snapshotContext(original as never);
    // The snapshot crosses IPC inside an `invoke` message, which is validated there.
    const decoded = decodeParentMessage(
      JSON.parse(
        JSON.stringify({
          type: 'invoke',
          invocationId: 1,
          event: {},
          context: snapshot,
          breakOnStart: false,
        }),
      ),
    );
    expect(decoded.ok).toBe(true);
    if (!decoded.ok || decoded.value.type !== 'invoke') return;
    let waits = true;
    const rebuilt = rebuildContext(decoded.value.context, {
      succeed: () => undefined,
      fail: () => undefined,
      done: () => undefined,
      callbackWaits: { get: () => waits, set: (value) => (waits = value) },
    });
    expect(Object.keys(rebuilt)).toEqual(Object.keys(original));
    expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(original));
    for (const key of Object.keys(original)) expect(typeof rebuilt[key]).toBe(typeof original[key]);
    expect(decoded.value.context.deadlineMs).toBe(deadlineMs);
    const remaining = (rebuilt.getRemainingTimeInMillis as () => number)();
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(60_000);
  });

  it('gives callbackWaitsForEmptyEventLoop get and set behaviour where the runtime has it', () => {
    const snapshot = snapshotContext(ric3Context(Date.now() + 1000) as never);
    let waits = snapshot.callbackWaitsForEmptyEventLoop;
    const rebuilt = rebuildContext(snapshot, {
      callbackWaits: { get: () => waits, set: (value) => (waits = value) },
    });
    expect(rebuilt.callbackWaitsForEmptyEventLoop).toBe(true);
    rebuilt.callbackWaitsForEmptyEventLoop = false;
    expect(waits).toBe(false);
    expect(rebuilt.callbackWaitsForEmptyEventLoop).toBe(false);
  });

  it('reads the absolute deadline exactly', () => {
    const deadlineMs = Date.now() + 12_345;
    expect(
      absoluteDeadlineMs({ awsRequestId: 'x', getRemainingTimeInMillis: () => deadlineMs - Date.now() }),
    ).toBe(deadlineMs);
  });

  it('does not take a random object for a Lambda context', () => {
    expect(isLambdaContext({ awsRequestId: 'x' })).toBe(false);
    expect(isLambdaContext(undefined)).toBe(false);
    expect(isLambdaContext('context')).toBe(false);
  });
});
