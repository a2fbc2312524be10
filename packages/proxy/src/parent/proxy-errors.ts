/**
 * Errors the proxy itself returns to Lambda. Their `name` is what Lambda reports as `errorType`, always under the
 * `LambdaDebug.` prefix so they can never be mistaken for the handler's own errors; each message says what
 * happened and what to do. The names (`ProxyErrorType`) are public and defined in index.ts, which must load
 * nothing else; their type lives in shared/proxy-error-names.ts.
 */

import type { ProxyErrorTypeName } from '../shared/proxy-error-names.js';

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
