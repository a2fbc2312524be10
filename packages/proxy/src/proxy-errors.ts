/**
 * Errors the proxy itself returns to Lambda. Their `name` is what Lambda reports as `errorType`, always under the
 * `LambdaDebug.` prefix so they can never be mistaken for the handler's own errors; each message says what
 * happened and what to do.
 */

/** Prefix of every `errorType` the proxy produces. */
export const PROXY_ERROR_PREFIX = 'LambdaDebug.';

/** The proxy's own failure kinds, as Lambda reports them (`errorType`). */
export const ProxyErrorType = {
  /** The child process running the handler ended (exit, uncaught exception, out of memory) before returning. */
  ChildCrashed: 'LambdaDebug.ChildCrashed',
  /** The invocation ran into its deadline (less `DEBUGGER_DEADLINE_MARGIN_MS`) while being debugged. */
  DeadlineReached: 'LambdaDebug.DeadlineReached',
  /** The no-code-change wrapper handler is in use but `DEBUGGER_HANDLER` is not set. */
  HandlerNotConfigured: 'LambdaDebug.HandlerNotConfigured',
  /** The proxy itself failed after the handler had started in the child (a bug: please report it). */
  InternalError: 'LambdaDebug.InternalError',
} as const;
/** One of the proxy's `errorType` names. */
export type ProxyErrorTypeName = (typeof ProxyErrorType)[keyof typeof ProxyErrorType];

/** An invocation failure caused by debugging, reported to Lambda instead of a handler result. */
export class LambdaDebugError extends Error {
  /** Reported by Lambda as `errorType`. */
  declare readonly name: ProxyErrorTypeName;

  constructor(type: ProxyErrorTypeName, message: string, options?: { cause?: unknown; stack?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // Non-enumerable like a built-in error's name: an enumerable one would show up as an extra field in the
    // runtime's "Invoke Error" log line.
    Object.defineProperty(this, 'name', {
      value: type,
      enumerable: false,
      writable: true,
      configurable: true,
    });
    if (options?.stack !== undefined) {
      Object.defineProperty(this, 'stack', {
        value: options.stack,
        enumerable: false,
        writable: true,
        configurable: true,
      });
    }
  }
}
