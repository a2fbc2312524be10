/**
 * WebSocket close codes used by the broker and the proxy. One table, so a close seen on either side can be
 * explained with the same words. 1000-1011 are the standard codes; 4000-4999 are ours.
 */
export const CloseCode = {
  /** The session finished normally (the invocation returned). */
  NORMAL: 1000,
  /** The broker is shutting down. */
  GOING_AWAY: 1001,
  /** A frame was larger than `MAX_FRAME_BYTES` (or `MAX_CONTROL_MESSAGE_BYTES` for a control message). */
  FRAME_TOO_LARGE: 1009,
  /** Unexpected failure inside the broker or proxy; the other sessions carry on. */
  INTERNAL_ERROR: 1011,
  /** A frame that could not be decoded: not JSON, truncated header, missing or invalid fields. */
  MALFORMED_FRAME: 4000,
  /** A well-formed message of a type this side does not know or does not accept in this state. */
  UNKNOWN_MESSAGE: 4001,
  /** The peer speaks another protocol version. */
  UNSUPPORTED_VERSION: 4002,
  /** The peer did not complete the handshake in time. */
  HANDSHAKE_TIMEOUT: 4003,
  /** Missing, wrong, or wrongly scoped token. */
  UNAUTHORIZED: 4010,
  /** The session this socket belonged to ended (see the reason text). */
  SESSION_ENDED: 4020,
  /** The Lambda side of the session disconnected. */
  LAMBDA_GONE: 4021,
  /** The debugger side of the session disconnected. */
  DEBUGGER_GONE: 4022,
  /** The invocation's deadline was about to pass; the session was ended so the function can return. */
  DEADLINE: 4023,
  /** Another debugger took this session over. */
  REPLACED: 4024,
  /** The peer stopped answering heartbeats. */
  HEARTBEAT_TIMEOUT: 4030,
  /** The requested session or function has nothing to attach to and holding is not possible. */
  SESSION_NOT_FOUND: 4040,
  /** A limit was reached (sessions, held debuggers, queued bytes). */
  CAPACITY: 4050,
} as const;

export type CloseCodeName = keyof typeof CloseCode;
export type CloseCodeValue = (typeof CloseCode)[CloseCodeName];

const namesByCode = new Map<number, CloseCodeName>(
  Object.entries(CloseCode).map(([name, code]) => [code, name as CloseCodeName]),
);

/** The table's name for a close code, or `undefined` for codes we never send. */
export function closeCodeName(code: number): CloseCodeName | undefined {
  return namesByCode.get(code);
}

/**
 * WebSocket close reasons are limited to 123 bytes of UTF-8. Longer reasons make `ws` throw, so every reason
 * goes through here.
 */
export function truncateCloseReason(reason: string): string {
  const maxBytes = 123;
  if (Buffer.byteLength(reason) <= maxBytes) return reason;
  const ellipsis = '…';
  let cut = reason.slice(0, maxBytes);
  while (Buffer.byteLength(cut) + Buffer.byteLength(ellipsis) > maxBytes) cut = cut.slice(0, -1);
  return cut + ellipsis;
}
