/**
 * Wraps a handler so that, with debugging on, the runtime's call goes through the proxy. The wrapper is a
 * `Proxy` of the handler: `length` (which 4.x inspects to refuse callback-style handlers), `name`, static
 * properties and symbols (`awslambda.streamifyResponse` marks) read through to the original, and `new` still
 * constructs the original. Calls that are not the runtime calling a handler (no Lambda context as the second
 * argument, or a handler called from inside an invocation already being handled) go straight to the original.
 * Inside a Lambda runtime, the first wrap also starts the debug process (see `prestartOnce`); elsewhere the
 * invocation code (ws, child processes) is loaded on the first real invocation only.
 */
import { isNestedCall, processWideWeakSet } from '../parent/active-contexts.js';
import type { HandlerOrigin } from '../parent/invocation.js';
import { isLambdaContext } from '../shared/context-shim.js';
import { captureCallerFrames } from '../shared/result-codec.js';

const WRAPPED_KEY = Symbol.for('lambda-debug.wrapped-handlers');

function wrappedHandlers(): WeakSet<object> {
  return processWideWeakSet(WRAPPED_KEY);
}

/** True when `value` is a handler this package already wrapped (any copy of it). */
export function isWrappedHandler(value: unknown): boolean {
  return typeof value === 'function' && wrappedHandlers().has(value);
}

type Invocations = typeof import('../parent/invocation.js');
let invocations: Invocations | undefined;

/** Wraps `handler`; a handler that is already wrapped is returned as is. */
export function wrapHandler<T extends object>(handler: T, origin: HandlerOrigin): T {
  if (typeof handler !== 'function' || isWrappedHandler(handler)) return handler;
  const proxy = new Proxy(handler, {
    apply(target, thisArg, args: unknown[]) {
      const context = args[1];
      if (!isLambdaContext(context) || isNestedCall(context)) return Reflect.apply(target, thisArg, args);
      // The runtime's frames right here are what a synchronous throw in the handler would have recorded.
      const syncFrames = captureCallerFrames();
      invocations ??= require('../parent/invocation.js') as Invocations;
      return invocations.handleInvocation({
        target: target as (...callArgs: unknown[]) => unknown,
        thisArg,
        args,
        origin,
        syncFrames,
      });
    },
  });
  wrappedHandlers().add(proxy);
  prestartOnce(origin);
  return proxy;
}

let prestartRequested = false;

/**
 * Starts the debug process ahead of the first invocation, once per process, and only inside a Lambda runtime
 * (which sets `AWS_LAMBDA_RUNTIME_API`): wrapping a handler anywhere else (a test, a script) starts nothing.
 * The wrapper handler's own wrap decides the handler string when it is in use (`DEBUGGER_HANDLER` set): a
 * handler it loads may wrap itself first, under the runtime's `_HANDLER`, which is the wrapper.
 */
function prestartOnce(origin: HandlerOrigin): void {
  const env = process.env;
  if (prestartRequested || env.AWS_LAMBDA_RUNTIME_API === undefined) return;
  if (origin !== 'wrapper' && env.DEBUGGER_HANDLER !== undefined && env.DEBUGGER_HANDLER !== '') return;
  prestartRequested = true;
  invocations ??= require('../parent/invocation.js') as Invocations;
  invocations.prestartChild(origin);
}
