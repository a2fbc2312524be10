import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChildMessage,
  CONSOLE_LEVELS,
  type ContextSnapshot,
  decodeChildMessage,
  decodeParentMessage,
  type ParentMessage,
  type SerializedError,
} from './child-ipc.js';
import { ProtocolError } from './errors.js';

const text = (max = 100) => fc.string({ maxLength: max });

const serializedErrorArb: fc.Arbitrary<SerializedError> = fc
  .letrec((tie) => ({
    error: fc.record(
      {
        kind: fc.constantFrom('error' as const, 'value' as const),
        name: text(),
        message: text(),
        stack: text(400),
        errorType: text(),
        errorMessage: text(),
        trace: fc.array(text(), { maxLength: 5 }),
        valueJson: fc.jsonValue().map((v) => JSON.stringify(v)),
        propertiesJson: fc.jsonValue().map((v) => JSON.stringify(v)),
        cause: fc.option(tie('error'), { nil: undefined, depthSize: 'small' }),
      },
      { requiredKeys: ['kind', 'name', 'message', 'errorType', 'errorMessage', 'trace'] },
    ) as fc.Arbitrary<SerializedError>,
  }))
  .error.map((error) => JSON.parse(JSON.stringify(error)) as SerializedError);

const contextArb: fc.Arbitrary<ContextSnapshot> = fc.record(
  {
    functionName: text(),
    functionVersion: text(),
    invokedFunctionArn: text(),
    memoryLimitInMB: fc.integer({ min: 128, max: 10240 }).map(String),
    awsRequestId: text(),
    logGroupName: text(),
    logStreamName: text(),
    deadlineMs: fc.integer({ min: 0, max: 2 ** 45 }),
    callbackWaitsForEmptyEventLoop: fc.boolean(),
    identity: fc.jsonValue(),
    clientContext: fc.jsonValue(),
    tenantId: text(),
  },
  {
    requiredKeys: [
      'functionName',
      'functionVersion',
      'invokedFunctionArn',
      'memoryLimitInMB',
      'awsRequestId',
      'logGroupName',
      'logStreamName',
      'deadlineMs',
      'callbackWaitsForEmptyEventLoop',
    ],
  },
);

const parentMessageArb: fc.Arbitrary<ParentMessage> = fc.oneof(
  fc.record({
    type: fc.constant('invoke' as const),
    invocationId: fc.nat(),
    event: fc.jsonValue(),
    context: contextArb,
    breakOnStart: fc.boolean(),
  }),
  fc.constant({ type: 'shutdown' as const }),
);

const childMessageArb: fc.Arbitrary<ChildMessage> = fc.oneof(
  fc.record({
    type: fc.constant('ready' as const),
    inspector: fc.record({ host: fc.constant('127.0.0.1'), port: fc.integer({ min: 1, max: 65535 }) }),
    pid: fc.integer({ min: 1, max: 2 ** 22 }),
    nodeVersion: fc.constantFrom('v20.20.2', 'v22.23.0', 'v24.21.0'),
  }),
  fc.record({ type: fc.constant('init-error' as const), error: serializedErrorArb }),
  fc.record({
    type: fc.constant('result' as const),
    invocationId: fc.nat(),
    outcome: fc.oneof(
      fc.constant({ kind: 'value' as const }),
      fc.jsonValue().map((v) => ({ kind: 'value' as const, json: JSON.stringify(v) })),
      serializedErrorArb.map((error) => ({ kind: 'error' as const, error })),
    ),
  }),
  fc.record({ type: fc.constant('callback-waits' as const), invocationId: fc.nat(), value: fc.boolean() }),
  fc.record({
    type: fc.constant('console' as const),
    level: fc.constantFrom(...CONSOLE_LEVELS),
    message: text(500),
  }),
  fc.record({
    type: fc.constant('crash' as const),
    origin: fc.constantFrom('uncaughtException' as const, 'unhandledRejection' as const),
    error: serializedErrorArb,
  }),
);

/** Node's IPC channel serialises with JSON, so that is the round trip that matters. */
const overIpc = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

describe('parent<->child IPC', () => {
  it('every valid parent message survives the IPC round trip and validation unchanged', () => {
    fc.assert(
      fc.property(parentMessageArb, (message) => {
        const sent = overIpc(message);
        expect(decodeParentMessage(sent)).toEqual({ ok: true, value: sent });
      }),
    );
  });

  it('every valid child message survives the IPC round trip and validation unchanged', () => {
    fc.assert(
      fc.property(childMessageArb, (message) => {
        const sent = overIpc(message);
        expect(decodeChildMessage(sent)).toEqual({ ok: true, value: sent });
      }),
    );
  });

  it('arbitrary JSON never throws out of either decoder', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const decoded of [decodeChildMessage(value), decodeParentMessage(value)]) {
          if (!decoded.ok) expect(decoded.error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('known types with random fields never throw', () => {
    const types = [
      'ready',
      'init-error',
      'result',
      'callback-waits',
      'console',
      'crash',
      'invoke',
      'shutdown',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.dictionary(fc.string(), fc.jsonValue()), (type, fields) => {
        const value = { ...fields, type };
        for (const decoded of [decodeChildMessage(value), decodeParentMessage(value)]) {
          if (!decoded.ok) expect(decoded.error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refusals name what is wrong', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'not-an-object'],
      [{ kind: 'ready' }, 'missing-field'],
      [{ type: 'teleport' }, 'unknown-type'],
      [
        { type: 'ready', inspector: { host: '127.0.0.1', port: 70000 }, pid: 1, nodeVersion: 'v20' },
        'invalid-field',
      ],
      [{ type: 'result', invocationId: 1, outcome: { kind: 'error' } }, 'invalid-field'],
      [{ type: 'console', level: 'shout', message: 'x' }, 'invalid-field'],
    ];
    for (const [input, code] of cases) {
      const decoded = decodeChildMessage(input);
      expect(decoded.ok ? 'accepted' : decoded.error.code, JSON.stringify(input)).toBe(code);
    }
  });

  it('a serialised error whose trace is not a list of strings is refused', () => {
    const error = { kind: 'error', name: 'E', message: 'm', errorType: 'E', errorMessage: 'm', trace: [1] };
    const decoded = decodeChildMessage({ type: 'init-error', error });
    expect(decoded.ok).toBe(false);
  });
});
