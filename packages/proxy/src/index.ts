/**
 * `@lambda-debug/proxy`: step through a live AWS Lambda handler with a debugger.
 *
 * Three ways to turn it on (see the README): `require('@lambda-debug/proxy')` as the last line of a CommonJS
 * handler file; `debuggable(handler)`; or the wrapper handler with `DEBUGGER_HANDLER`. With `DEBUGGER_ACTIVE` off
 * this module does one environment lookup and nothing else: every other part of the package is loaded on demand.
 */
import { isDebugChild, isDebuggingActive } from './flags.js';

export { PROXY_ERROR_PREFIX, ProxyErrorType, type ProxyErrorTypeName } from './proxy-errors.js';

type HandlerProxyModule = typeof import('./handler-proxy.js');
type ActivationModule = typeof import('./activation.js');

/**
 * Returns `handler` wrapped for debugging when `DEBUGGER_ACTIVE` is on, and `handler` itself otherwise (and
 * inside the debug process). Works from CommonJS and ESM.
 */
export function debuggable<T>(handler: T): T {
  if (typeof handler !== 'function' || isDebugChild() || !isDebuggingActive()) return handler;
  return (require('./handler-proxy.js') as HandlerProxyModule).wrapHandler(handler, 'debuggable');
}

if (isDebuggingActive() && !isDebugChild()) {
  (require('./activation.js') as ActivationModule).activateSeed(module);
  // Node runs a cached module's body once; dropping this entry lets the next handler file that requires the
  // package run the activation for itself. (Inside a bundle there is no such cache to drop from.)
  if (require.cache?.[__filename] === module) delete require.cache[__filename];
}
