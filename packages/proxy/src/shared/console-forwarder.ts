/**
 * `console.*` in the child becomes one log line in the function's log, written by the runtime's own patched
 * console in the parent, so the format (text or JSON, request id, level filtering) is exactly the runtime's.
 *
 * The child formats each call as the runtime would (`util.format` of the arguments, at least one of them) and,
 * when the runtime's JSON format is on, adds what JSON lines need beyond the text: a single non-string argument
 * as a value, the absence of any argument, or the first `Error` argument (which JSON lines describe in
 * `errorType` / `errorMessage` / `stackTrace` fields). The parent replays the call with arguments that make the
 * runtime print the same line.
 *
 * Each call is also reported to the inspector, as Node's own console does, so an attached debugger's console
 * shows it (`Runtime.consoleAPICalled`, with the arguments as live remote objects). `inspector.console` only
 * reports: it prints nothing, so the function's log gets the call once, through the parent.
 */
import { format } from 'node:util';
import type {
  CallerFrames,
  ConsoleErrorArgument,
  ConsoleLevel,
  ConsoleMessage,
} from '@lambda-debug/shim-protocol';
import { restoreCallerFrames } from './result-codec.js';
import type { RuntimeGeneration } from './runtime-errors.js';

/** The console methods the runtime patches, each forwarded at its own level. */
const FORWARDED_LEVELS: readonly ConsoleLevel[] = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal'];

/** The inspector's own console methods (`require('node:inspector').console`): they report, never print. */
export type InspectorConsoleLike = Readonly<Record<string, unknown>>;

/** The inspector method for each level; V8 has no `fatal` (the runtime client adds it), so it shows as an error. */
const INSPECTOR_METHODS: Readonly<Record<ConsoleLevel, string>> = {
  log: 'log',
  info: 'info',
  warn: 'warn',
  error: 'error',
  debug: 'debug',
  trace: 'trace',
  fatal: 'error',
};

/** The inspector's console, or `undefined` when this Node has no inspector (built without it). */
export function loadInspectorConsole(): InspectorConsoleLike | undefined {
  try {
    return (require('node:inspector') as typeof import('node:inspector'))
      .console as unknown as InspectorConsoleLike;
  } catch {
    return undefined;
  }
}

/** True when the runtime writes JSON log lines (`AWS_LAMBDA_LOG_FORMAT=JSON`). */
export function isJsonLogFormat(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
}

/** The runtime's JSON replacer: errors become `{errorType, errorMessage, stackTrace, ...own properties}`. */
function jsonErrorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: (value as { constructor?: { name?: string } }).constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

function describeError(value: Error): ConsoleErrorArgument {
  const constructorName = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return {
    constructorName: typeof constructorName === 'string' ? constructorName : 'UnknownError',
    message: String(value.message),
    ...(typeof value.stack === 'string' ? { stack: value.stack } : {}),
  };
}

/** Builds the IPC message for one console call. */
export function describeConsoleCall(
  level: ConsoleLevel,
  args: readonly unknown[],
  json: boolean,
  generation: RuntimeGeneration,
): ConsoleMessage {
  // The runtime's console methods are `(message, ...params)`: a call without arguments formats `undefined`.
  const [first, ...rest] = args;
  const message = format(first, ...rest);
  if (!json) return { type: 'console', level, message };
  if (args.length === 0 || (args.length === 1 && first === undefined)) {
    return { type: 'console', level, message, noArguments: true };
  }
  if (args.length === 1 && typeof first !== 'string') {
    try {
      const text = JSON.stringify(first, jsonErrorReplacer);
      if (text !== undefined) return { type: 'console', level, message, json: text };
    } catch {
      // The runtime falls back to the formatted text, which is `message`.
    }
    return { type: 'console', level, message };
  }
  // 3.x looks for an error among all arguments, 4.x among those after the first.
  const candidates = generation === 'ric3' ? args : rest;
  const firstError = candidates.find((value): value is Error => value instanceof Error);
  return firstError === undefined
    ? { type: 'console', level, message }
    : { type: 'console', level, message, errorArgument: describeError(firstError) };
}

/**
 * Replaces the child's console methods with ones that report the call to `inspectorConsole` (an attached
 * debugger's console) and send a `ConsoleMessage` (the function's log). `callerFrames` gives the current
 * invocation's runtime frames: errors logged by the handler get them in place of the child's own frames, so a
 * logged stack reads as it would without the debugger.
 */
export function patchChildConsole(
  send: (message: ConsoleMessage) => void,
  generation: RuntimeGeneration,
  callerFrames: () => CallerFrames | undefined = () => undefined,
  inspectorConsole: InspectorConsoleLike | undefined = loadInspectorConsole(),
): void {
  const json = isJsonLogFormat();
  const target = console as unknown as Record<string, unknown>;
  for (const level of FORWARDED_LEVELS) {
    const report = inspectorConsole?.[INSPECTOR_METHODS[level]];
    target[level] = (...args: unknown[]) => {
      const frames = callerFrames();
      if (frames) for (const arg of args) restoreCallerFrames(arg, frames);
      // This function's own frame tops the reported stack trace; the inspector bridge takes it off, so the
      // debugger links the message to the handler's line, as with Node's own console.
      if (typeof report === 'function') Reflect.apply(report, inspectorConsole, args);
      send(describeConsoleCall(level, args, json, generation));
    };
  }
}

const replayErrorClasses = new Map<string, ErrorConstructor>();

function errorNamed(constructorName: string): ErrorConstructor {
  const known = replayErrorClasses.get(constructorName);
  if (known) return known;
  const created = class extends Error {} as ErrorConstructor;
  Object.defineProperty(created, 'name', { value: constructorName, configurable: true });
  replayErrorClasses.set(constructorName, created);
  return created;
}

/** A console whose methods are looked up at call time (the runtime client patches the global one). */
export type ConsoleLike = Record<string, unknown>;

/** Logs one forwarded call through `target` (the runtime's console) so it prints the line the child meant. */
export function replayConsoleCall(
  message: ConsoleMessage,
  target: ConsoleLike = console as unknown as ConsoleLike,
): void {
  const method = target[message.level] ?? target.log;
  if (typeof method !== 'function') return;
  const call = (...args: unknown[]) => Reflect.apply(method, target, args);
  if (message.noArguments) {
    call();
  } else if (message.json !== undefined) {
    call(JSON.parse(message.json));
  } else if (message.errorArgument !== undefined) {
    const described = message.errorArgument;
    const error = new (errorNamed(described.constructorName))(described.message);
    Object.defineProperty(error, 'stack', { value: described.stack, writable: true, configurable: true });
    // `%c` consumes the error without printing anything, so the text stays `message` while the runtime still
    // finds an Error among the arguments for its JSON fields.
    call('%s%c', message.message, error);
  } else {
    call('%s', message.message);
  }
}
