/**
 * `@lambda-debug/proxy`: step through a live AWS Lambda handler with a debugger.
 *
 * Three ways to turn it on (see the README): `require('@lambda-debug/proxy')` as the last line of a CommonJS
 * handler file; `debuggable(handler)`; or the wrapper handler with `DEBUGGER_HANDLER`. With `DEBUGGER_ACTIVE` off
 * this module does one environment lookup and nothing else. It is deliberately a single file with no import:
 * every module Node resolves and compiles adds to the function's cold start, so what the off path needs is
 * written here and every other part of the package is loaded on demand.
 */

import type { ProxyErrorTypeName } from './shared/proxy-error-names.js';

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
} as const satisfies Record<string, ProxyErrorTypeName>;
/** One of the proxy's `errorType` names. */
export type { ProxyErrorTypeName };

type HandlerProxyModule = typeof import('./entry/handler-proxy.js');
type ActivationModule = typeof import('./entry/activation.js');

/**
 * `flags.ts`'s `isDebuggingActive() && !isDebugChild()`, written out so this file needs no other module (the
 * same contract values; `flags.ts` stays the one the rest of the package uses, and both are tested against them).
 */
function shouldWrap(): boolean {
  const value = process.env.DEBUGGER_ACTIVE?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  return (globalThis as Record<symbol, unknown>)[Symbol.for('lambda-debug.child')] !== true;
}

/**
 * Returns `handler` wrapped for debugging when `DEBUGGER_ACTIVE` is on, and `handler` itself otherwise (and
 * inside the debug process). Works from CommonJS and ESM.
 */
export function debuggable<T>(handler: T): T {
  if (typeof handler !== 'function' || !shouldWrap()) return handler;
  return (require('./entry/handler-proxy.js') as HandlerProxyModule).wrapHandler(handler, 'debuggable');
}

if (shouldWrap()) {
  (require('./entry/activation.js') as ActivationModule).activateSeed(module);
  // Node runs a cached module's body once; dropping this entry lets the next handler file that requires the
  // package run the activation for itself. (Inside a bundle there is no such cache to drop from.)
  if (require.cache?.[__filename] === module) delete require.cache[__filename];
}
