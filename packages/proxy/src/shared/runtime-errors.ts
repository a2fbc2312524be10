/**
 * The runtime client's own handler-loading errors (`Runtime.ImportModuleError`, `Runtime.HandlerNotFound`, ...),
 * built the way each client generation builds them, so Lambda reports the same `errorType`, message and log line
 * whether the handler was loaded by the runtime or by the proxy.
 */

/** The two generations of `aws-lambda-ric`, which load handlers by different rules. */
export type RuntimeGeneration =
  /** 3.x (nodejs20.x, nodejs22.x): `require` first, `import()` for ESM, callback-style handlers allowed. */
  | 'ric3'
  /** 4.x (nodejs24.x): `import()` for everything, callback-style handlers refused at init. */
  | 'ric4';

/** Which runtime client generation this Lambda uses: by `AWS_EXECUTION_ENV`, else by the Node version. */
export function detectRuntimeGeneration(
  env: NodeJS.ProcessEnv = process.env,
  nodeVersion = process.versions.node,
): RuntimeGeneration {
  const match = /^AWS_Lambda_nodejs(\d+)/.exec(env.AWS_EXECUTION_ENV ?? '');
  const major = match ? Number(match[1]) : Number(nodeVersion.split('.')[0]);
  return major >= 24 ? 'ric4' : 'ric3';
}

/** Kinds of loading failure, named as the runtime names them (without the `Runtime.` prefix). */
export type RuntimeErrorKind =
  | 'ImportModuleError'
  | 'HandlerNotFound'
  | 'MalformedHandlerName'
  | 'UserCodeSyntaxError'
  | 'CallbackHandlerDeprecated';

/** The message 4.x uses when it refuses a callback-style handler (`handler.length >= 3`) on nodejs24.x and later. */
export const CALLBACK_HANDLER_REFUSED_MESSAGE =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

type Ric3ErrorClass = new (message?: string) => Error;

const ric3Classes = new Map<RuntimeErrorKind, Ric3ErrorClass>();

function ric3Class(kind: RuntimeErrorKind): Ric3ErrorClass {
  const known = ric3Classes.get(kind);
  if (known) return known;
  // 3.x declares `class X extends Error {}` and puts the name on the prototype: no own `name` property.
  const created = class extends Error {};
  Object.defineProperty(created.prototype, 'name', {
    value: `Runtime.${kind}`,
    writable: true,
    configurable: true,
  });
  ric3Classes.set(kind, created);
  return created;
}

/**
 * Builds the runtime's error for `kind`. `cause` is the original error for the kinds that wrap one
 * (`ImportModuleError`, `UserCodeSyntaxError`): its string form becomes the message, as in the runtime.
 */
export function createRuntimeError(
  generation: RuntimeGeneration,
  kind: RuntimeErrorKind,
  messageOrCause: unknown,
): Error {
  if (generation === 'ric3') {
    const Cls = ric3Class(kind);
    // 3.x passes the original error to `super()`, which stringifies it: the same as `String(err)`.
    return new Cls(String(messageOrCause));
  }
  const error = new Error(String(messageOrCause));
  // 4.x assigns `this.name` in each constructor: an own, enumerable property.
  error.name = `Runtime.${kind}`;
  if (
    kind === 'UserCodeSyntaxError' &&
    messageOrCause instanceof Error &&
    messageOrCause.stack !== undefined
  ) {
    error.stack = messageOrCause.stack;
  }
  return error;
}
