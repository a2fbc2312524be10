/**
 * The parent<->child messages this package added to shim-protocol's child-ipc.ts: each new field survives
 * validation, and each validator branch refuses what it must.
 */
import { decodeChildMessage, decodeParentMessage } from '@lambda-debug/shim-protocol';
import { describe, expect, it } from 'vitest';
import { serializeThrown } from './result-codec.js';

const CONTEXT = {
  functionName: 'f',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn',
  memoryLimitInMB: '128',
  awsRequestId: 'r',
  logGroupName: 'g',
  logStreamName: 's',
  deadlineMs: 1,
  callbackWaitsForEmptyEventLoop: true,
};

describe('child IPC additions', () => {
  it('carries the calling convention, receiver name, caller frames and context shape in invoke', () => {
    const message = {
      type: 'invoke',
      invocationId: 1,
      event: { a: 1 },
      context: { ...CONTEXT, keys: ['awsRequestId'], xRayTraceId: 'Root=1', extra: { future: true } },
      breakOnStart: true,
      convention: 'promise',
      receiverName: 'BufferedInvokeProcessor',
      callerFrames: { sync: ['    at a (x.js:1:1)'], async: ['    at async b (y.js:2:2)'] },
    };
    expect(decodeParentMessage(message)).toEqual({ ok: true, value: message });
  });

  it.each([
    ['an unknown convention', { convention: 'sync' }, 'convention'],
    ['caller frames that are not strings', { callerFrames: { sync: [1], async: [] } }, 'callerFrames'],
    ['context keys that are not strings', { context: { ...CONTEXT, keys: [1] } }, 'context'],
  ])('refuses invoke with %s', (_label, change, field) => {
    const decoded = decodeParentMessage({
      type: 'invoke',
      invocationId: 1,
      event: {},
      context: CONTEXT,
      breakOnStart: false,
      ...change,
    });
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.field).toBe(field);
  });

  it('answers ping with pong', () => {
    expect(decodeParentMessage({ type: 'ping', nonce: 3 })).toEqual({
      ok: true,
      value: { type: 'ping', nonce: 3 },
    });
    expect(decodeChildMessage({ type: 'pong', nonce: 3 })).toEqual({
      ok: true,
      value: { type: 'pong', nonce: 3 },
    });
    expect(decodeChildMessage({ type: 'pong', nonce: -1 }).ok).toBe(false);
  });

  it('carries which runtime API settled the invocation, and unserialisable results', () => {
    for (const outcome of [
      { kind: 'value', json: '1', settledBy: 'callback' },
      { kind: 'value', unserializable: true, settledBy: 'promise' },
      { kind: 'value', settledBy: 'none' },
      { kind: 'error', error: serializeThrown(new Error('x'), 'callback'), settledBy: 'fail' },
    ]) {
      expect(decodeChildMessage({ type: 'result', invocationId: 1, outcome })).toEqual({
        ok: true,
        value: { type: 'result', invocationId: 1, outcome },
      });
    }
    expect(
      decodeChildMessage({ type: 'result', invocationId: 1, outcome: { kind: 'value', settledBy: 'later' } })
        .ok,
    ).toBe(false);
  });

  it('carries console calls as structured logs need them', () => {
    const message = {
      type: 'console',
      level: 'fatal',
      message: 'm',
      noArguments: false,
      json: '{"a":1}',
      errorArgument: { constructorName: 'TypeError', message: 'x', stack: 'TypeError: x' },
    };
    expect(decodeChildMessage(message)).toEqual({ ok: true, value: message });
    expect(decodeChildMessage({ ...message, errorArgument: { message: 'no constructor name' } }).ok).toBe(
      false,
    );
  });

  it('carries the constructor name and the frame cut of a serialised error', () => {
    class Custom extends Error {}
    const error = serializeThrown(new Custom('c'), 'promise');
    expect(error.constructorName).toBe('Custom');
    const decoded = decodeChildMessage({
      type: 'crash',
      origin: 'uncaughtException',
      error: { ...error, callerFramesCut: 'async' },
    });
    expect(decoded.ok && decoded.value.type === 'crash' && decoded.value.error).toMatchObject({
      constructorName: 'Custom',
      callerFramesCut: 'async',
    });
    expect(
      decodeChildMessage({
        type: 'crash',
        origin: 'uncaughtException',
        error: { ...error, callerFramesCut: 'both' },
      }).ok,
    ).toBe(false);
  });
});
