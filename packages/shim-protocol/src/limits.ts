/** Version spoken in the proxy<->broker handshake. Bump on any incompatible change to the framing or messages. */
export const PROTOCOL_VERSION = 1;

/**
 * Largest WebSocket message either side of the broker accepts. Big enough for a multi-megabyte script source
 * (`Debugger.getScriptSourceResponse`) or a large `Runtime.evaluate` result; heap snapshot chunks are far smaller.
 */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Longest a Lambda invocation can run (the Lambda service maximum, 15 minutes); a later deadline is not real. */
export const LAMBDA_MAX_TIMEOUT_MS = 15 * 60 * 1000;

/** Largest control (JSON) message. Control messages are small; anything bigger is an attack or a bug. */
export const MAX_CONTROL_MESSAGE_BYTES = 64 * 1024;

/** Longest CDP frame header (`cdp:<sessionId>\n`): the prefix, a session id and the newline. */
export const MAX_CDP_HEADER_BYTES = 4 + 128 + 1;

/** Function ids, as in the contract: 1 to 128 characters of `A-Z a-z 0-9 . _ -`. */
export const FUNCTION_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** Session ids share the function id alphabet so they are safe in URLs and log lines. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** True when `value` is a valid function id. */
export function isValidFunctionId(value: unknown): value is string {
  return typeof value === 'string' && FUNCTION_ID_PATTERN.test(value);
}

/** True when `value` is a valid session id. */
export function isValidSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_PATTERN.test(value);
}
