/**
 * Handler results and thrown values, across the process boundary. The child serialises what the handler
 * produced; the parent rebuilds a value that the runtime client turns into exactly the response (and the
 * "Invoke Error" log line) it would have produced for the original:
 * - results travel as JSON text and are parsed back, so the runtime's own `JSON.stringify` yields the same bytes;
 * - errors come back as real `Error` objects with the same `name`, `message`, own enumerable properties,
 *   constructor name and stack, where the child's own stack frames are replaced by the frames of the runtime
 *   that called the handler in the parent (so `trace` matches a run without the debugger);
 * - thrown non-errors (`throw 'x'`, `throw 42`, `throw {}`) come back as values of the same type that print the
 *   same way.
 */
import path from 'node:path';
import type {
  CallerFrames,
  CallingConvention,
  InvocationOutcome,
  SerializedError,
} from '@lambda-debug/shim-protocol';
import { PROXY_CODE_DIR } from './own-code.js';

/** Deepest `cause` chain carried across (the protocol's validator accepts no deeper). */
const MAX_CAUSE_DEPTH = 8;

/** Stack frames added to the limit when capturing, so the proxy's own frames never crowd out the runtime's. */
const CAPTURE_EXTRA_FRAMES = 32;

const FRAME_LINE = /^\s+at /;
const ASYNC_FRAME_LINE = /^\s+at async /;

export type { CallerFrames };

function isOwnFrame(line: string, ownDir: string): boolean {
  return line.includes(ownDir + path.sep);
}

/** The current stack's frame lines, without the proxy's own frames. */
export function captureCallerFrames(ownDir: string = PROXY_CODE_DIR): string[] {
  const saved = Error.stackTraceLimit;
  const holder: { stack?: string } = {};
  Error.stackTraceLimit =
    (typeof saved === 'number' && Number.isFinite(saved) ? saved : 10) + CAPTURE_EXTRA_FRAMES;
  try {
    Error.captureStackTrace(holder);
  } finally {
    Error.stackTraceLimit = saved;
  }
  const stack = typeof holder.stack === 'string' ? holder.stack : '';
  return stack.split('\n').filter((line) => FRAME_LINE.test(line) && !isOwnFrame(line, ownDir));
}

/**
 * The `async` frames of the current stack (the functions awaiting the current one), without the proxy's: what an
 * error thrown after an `await` in the handler shows below the handler's frame. The synchronous frames at the
 * capture point belong to whatever resumed the proxy (the microtask queue), not to the handler's caller.
 */
export function captureAwaitingFrames(ownDir: string = PROXY_CODE_DIR): string[] {
  return captureCallerFrames(ownDir).filter((line) => ASYNC_FRAME_LINE.test(line));
}

/**
 * Cuts `stack` at the first of the proxy's own frames. Returns the cut stack and whether the cut frame was an
 * `async` one, or `undefined` when the stack holds none of the proxy's frames (nothing to replace).
 */
export function cutOwnFrames(
  stack: string,
  ownDir: string = PROXY_CODE_DIR,
): { readonly stack: string; readonly cut: 'sync' | 'async' } | undefined {
  const lines = stack.split('\n');
  const own = lines.findIndex((line) => FRAME_LINE.test(line) && isOwnFrame(line, ownDir));
  if (own < 0) return undefined;
  const cutLine = lines[own] ?? '';
  return { stack: lines.slice(0, own).join('\n'), cut: ASYNC_FRAME_LINE.test(cutLine) ? 'async' : 'sync' };
}

/** Appends the caller's frames to a cut stack, keeping the total within `Error.stackTraceLimit`. */
export function appendCallerFrames(cutStack: string, frames: readonly string[]): string {
  const limit = typeof Error.stackTraceLimit === 'number' ? Error.stackTraceLimit : 10;
  const present = cutStack.split('\n').filter((line) => FRAME_LINE.test(line)).length;
  const room = Math.max(0, limit - present);
  const added = frames.slice(0, room);
  return added.length === 0 ? cutStack : `${cutStack}\n${added.join('\n')}`;
}

/** `stack` with the proxy's frames replaced by the caller's; `undefined` when it holds none of the proxy's frames. */
export function spliceCallerFrames(
  stack: string,
  frames: CallerFrames,
  ownDir: string = PROXY_CODE_DIR,
): string | undefined {
  const cut = cutOwnFrames(stack, ownDir);
  if (!cut) return undefined;
  return appendCallerFrames(cut.stack, cut.cut === 'async' ? frames.async : frames.sync);
}

/**
 * Gives an error raised by the handler (and its `cause` chain) the stack it would have had without the proxy,
 * in place: used in the child before an error is printed or sent, so logs and responses match a bare run.
 */
export function restoreCallerFrames(
  error: unknown,
  frames: CallerFrames,
  ownDir: string = PROXY_CODE_DIR,
  depth = 0,
): void {
  if (!(error instanceof Error) || depth > MAX_CAUSE_DEPTH) return;
  try {
    if (typeof error.stack === 'string') {
      const spliced = spliceCallerFrames(error.stack, frames, ownDir);
      if (spliced !== undefined) error.stack = spliced;
    }
    if (Object.hasOwn(error, 'cause')) restoreCallerFrames(error.cause, frames, ownDir, depth + 1);
  } catch {
    // A frozen error or a throwing getter keeps what it has.
  }
}

// ---- what counts as an error -----------------------------------------------------------------------------

/**
 * Only real errors travel as errors. An object that merely looks like one (3.x reports any object with string
 * `name`, `message` and `stack` as an error) travels as a value with those fields, so the parent's runtime
 * makes the same decision about it, and logs it the same way, as it would have about the original.
 */
function isErrorLike(value: unknown, _convention: CallingConvention): value is Error {
  return value instanceof Error;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '';
  }
}

function ownEnumerableJson(value: object): string | undefined {
  try {
    const own: Record<string, unknown> = {};
    for (const key of Object.keys(value)) own[key] = (value as Record<string, unknown>)[key];
    if (Object.keys(own).length === 0) return undefined;
    return JSON.stringify(own);
  } catch {
    return undefined;
  }
}

/**
 * Serialises a thrown or rejected value as the runtime would see it. `convention` picks the runtime
 * generation's idea of an error. With `frames`, the proxy's own frames in the stack are replaced by them;
 * without, the stack is cut there and `callerFramesCut` says so (see `SerializedError`).
 */
export function serializeThrown(
  value: unknown,
  convention: CallingConvention,
  frames?: CallerFrames,
  ownDir: string = PROXY_CODE_DIR,
  depth = 0,
): SerializedError {
  if (isErrorLike(value, convention)) {
    try {
      const name = safeString(value.name);
      const message = safeString(value.message);
      const rawStack = typeof value.stack === 'string' ? value.stack : undefined;
      const spliced =
        rawStack !== undefined && frames ? spliceCallerFrames(rawStack, frames, ownDir) : undefined;
      const cut =
        rawStack === undefined || spliced !== undefined ? undefined : cutOwnFrames(rawStack, ownDir);
      const stack = spliced ?? (cut ? cut.stack : rawStack);
      const constructorName = (value as { constructor?: { name?: unknown } }).constructor?.name;
      const propertiesJson = ownEnumerableJson(value);
      const hasCause = Object.hasOwn(value, 'cause') && depth < MAX_CAUSE_DEPTH;
      return {
        kind: 'error',
        name,
        message,
        errorType: name.replace(/\x7F/g, '%7F'),
        errorMessage: message.replace(/\x7F/g, '%7F'),
        trace: stack === undefined ? [] : stack.replace(/\x7F/g, '%7F').split('\n'),
        ...(stack === undefined ? {} : { stack }),
        ...(cut ? { callerFramesCut: cut.cut } : {}),
        ...(propertiesJson === undefined ? {} : { propertiesJson }),
        ...(typeof constructorName === 'string' && constructorName !== name ? { constructorName } : {}),
        ...(hasCause
          ? {
              cause: serializeThrown(
                (value as { cause?: unknown }).cause,
                convention,
                frames,
                ownDir,
                depth + 1,
              ),
            }
          : {}),
      };
    } catch {
      // A getter that throws: report what the runtime reports when it cannot read an error.
      const message =
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack';
      return {
        kind: 'error',
        name: 'handled',
        message,
        errorType: 'handled',
        errorMessage: message,
        trace: [],
      };
    }
  }
  const type = value === null ? 'object' : typeof value;
  const text = safeString(value);
  let valueJson: string | undefined;
  if (type === 'object') {
    try {
      valueJson = JSON.stringify(value);
    } catch {
      valueJson = undefined;
    }
  }
  return {
    kind: 'value',
    name: type,
    message: text,
    errorType: type,
    errorMessage: text,
    trace: [],
    ...(valueJson === undefined ? {} : { valueJson }),
  };
}

/** Serialises a handler's successful result. */
export function serializeResult(value: unknown): InvocationOutcome {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? { kind: 'value' } : { kind: 'value', json };
  } catch {
    return { kind: 'value', unserializable: true };
  }
}

// ---- rebuilding in the parent ----------------------------------------------------------------------------

const BUILTIN_ERRORS: ReadonlyMap<string, ErrorConstructor> = new Map<string, ErrorConstructor>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['ReferenceError', ReferenceError],
  ['SyntaxError', SyntaxError],
  ['EvalError', EvalError],
  ['URIError', URIError],
]);

const rebuiltClasses = new Map<string, ErrorConstructor>();

/** A constructor whose instances have `name` on the prototype and `constructor.name` as given. */
function errorClassFor(name: string, constructorName: string): ErrorConstructor {
  const builtin = BUILTIN_ERRORS.get(constructorName);
  if (builtin && builtin.prototype.name === name) return builtin;
  const key = `${constructorName}\u0000${name}`;
  const known = rebuiltClasses.get(key);
  if (known) return known;
  const Base = builtin ?? Error;
  const created = class extends Base {} as ErrorConstructor;
  Object.defineProperty(created, 'name', { value: constructorName, configurable: true });
  Object.defineProperty(created.prototype, 'name', { value: name, writable: true, configurable: true });
  rebuiltClasses.set(key, created);
  return created;
}

function rebuildError(serialized: SerializedError, frames: CallerFrames | undefined): Error {
  const Cls = errorClassFor(serialized.name, serialized.constructorName ?? serialized.name);
  const error = new Cls(serialized.message);
  if (serialized.propertiesJson !== undefined) {
    try {
      Object.assign(error, JSON.parse(serialized.propertiesJson));
    } catch {
      // Properties are a courtesy for log lines; a malformed copy is dropped, never fatal.
    }
  }
  let stack = serialized.stack;
  if (stack !== undefined && serialized.callerFramesCut !== undefined && frames) {
    stack = appendCallerFrames(stack, serialized.callerFramesCut === 'async' ? frames.async : frames.sync);
  }
  Object.defineProperty(error, 'stack', {
    value: stack,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if (serialized.cause !== undefined) {
    Object.defineProperty(error, 'cause', {
      value: rebuildThrown(serialized.cause, frames),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return error;
}

function withToString<T extends object>(target: T, text: string): T {
  Object.defineProperty(target, 'toString', {
    value: () => text,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return target;
}

function rebuildValue(serialized: SerializedError): unknown {
  const text = serialized.errorMessage;
  switch (serialized.errorType) {
    case 'undefined':
      return undefined;
    case 'string':
      return text;
    case 'number':
      return Number(text);
    case 'boolean':
      return text === 'true';
    case 'bigint':
      try {
        return BigInt(text);
      } catch {
        return text;
      }
    case 'symbol':
      return Symbol(/^Symbol\(([\s\S]*)\)$/.exec(text)?.[1]);
    case 'function':
      return withToString(() => undefined, text);
    default: {
      if (serialized.valueJson === 'null') return null;
      let parsed: unknown = {};
      if (serialized.valueJson !== undefined) {
        try {
          parsed = JSON.parse(serialized.valueJson);
        } catch {
          parsed = {};
        }
      }
      return withToString(typeof parsed === 'object' && parsed !== null ? parsed : {}, text);
    }
  }
}

/** Rebuilds a thrown value so the runtime reports it as it would have reported the original. */
export function rebuildThrown(serialized: SerializedError, frames?: CallerFrames): unknown {
  return serialized.kind === 'error' ? rebuildError(serialized, frames) : rebuildValue(serialized);
}

/** A value whose serialisation fails inside the runtime, as the handler's unserialisable result did. */
function unserializableResult(): unknown {
  return {
    toJSON(): never {
      throw new TypeError('The handler result cannot be converted to JSON.');
    },
  };
}

/** The value to hand to the runtime for a successful outcome. */
export function rebuildResult(outcome: Extract<InvocationOutcome, { kind: 'value' }>): unknown {
  if (outcome.json !== undefined) return JSON.parse(outcome.json);
  if (outcome.unserializable) return unserializableResult();
  return undefined;
}
