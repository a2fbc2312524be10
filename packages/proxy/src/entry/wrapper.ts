/**
 * The no-code-change setup: the function's handler setting points at the proxy's wrapper handler
 * (`node_modules/@lambda-debug/proxy/wrapper.handler`, the package's `wrapper.mjs`) and `DEBUGGER_HANDLER` names
 * the original handler. The wrapper loads the original exactly as the runtime would have (same resolution rules,
 * same `Runtime.*` errors, during init), and returns it untouched when debugging is off. With debugging off it
 * loads only what loading the handler needs (the loader and the runtime's error kinds): the wrapping code, its
 * context and result helpers and the proxy's own errors are required only when they are used.
 */
import { isDebugChild, isDebuggingActive } from '../shared/flags.js';
import { type HandlerFunction, loadHandler } from '../shared/handler-loader.js';
import { detectRuntimeGeneration } from '../shared/runtime-errors.js';

type HandlerProxyModule = typeof import('./handler-proxy.js');
type ProxyErrorsModule = typeof import('../parent/proxy-errors.js');

/** Loads the handler named by `DEBUGGER_HANDLER`; wrapped when debugging is on. */
export async function loadWrappedHandler(env: NodeJS.ProcessEnv = process.env): Promise<HandlerFunction> {
  const handlerString = env.DEBUGGER_HANDLER?.trim();
  if (!handlerString) {
    const { LambdaDebugError } = require('../parent/proxy-errors.js') as ProxyErrorsModule;
    throw new LambdaDebugError(
      'LambdaDebug.HandlerNotConfigured',
      "DEBUGGER_HANDLER is not set. With the handler setting at node_modules/@lambda-debug/proxy/wrapper.handler, set DEBUGGER_HANDLER to the function's own handler (for example index.handler).",
    );
  }
  const appRoot = env.LAMBDA_TASK_ROOT ?? process.cwd();
  const handler = await loadHandler(appRoot, handlerString, detectRuntimeGeneration(env));
  if (isDebugChild() || !isDebuggingActive(env)) return handler;
  return (require('./handler-proxy.js') as HandlerProxyModule).wrapHandler(handler, 'wrapper');
}
