/**
 * The broker's admin surface (`GET /admin/sessions`, the `/admin/events` WebSocket), read by
 * `lambda-debug sessions`. Authenticated with the admin token derived from the broker secret.
 */
import { type Decoded, decodedError } from './errors.js';
import { FieldReader, isRecord } from './fields.js';
import { SESSION_END_REASONS, type SessionEndReason } from './lambda-link.js';
import { FUNCTION_ID_PATTERN, SESSION_ID_PATTERN } from './limits.js';

export const SESSION_STATES = ['waiting', 'attached', 'ended'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** One session as the admin API shows it. */
export interface SessionSummary {
  readonly sessionId: string;
  readonly functionId: string;
  readonly requestId: string;
  readonly state: SessionState;
  readonly runtime: string;
  /** Epoch milliseconds. */
  readonly registeredAtMs: number;
  /** Absolute deadline of the invocation, epoch milliseconds. */
  readonly deadlineMs: number;
  /** The attached debugger's address, when one is attached. */
  readonly debuggerAddress?: string;
  readonly endReason?: SessionEndReason;
}

export const SESSION_EVENT_TYPES = [
  'session-registered',
  'debugger-attached',
  'debugger-detached',
  'session-ended',
] as const;
export type SessionEventType = (typeof SESSION_EVENT_TYPES)[number];

/** One change to a session, as streamed by `/admin/events` (one JSON object per WebSocket message). */
export interface SessionEvent {
  readonly type: SessionEventType;
  /** Epoch milliseconds. */
  readonly atMs: number;
  readonly session: SessionSummary;
}

/** The body of `GET /admin/sessions`. */
export interface SessionListResponse {
  readonly sessions: readonly SessionSummary[];
}

// ---- validators (for clients of the admin API, such as `lambda-debug sessions`) ----------------------------

/** Validates one session summary from the admin API. Never throws. */
export function decodeSessionSummary(json: unknown): Decoded<SessionSummary> {
  if (!isRecord(json)) return decodedError('not-an-object', 'session must be a JSON object');
  const fields = new FieldReader(json, 'session');
  const sessionId = fields.string('sessionId', { pattern: SESSION_ID_PATTERN });
  const functionId = fields.string('functionId', { pattern: FUNCTION_ID_PATTERN });
  const requestId = fields.string('requestId', { maxLength: 256 });
  const state = fields.oneOf('state', SESSION_STATES);
  const runtime = fields.string('runtime', { maxLength: 128 });
  const registeredAtMs = fields.number('registeredAtMs', { min: 0 });
  const deadlineMs = fields.number('deadlineMs', { min: 0 });
  const debuggerAddress = fields.optionalString('debuggerAddress', { maxLength: 256 });
  const endReason = fields.optionalOneOf('endReason', SESSION_END_REASONS);
  return fields.result<SessionSummary>(() => ({
    sessionId,
    functionId,
    requestId,
    state,
    runtime,
    registeredAtMs,
    deadlineMs,
    ...(debuggerAddress === undefined ? {} : { debuggerAddress }),
    ...(endReason === undefined ? {} : { endReason }),
  }));
}

/** Validates one `/admin/events` message (already parsed from JSON). Never throws. */
export function decodeSessionEvent(json: unknown): Decoded<SessionEvent> {
  if (!isRecord(json)) return decodedError('not-an-object', 'session event must be a JSON object');
  const fields = new FieldReader(json, 'session event');
  const type = fields.oneOf('type', SESSION_EVENT_TYPES);
  const atMs = fields.number('atMs', { min: 0 });
  const session = fields.nested('session', decodeSessionSummary, false);
  return fields.result<SessionEvent>(() => ({ type, atMs, session: session as SessionSummary }));
}

/** Validates the body of `GET /admin/sessions` (already parsed from JSON). Never throws. */
export function decodeSessionListResponse(json: unknown): Decoded<SessionListResponse> {
  if (!isRecord(json)) return decodedError('not-an-object', 'session list must be a JSON object');
  const list = json.sessions;
  if (!Array.isArray(list)) {
    return decodedError(
      list === undefined ? 'missing-field' : 'invalid-field',
      'session list: field "sessions" must be an array',
      'sessions',
    );
  }
  const sessions: SessionSummary[] = [];
  for (const [index, item] of list.entries()) {
    const decoded = decodeSessionSummary(item);
    if (!decoded.ok) {
      return decodedError(
        'invalid-field',
        `session list: sessions[${index}]: ${decoded.error.message}`,
        'sessions',
      );
    }
    sessions.push(decoded.value);
  }
  return { ok: true, value: { sessions } };
}
