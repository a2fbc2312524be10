/**
 * The broker's admin surface (`GET /admin/sessions`, the `/admin/events` WebSocket), read by
 * `lambda-debug sessions`. Authenticated with the admin token derived from the broker secret.
 */
import type { SessionEndReason } from './lambda-link.js';

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
