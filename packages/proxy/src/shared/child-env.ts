/**
 * Environment variables the parent sets for the child. They are read and removed by the child before the
 * handler's code loads, so the handler sees the same environment as in the parent.
 */

/** Hex nonce the parent presents on every inspector bridge connection. */
export const ENV_BRIDGE_NONCE = '_LAMBDA_DEBUG_BRIDGE_NONCE';

/** The handler string the child loads (`DEBUGGER_HANDLER` in wrapper mode, else `_HANDLER`). */
export const ENV_HANDLER = '_LAMBDA_DEBUG_HANDLER';

/** Keys of `globalThis.awslambda` in the parent (comma separated); absent when the parent has none. */
export const ENV_AWSLAMBDA_KEYS = '_LAMBDA_DEBUG_AWSLAMBDA_KEYS';

/** All of them, for removal. */
export const CHILD_ENV_KEYS = [ENV_BRIDGE_NONCE, ENV_HANDLER, ENV_AWSLAMBDA_KEYS] as const;
