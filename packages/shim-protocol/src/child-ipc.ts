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
  /** The X-Ray trace header of the invocation (`_X_AMZN_TRACE_ID` in the runtime's environment). */
  readonly xRayTraceId?: string;
  /**
   * The runtime's context object's own property names, in order. Runtime client versions differ (3.x adds
   * `succeed`/`fail`/`done` and `callbackWaitsForEmptyEventLoop`, 4.x adds `xRayTraceId` and drops them), so the
   * child rebuilds exactly these keys in this order. Absent: the 3.x shape.
   */
  readonly keys?: readonly string[];
  /** Plain data fields of the runtime's context that this snapshot does not name, by key (JSON values). */
  readonly extra?: Readonly<Record<string, unknown>>;
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
  /** `error.constructor.name` (structured logs report it as `errorType`), when it differs from `name`. */
  readonly constructorName?: string;
  /**
   * The child cut `stack` where its own frames began, because the runtime's frames belong there: the receiver
   * appends the frames that called the handler in its own process (`sync`: the call itself; `async`: the
   * functions awaiting it).
   */
  readonly callerFramesCut?: 'sync' | 'async';
}

/**
 * Which runtime API settled the invocation in the child, so the parent settles it through the same one (the
 * runtime's log lines and error details depend on it): the handler's returned promise, `callback`,
 * `context.succeed` / `fail` / `done`, or `none` (nothing answered before the event loop emptied, which the
 * runtime answers with `null`).
 */
export const SETTLED_BY = ['promise', 'callback', 'succeed', 'fail', 'done', 'none'] as const;
export type SettledBy = (typeof SETTLED_BY)[number];

/** How a handler invocation ended in the child. */
export type InvocationOutcome =
  | {
      readonly kind: 'value';
      /** JSON of the result; absent when the result was `undefined`. */
      readonly json?: string;
      /** The result could not be turned into JSON (a cycle, a BigInt): the runtime reports that itself. */
      readonly unserializable?: boolean;
      /** Absent: `promise`. */
      readonly settledBy?: SettledBy;
    }
  | {
      readonly kind: 'error';
      readonly error: SerializedError /** Absent: `promise`. */;
      readonly settledBy?: SettledBy;
    };

/** `fatal` exists because the runtime client adds `console.fatal`. */
export const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal'] as const;
export type ConsoleLevel = (typeof CONSOLE_LEVELS)[number];

// ---- parent -> child -------------------------------------------------------------------------------------

/**
 * How the runtime client calls handlers: `callback` (3.x: `handler(event, context, callback)`, results through
 * the callback or a returned promise) or `promise` (4.x: `await handler(event, context)`).
 */
export const CALLING_CONVENTIONS = ['callback', 'promise'] as const;
export type CallingConvention = (typeof CALLING_CONVENTIONS)[number];

/** Run the handler once. */
export interface InvokeMessage {
  readonly type: 'invoke';
  readonly invocationId: number;
  readonly event: unknown;
  readonly context: ContextSnapshot;
  /** Pause before the handler's first statement. */
  readonly breakOnStart: boolean;
  /** Absent: `callback`. */
  readonly convention?: CallingConvention;
  /**
   * Constructor name of the object the runtime calls the handler on (`Runtime`, `BufferedInvokeProcessor`), so
   * stack frames read `at Runtime.handler (...)` as they do without the debugger.
   */
  readonly receiverName?: string;
  /**
   * The runtime's stack frames below the handler in the parent (`sync`: at the call; `async`: the functions
   * awaiting it), which the child puts in place of its own frames in error stacks.
   */
  readonly callerFrames?: CallerFrames;
}

/** Stack frame lines (`    at ...`) of the code that called the handler. */
export interface CallerFrames {
  readonly sync: readonly string[];
  readonly async: readonly string[];
}

/** Exit cleanly (the parent is shutting down or replacing the child). */
export interface ShutdownMessage {
  readonly type: 'shutdown';
}

/** Are you alive and idle? Answered with `pong` carrying the same `nonce`. */
export interface PingMessage {
  readonly type: 'ping';
  readonly nonce: number;
}

export type ParentMessage = InvokeMessage | ShutdownMessage | PingMessage;

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

/** An `Error` passed to `console.*` among other arguments; structured (JSON) logs describe it in their own fields. */
export interface ConsoleErrorArgument {
  readonly constructorName: string;
  readonly message: string;
  readonly stack?: string;
}

/** One `console.*` call in the child, already formatted; the parent logs it through the runtime's console. */
export interface ConsoleMessage {
  readonly type: 'console';
  readonly level: ConsoleLevel;
  /** `util.format` of the arguments, as the runtime's text format prints them. */
  readonly message: string;
  /** The call had no argument at all (structured logs then carry no `message`). */
  readonly noArguments?: boolean;
  /** The call's single non-string argument as JSON, for structured logs that embed it as a value. */
  readonly json?: string;
  /** The first `Error` among several arguments. */
  readonly errorArgument?: ConsoleErrorArgument;
}

/** Answer to `ping`. */
export interface PongMessage {
  readonly type: 'pong';
  readonly nonce: number;
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
  | CrashMessage
  | PongMessage;

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
  const constructorName = fields.optionalString('constructorName', { maxLength: 1024 });
  const callerFramesCut = fields.optionalOneOf('callerFramesCut', ['sync', 'async'] as const);
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
    ...(constructorName === undefined ? {} : { constructorName }),
    ...(callerFramesCut === undefined ? {} : { callerFramesCut }),
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
  const xRayTraceId = fields.optionalString('xRayTraceId', { maxLength: 2048 });
  const extra = fields.optionalRecord('extra');
  const keysValue = json.keys;
  const keys =
    Array.isArray(keysValue) &&
    keysValue.length <= 256 &&
    keysValue.every((key) => typeof key === 'string' && key.length <= 256)
      ? (keysValue as string[])
      : undefined;
  const decoded = fields.result<ContextSnapshot>(() => ({
    ...snapshot,
    ...(json.identity === undefined ? {} : { identity: json.identity }),
    ...(json.clientContext === undefined ? {} : { clientContext: json.clientContext }),
    ...(tenantId === undefined ? {} : { tenantId }),
    ...(xRayTraceId === undefined ? {} : { xRayTraceId }),
    ...(keys === undefined ? {} : { keys }),
    ...(extra === undefined ? {} : { extra }),
  }));
  if (decoded.ok && keysValue !== undefined && keys === undefined) {
    return decodedError(
      'invalid-field',
      'context: field "keys" must be an array of at most 256 strings',
      'keys',
    );
  }
  return decoded;
}

function decodeConsoleErrorArgument(json: unknown): Decoded<ConsoleErrorArgument> {
  if (!isRecord(json)) return decodedError('not-an-object', 'console error argument must be an object');
  const fields = new FieldReader(json, 'errorArgument');
  const constructorName = fields.string('constructorName', { maxLength: 1024 });
  const message = fields.string('message', { maxLength: MAX_TEXT });
  const stack = fields.optionalString('stack', { maxLength: MAX_TEXT });
  return fields.result(() => ({ constructorName, message, ...(stack === undefined ? {} : { stack }) }));
}

function decodeOutcome(json: unknown): Decoded<InvocationOutcome> {
  if (!isRecord(json)) return decodedError('not-an-object', 'outcome must be an object');
  const fields = new FieldReader(json, 'outcome');
  const kind = fields.oneOf('kind', ['value', 'error'] as const);
  const settledBy = fields.optionalOneOf('settledBy', SETTLED_BY);
  const by = settledBy === undefined ? {} : { settledBy };
  if (kind === 'value') {
    const valueJson = fields.optionalString('json', { maxLength: Number.MAX_SAFE_INTEGER });
    const unserializable = fields.optionalBoolean('unserializable');
    return fields.result<InvocationOutcome>(() => ({
      kind: 'value',
      ...(valueJson === undefined ? {} : { json: valueJson }),
      ...(unserializable === undefined ? {} : { unserializable }),
      ...by,
    }));
  }
  const error = fields.nested('error', (value) => decodeSerializedError(value), false);
  return fields.result(() => ({ kind: 'error', error: error as SerializedError, ...by }));
}

function messageType(json: unknown): Decoded<{ type: string; record: UnknownRecord }> {
  if (!isRecord(json)) return decodedError('not-an-object', 'IPC message must be an object');
  if (typeof json.type !== 'string')
    return decodedError('missing-field', 'IPC message has no "type"', 'type');
  return { ok: true, value: { type: json.type, record: json } };
}

const MAX_CALLER_FRAMES = 256;
const MAX_FRAME_LINE = 4096;

function frameLines(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) &&
    value.length <= MAX_CALLER_FRAMES &&
    value.every((line) => typeof line === 'string' && line.length <= MAX_FRAME_LINE)
    ? (value as string[])
    : undefined;
}

function decodeCallerFrames(json: unknown): Decoded<CallerFrames> {
  if (!isRecord(json)) return decodedError('not-an-object', 'callerFrames must be an object');
  const sync = frameLines(json.sync);
  const async = frameLines(json.async);
  if (sync === undefined || async === undefined) {
    return decodedError(
      'invalid-field',
      `callerFrames: "sync" and "async" must be arrays of at most ${MAX_CALLER_FRAMES} strings`,
      sync === undefined ? 'sync' : 'async',
    );
  }
  return { ok: true, value: { sync, async } };
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
      const noArguments = fields.optionalBoolean('noArguments');
      const json = fields.optionalString('json', { maxLength: Number.MAX_SAFE_INTEGER });
      const errorArgument = fields.nested('errorArgument', decodeConsoleErrorArgument, true);
      return fields.result<ConsoleMessage>(() => ({
        type: 'console',
        level,
        message,
        ...(noArguments === undefined ? {} : { noArguments }),
        ...(json === undefined ? {} : { json }),
        ...(errorArgument === undefined ? {} : { errorArgument }),
      }));
    }
    case 'pong': {
      const nonce = fields.number('nonce', { integer: true, min: 0 });
      return fields.result(() => ({ type: 'pong', nonce }));
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
      const convention = fields.optionalOneOf('convention', CALLING_CONVENTIONS);
      const receiverName = fields.optionalString('receiverName', { maxLength: 256 });
      const callerFrames = fields.nested('callerFrames', decodeCallerFrames, true);
      return fields.result<InvokeMessage>(() => ({
        type: 'invoke',
        invocationId,
        event: record.event,
        context: context as ContextSnapshot,
        breakOnStart,
        ...(convention === undefined ? {} : { convention }),
        ...(receiverName === undefined ? {} : { receiverName }),
        ...(callerFrames === undefined ? {} : { callerFrames }),
      }));
    }
    case 'shutdown':
      return fields.result(() => ({ type: 'shutdown' }));
    case 'ping': {
      const nonce = fields.number('nonce', { integer: true, min: 0 });
      return fields.result(() => ({ type: 'ping', nonce }));
    }
    default:
      return decodedError('unknown-type', `unknown IPC message type "${type.slice(0, 64)}"`, 'type');
  }
}
