/**
 * Messages between the proxy (parent, inside the Lambda runtime process) and the child Node process that runs
 * the handler under the inspector. They travel over Node's IPC channel (`fork`), so they are plain JSON
 * objects; every message received is validated before it is acted on.
 */
import { type Decoded, decodedError } from './errors.js';
import { FieldReader, isRecord, type UnknownRecord } from './fields.js';

/** Everything the child needs to rebuild a Lambda `context` object that behaves like the real one. */
export interface ContextSnapshot {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  /** A string, as the runtime gives it. */
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Absolute deadline, epoch milliseconds: `getRemainingTimeInMillis()` is computed from it in the child. */
  readonly deadlineMs: number;
  readonly callbackWaitsForEmptyEventLoop: boolean;
  readonly identity?: unknown;
  readonly clientContext?: unknown;
  readonly tenantId?: string;
}

/**
 * An error (or any thrown value) made safe to cross a process boundary. Carries both the JavaScript shape
 * (`name`, `message`, `stack`) and the Lambda shape (`errorType`, `errorMessage`, `trace`), so the parent can
 * rethrow something the runtime reports exactly as it would have reported the original.
 */
export interface SerializedError {
  /** `error` when an `Error` (or error-like object) was thrown; `value` for a thrown string, number, etc. */
  readonly kind: 'error' | 'value';
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
  /** For `kind: 'value'`: the thrown value as JSON (absent when it was `undefined` or not serialisable). */
  readonly valueJson?: string;
  /** Own enumerable properties of the error (`code`, `statusCode`, ...), as JSON. */
  readonly propertiesJson?: string;
  readonly cause?: SerializedError;
}

/** How a handler invocation ended in the child. */
export type InvocationOutcome =
  | {
      readonly kind: 'value' /** JSON of the result; absent when the result was `undefined`. */;
      readonly json?: string;
    }
  | { readonly kind: 'error'; readonly error: SerializedError };

export const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
export type ConsoleLevel = (typeof CONSOLE_LEVELS)[number];

// ---- parent -> child -------------------------------------------------------------------------------------

/** Run the handler once. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly invocationId: number;
  readonly event: unknown;
  readonly context: ContextSnapshot;
  /** Pause before the handler's first statement. */
  readonly breakOnStart: boolean;
}

/** Exit cleanly (the parent is shutting down or replacing the child). */
export interface ShutdownMessage {
  readonly type: 'shutdown';
}

export type ParentMessage = InvokeMessage | ShutdownMessage;

// ---- child -> parent -------------------------------------------------------------------------------------

/** The child loaded the handler and its inspector bridge listens on `inspector`. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly inspector: { readonly host: string; readonly port: number };
  readonly pid: number;
  readonly nodeVersion: string;
}

/** Loading the handler failed in the child (the same failure the runtime would report at init). */
export interface InitErrorMessage {
  readonly type: 'init-error';
  readonly error: SerializedError;
}

/** The handler finished. */
export interface ResultMessage {
  readonly type: 'result';
  readonly invocationId: number;
  readonly outcome: InvocationOutcome;
}

/** The handler changed `context.callbackWaitsForEmptyEventLoop`. */
export interface CallbackWaitsMessage {
  readonly type: 'callback-waits';
  readonly invocationId: number;
  readonly value: boolean;
}

/** One `console.*` call in the child, already formatted; the parent logs it through the runtime's console. */
export interface ConsoleMessage {
  readonly type: 'console';
  readonly level: ConsoleLevel;
  readonly message: string;
}

/** The child is about to die of an uncaught exception or unhandled rejection. */
export interface CrashMessage {
  readonly type: 'crash';
  readonly origin: 'uncaughtException' | 'unhandledRejection';
  readonly error: SerializedError;
}

export type ChildMessage =
  | ReadyMessage
  | InitErrorMessage
  | ResultMessage
  | CallbackWaitsMessage
  | ConsoleMessage
  | CrashMessage;

// ---- validators ------------------------------------------------------------------------------------------

const MAX_TEXT = 1024 * 1024;

/** Validates a serialised error (recursively for `cause`, to a bounded depth). */
export function decodeSerializedError(json: unknown, depth = 0): Decoded<SerializedError> {
  if (!isRecord(json)) return decodedError('not-an-object', 'serialised error must be an object');
  const fields = new FieldReader(json, 'error');
  const kind = fields.oneOf('kind', ['error', 'value'] as const);
  const name = fields.string('name', { maxLength: MAX_TEXT });
  const message = fields.string('message', { maxLength: MAX_TEXT });
  const stack = fields.optionalString('stack', { maxLength: MAX_TEXT });
  const errorType = fields.string('errorType', { maxLength: MAX_TEXT });
  const errorMessage = fields.string('errorMessage', { maxLength: MAX_TEXT });
  const traceValue = json.trace;
  const trace =
    Array.isArray(traceValue) && traceValue.every((line) => typeof line === 'string')
      ? (traceValue as string[])
      : undefined;
  const valueJson = fields.optionalString('valueJson', { maxLength: 64 * MAX_TEXT });
  const propertiesJson = fields.optionalString('propertiesJson', { maxLength: 64 * MAX_TEXT });
  const cause =
    depth < 8 ? fields.nested('cause', (value) => decodeSerializedError(value, depth + 1), true) : undefined;
  const decoded = fields.result<SerializedError>(() => ({
    kind,
    name,
    message,
    errorType,
    errorMessage,
    trace: trace ?? [],
    ...(stack === undefined ? {} : { stack }),
    ...(valueJson === undefined ? {} : { valueJson }),
    ...(propertiesJson === undefined ? {} : { propertiesJson }),
    ...(cause === undefined ? {} : { cause }),
  }));
  if (decoded.ok && trace === undefined) {
    return decodedError('invalid-field', 'error: field "trace" must be an array of strings', 'trace');
  }
  return decoded;
}

function decodeContext(json: unknown): Decoded<ContextSnapshot> {
  if (!isRecord(json)) return decodedError('not-an-object', 'context must be an object');
  const fields = new FieldReader(json, 'context');
  const snapshot = {
    functionName: fields.string('functionName', { maxLength: 256 }),
    functionVersion: fields.string('functionVersion', { maxLength: 256 }),
    invokedFunctionArn: fields.string('invokedFunctionArn', { maxLength: 2048 }),
    memoryLimitInMB: fields.string('memoryLimitInMB', { maxLength: 16 }),
    awsRequestId: fields.string('awsRequestId', { maxLength: 256 }),
    logGroupName: fields.string('logGroupName', { maxLength: 1024 }),
    logStreamName: fields.string('logStreamName', { maxLength: 1024 }),
    deadlineMs: fields.number('deadlineMs', { min: 0 }),
    callbackWaitsForEmptyEventLoop: fields.boolean('callbackWaitsForEmptyEventLoop'),
  };
  const tenantId = fields.optionalString('tenantId', { maxLength: 256 });
  return fields.result<ContextSnapshot>(() => ({
    ...snapshot,
    ...(json.identity === undefined ? {} : { identity: json.identity }),
    ...(json.clientContext === undefined ? {} : { clientContext: json.clientContext }),
    ...(tenantId === undefined ? {} : { tenantId }),
  }));
}

function decodeOutcome(json: unknown): Decoded<InvocationOutcome> {
  if (!isRecord(json)) return decodedError('not-an-object', 'outcome must be an object');
  const fields = new FieldReader(json, 'outcome');
  const kind = fields.oneOf('kind', ['value', 'error'] as const);
  if (kind === 'value') {
    const valueJson = fields.optionalString('json', { maxLength: Number.MAX_SAFE_INTEGER });
    return fields.result(() =>
      valueJson === undefined ? { kind: 'value' } : { kind: 'value', json: valueJson },
    );
  }
  const error = fields.nested('error', (value) => decodeSerializedError(value), false);
  return fields.result(() => ({ kind: 'error', error: error as SerializedError }));
}

function messageType(json: unknown): Decoded<{ type: string; record: UnknownRecord }> {
  if (!isRecord(json)) return decodedError('not-an-object', 'IPC message must be an object');
  if (typeof json.type !== 'string')
    return decodedError('missing-field', 'IPC message has no "type"', 'type');
  return { ok: true, value: { type: json.type, record: json } };
}

/** Validates a message the parent received from the child. Never throws. */
export function decodeChildMessage(json: unknown): Decoded<ChildMessage> {
  const typed = messageType(json);
  if (!typed.ok) return typed;
  const { type, record } = typed.value;
  const fields = new FieldReader(record, type);
  switch (type) {
    case 'ready': {
      const inspector = fields.record('inspector');
      const host = typeof inspector.host === 'string' ? inspector.host : undefined;
      const port = inspector.port;
      const pid = fields.number('pid', { integer: true, min: 1 });
      const nodeVersion = fields.string('nodeVersion', { maxLength: 64 });
      const ready = fields.result<ReadyMessage>(() => ({
        type: 'ready',
        inspector: { host: host ?? '', port: port as number },
        pid,
        nodeVersion,
      }));
      if (
        ready.ok &&
        (host === undefined ||
          typeof port !== 'number' ||
          !Number.isInteger(port) ||
          port < 1 ||
          port > 65535)
      ) {
        return decodedError('invalid-field', 'ready: field "inspector" must be { host, port }', 'inspector');
      }
      return ready;
    }
    case 'init-error': {
      const error = fields.nested('error', (value) => decodeSerializedError(value), false);
      return fields.result(() => ({ type: 'init-error', error: error as SerializedError }));
    }
    case 'result': {
      const invocationId = fields.number('invocationId', { integer: true, min: 0 });
      const outcome = fields.nested('outcome', decodeOutcome, false);
      return fields.result(() => ({ type: 'result', invocationId, outcome: outcome as InvocationOutcome }));
    }
    case 'callback-waits': {
      const invocationId = fields.number('invocationId', { integer: true, min: 0 });
      const value = fields.boolean('value');
      return fields.result(() => ({ type: 'callback-waits', invocationId, value }));
    }
    case 'console': {
      const level = fields.oneOf('level', CONSOLE_LEVELS);
      const message = fields.string('message', { maxLength: Number.MAX_SAFE_INTEGER });
      return fields.result(() => ({ type: 'console', level, message }));
    }
    case 'crash': {
      const origin = fields.oneOf('origin', ['uncaughtException', 'unhandledRejection'] as const);
      const error = fields.nested('error', (value) => decodeSerializedError(value), false);
      return fields.result(() => ({ type: 'crash', origin, error: error as SerializedError }));
    }
    default:
      return decodedError('unknown-type', `unknown IPC message type "${type.slice(0, 64)}"`, 'type');
  }
}

/** Validates a message the child received from the parent. Never throws. */
export function decodeParentMessage(json: unknown): Decoded<ParentMessage> {
  const typed = messageType(json);
  if (!typed.ok) return typed;
  const { type, record } = typed.value;
  const fields = new FieldReader(record, type);
  switch (type) {
    case 'invoke': {
      const invocationId = fields.number('invocationId', { integer: true, min: 0 });
      const context = fields.nested('context', decodeContext, false);
      const breakOnStart = fields.boolean('breakOnStart');
      return fields.result(() => ({
        type: 'invoke',
        invocationId,
        event: record.event,
        context: context as ContextSnapshot,
        breakOnStart,
      }));
    }
    case 'shutdown':
      return fields.result(() => ({ type: 'shutdown' }));
    default:
      return decodedError('unknown-type', `unknown IPC message type "${type.slice(0, 64)}"`, 'type');
  }
}
