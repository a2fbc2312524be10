/**
 * The proxy<->broker link: one WebSocket from a Lambda's proxy to the broker's Lambda port.
 *
 * Every WebSocket message is a text frame of one of two kinds, told apart by the first byte:
 * - a control message: a JSON object (first byte `{`), validated by `decodeProxyMessage` /
 *   `decodeBrokerMessage`;
 * - a CDP frame: `cdp:<sessionId>\n<payload>`, where the payload is one DevTools Protocol message, carried as
 *   the exact bytes the debugger or the inspector produced. The broker reads only the header and passes the
 *   payload bytes through, so relaying costs no JSON parse and no re-encoding.
 */
import { type Decoded, decodedError, decodedOk } from './errors.js';
import { FieldReader, isRecord } from './fields.js';
import {
  FUNCTION_ID_PATTERN,
  MAX_CDP_HEADER_BYTES,
  MAX_CONTROL_MESSAGE_BYTES,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  SESSION_ID_PATTERN,
} from './limits.js';

/** Why a session ended; shown to users in logs, `lambda-debug sessions` and close reasons. */
export const SESSION_END_REASONS = [
  'completed',
  'no-debugger',
  'deadline',
  'child-crashed',
  'proxy-error',
  'lambda-disconnected',
  'broker-shutdown',
  'heartbeat-timeout',
] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/** Why a debugger left a session. */
export const DEBUGGER_DETACH_REASONS = ['closed', 'replaced', 'heartbeat-timeout', 'error'] as const;
export type DebuggerDetachReason = (typeof DEBUGGER_DETACH_REASONS)[number];

// ---- proxy -> broker -------------------------------------------------------------------------------------

/** First message on the link: who the proxy is and its credential. Nothing else is accepted before it. */
export interface HelloMessage {
  readonly type: 'hello';
  readonly protocolVersion: number;
  readonly functionId: string;
  /** The function's Lambda-role token (`DEBUGGER_TOKEN`); empty when the broker runs with `--no-auth`. */
  readonly token: string;
  /** `AWS_EXECUTION_ENV` or the Node version, for display. */
  readonly runtime: string;
  readonly proxyVersion: string;
}

/** One invocation waiting for (or running under) a debugger. The proxy picks the session id. */
export interface RegisterMessage {
  readonly type: 'register';
  readonly sessionId: string;
  readonly requestId: string;
  /** Absolute deadline of the invocation, epoch milliseconds. */
  readonly deadlineMs: number;
  readonly invokedFunctionArn?: string;
}

/** The proxy ends a session (the invocation finished, crashed, or ran out of time). */
export interface ProxySessionEndMessage {
  readonly type: 'session-end';
  readonly sessionId: string;
  readonly reason: SessionEndReason;
  readonly message?: string;
}

/** Application-level heartbeat; either side may send it, the other answers with the same `sentAtMs`. */
export interface HeartbeatMessage {
  readonly type: 'heartbeat';
  readonly sentAtMs: number;
  readonly reply: boolean;
}

export type ProxyMessage = HelloMessage | RegisterMessage | ProxySessionEndMessage | HeartbeatMessage;

// ---- broker -> proxy -------------------------------------------------------------------------------------

/** The broker accepted the hello. */
export interface WelcomeMessage {
  readonly type: 'welcome';
  readonly protocolVersion: number;
  readonly connectionId: string;
  /** How often the broker pings; a proxy that stops answering for longer than the timeout is dropped. */
  readonly heartbeatIntervalMs: number;
}

/** The broker accepted a registration. */
export interface RegisteredMessage {
  readonly type: 'registered';
  readonly sessionId: string;
}

/** A debugger is attached to the session; CDP frames may flow. */
export interface DebuggerAttachedMessage {
  readonly type: 'debugger-attached';
  readonly sessionId: string;
  readonly debuggerId: string;
  /** The debugger's address as the broker saw it, for the function's log. */
  readonly remoteAddress?: string;
}

/** The session's debugger went away. Another may attach later in the same invocation. */
export interface DebuggerDetachedMessage {
  readonly type: 'debugger-detached';
  readonly sessionId: string;
  readonly debuggerId: string;
  readonly reason: DebuggerDetachReason;
}

/** The broker ends a session (for example on shutdown). */
export interface BrokerSessionEndMessage {
  readonly type: 'session-end';
  readonly sessionId: string;
  readonly reason: SessionEndReason;
  readonly message?: string;
}

/** A refusal that does not close the link (for example a duplicate session id). */
export interface ErrorMessage {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
  readonly sessionId?: string;
}

export type BrokerMessage =
  | WelcomeMessage
  | RegisteredMessage
  | DebuggerAttachedMessage
  | DebuggerDetachedMessage
  | BrokerSessionEndMessage
  | ErrorMessage
  | HeartbeatMessage;

// ---- framing ---------------------------------------------------------------------------------------------

/** A decoded link frame: a control message, or a CDP payload for one session carried as raw bytes. */
export type LinkFrame<M> =
  | { readonly kind: 'control'; readonly message: M }
  | { readonly kind: 'cdp'; readonly sessionId: string; readonly payload: Buffer };

const CDP_PREFIX = Buffer.from('cdp:');
const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;

/** Encodes a control message as the text of one WebSocket message. */
export function encodeControl(message: ProxyMessage | BrokerMessage): string {
  return JSON.stringify(message);
}

/**
 * Builds a CDP frame around a payload without copying or parsing it more than once: the result is a list of
 * buffers suitable for a single `ws.send(Buffer.concat(...))`, or a string when the payload is a string.
 */
export function encodeCdpFrame(sessionId: string, payload: string): string;
export function encodeCdpFrame(sessionId: string, payload: Buffer): Buffer;
export function encodeCdpFrame(sessionId: string, payload: string | Buffer): string | Buffer {
  if (typeof payload === 'string') return `cdp:${sessionId}\n${payload}`;
  return Buffer.concat([CDP_PREFIX, Buffer.from(sessionId), Buffer.from([NEWLINE]), payload]);
}

function asBuffer(data: Buffer | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : data;
}

/**
 * Splits a link frame into control or CDP. Does not validate the control message's fields; see
 * `decodeProxyFrame` / `decodeBrokerFrame`.
 */
function splitFrame(
  data: Buffer | string,
): Decoded<{ kind: 'control'; json: unknown } | { kind: 'cdp'; sessionId: string; payload: Buffer }> {
  const bytes = asBuffer(data);
  if (bytes.length === 0) return decodedError('truncated-frame', 'empty frame');
  if (bytes.length > MAX_FRAME_BYTES) {
    return decodedError(
      'frame-too-large',
      `frame of ${bytes.length} bytes exceeds the limit of ${MAX_FRAME_BYTES}`,
    );
  }
  if (bytes[0] === OPEN_BRACE) {
    if (bytes.length > MAX_CONTROL_MESSAGE_BYTES) {
      return decodedError(
        'frame-too-large',
        `control message of ${bytes.length} bytes exceeds the limit of ${MAX_CONTROL_MESSAGE_BYTES}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      return decodedError('malformed-json', 'control message is not valid JSON');
    }
    return decodedOk({ kind: 'control', json });
  }
  if (bytes.subarray(0, CDP_PREFIX.length).equals(CDP_PREFIX)) {
    const searchEnd = Math.min(bytes.length, MAX_CDP_HEADER_BYTES);
    const newline = bytes.subarray(0, searchEnd).indexOf(NEWLINE);
    if (newline < 0) {
      return bytes.length < MAX_CDP_HEADER_BYTES
        ? decodedError('truncated-frame', 'CDP frame header has no end of line')
        : decodedError('malformed-frame', 'CDP frame header is too long');
    }
    const sessionId = bytes.subarray(CDP_PREFIX.length, newline).toString('latin1');
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      return decodedError('malformed-frame', 'CDP frame header carries an invalid session id', 'sessionId');
    }
    const payload = bytes.subarray(newline + 1);
    if (payload.length === 0) return decodedError('truncated-frame', 'CDP frame has no payload');
    return decodedOk({ kind: 'cdp', sessionId, payload });
  }
  return decodedError('malformed-frame', 'frame is neither a control message nor a CDP frame');
}

function decodeFrame<M>(
  data: Buffer | string,
  decodeMessage: (json: unknown) => Decoded<M>,
): Decoded<LinkFrame<M>> {
  const split = splitFrame(data);
  if (!split.ok) return split;
  if (split.value.kind === 'cdp') return decodedOk(split.value);
  const message = decodeMessage(split.value.json);
  if (!message.ok) return message;
  return decodedOk({ kind: 'control', message: message.value });
}

/** Decodes a frame the broker received from a proxy. Never throws. */
export function decodeProxyFrame(data: Buffer | string): Decoded<LinkFrame<ProxyMessage>> {
  return decodeFrame(data, decodeProxyMessage);
}

/** Decodes a frame the proxy received from the broker. Never throws. */
export function decodeBrokerFrame(data: Buffer | string): Decoded<LinkFrame<BrokerMessage>> {
  return decodeFrame(data, decodeBrokerMessage);
}

// ---- message validators ----------------------------------------------------------------------------------

const idOptions = { pattern: SESSION_ID_PATTERN } as const;

function decodeHeartbeat(fields: FieldReader): Decoded<HeartbeatMessage> {
  const sentAtMs = fields.number('sentAtMs', { min: 0 });
  const reply = fields.boolean('reply');
  return fields.result(() => ({ type: 'heartbeat', sentAtMs, reply }));
}

function decodeSessionEnd(fields: FieldReader): Decoded<ProxySessionEndMessage> {
  const sessionId = fields.string('sessionId', idOptions);
  const reason = fields.oneOf('reason', SESSION_END_REASONS);
  const message = fields.optionalString('message', { maxLength: 1024 });
  return fields.result(() => ({
    type: 'session-end',
    sessionId,
    reason,
    ...(message === undefined ? {} : { message }),
  }));
}

/** Validates a control message sent by a proxy. */
export function decodeProxyMessage(json: unknown): Decoded<ProxyMessage> {
  if (!isRecord(json)) return decodedError('not-an-object', 'control message must be a JSON object');
  const type = json.type;
  if (typeof type !== 'string') return decodedError('missing-field', 'control message has no "type"', 'type');
  const fields = new FieldReader(json, type);
  switch (type) {
    case 'hello': {
      const protocolVersion = fields.number('protocolVersion', { integer: true, min: 0 });
      const functionId = fields.string('functionId', { pattern: FUNCTION_ID_PATTERN });
      const token = fields.string('token', { maxLength: 512 });
      const runtime = fields.string('runtime', { maxLength: 128 });
      const proxyVersion = fields.string('proxyVersion', { maxLength: 64 });
      const hello = fields.result<HelloMessage>(() => ({
        type: 'hello',
        protocolVersion,
        functionId,
        token,
        runtime,
        proxyVersion,
      }));
      if (hello.ok && hello.value.protocolVersion !== PROTOCOL_VERSION) {
        return decodedError(
          'unsupported-version',
          `protocol version ${hello.value.protocolVersion} is not supported (this side speaks ${PROTOCOL_VERSION})`,
          'protocolVersion',
        );
      }
      return hello;
    }
    case 'register': {
      const sessionId = fields.string('sessionId', idOptions);
      const requestId = fields.string('requestId', { maxLength: 256 });
      const deadlineMs = fields.number('deadlineMs', { min: 0 });
      const invokedFunctionArn = fields.optionalString('invokedFunctionArn', { maxLength: 2048 });
      return fields.result(() => ({
        type: 'register',
        sessionId,
        requestId,
        deadlineMs,
        ...(invokedFunctionArn === undefined ? {} : { invokedFunctionArn }),
      }));
    }
    case 'session-end':
      return decodeSessionEnd(fields);
    case 'heartbeat':
      return decodeHeartbeat(fields);
    default:
      return decodedError('unknown-type', `unknown control message type "${type.slice(0, 64)}"`, 'type');
  }
}

/** Validates a control message sent by the broker. */
export function decodeBrokerMessage(json: unknown): Decoded<BrokerMessage> {
  if (!isRecord(json)) return decodedError('not-an-object', 'control message must be a JSON object');
  const type = json.type;
  if (typeof type !== 'string') return decodedError('missing-field', 'control message has no "type"', 'type');
  const fields = new FieldReader(json, type);
  switch (type) {
    case 'welcome': {
      const protocolVersion = fields.number('protocolVersion', { integer: true, min: 0 });
      const connectionId = fields.string('connectionId', idOptions);
      const heartbeatIntervalMs = fields.number('heartbeatIntervalMs', { min: 1 });
      const welcome = fields.result<WelcomeMessage>(() => ({
        type: 'welcome',
        protocolVersion,
        connectionId,
        heartbeatIntervalMs,
      }));
      if (welcome.ok && welcome.value.protocolVersion !== PROTOCOL_VERSION) {
        return decodedError(
          'unsupported-version',
          `protocol version ${welcome.value.protocolVersion} is not supported (this side speaks ${PROTOCOL_VERSION})`,
          'protocolVersion',
        );
      }
      return welcome;
    }
    case 'registered': {
      const sessionId = fields.string('sessionId', idOptions);
      return fields.result(() => ({ type: 'registered', sessionId }));
    }
    case 'debugger-attached': {
      const sessionId = fields.string('sessionId', idOptions);
      const debuggerId = fields.string('debuggerId', idOptions);
      const remoteAddress = fields.optionalString('remoteAddress', { maxLength: 256 });
      return fields.result(() => ({
        type: 'debugger-attached',
        sessionId,
        debuggerId,
        ...(remoteAddress === undefined ? {} : { remoteAddress }),
      }));
    }
    case 'debugger-detached': {
      const sessionId = fields.string('sessionId', idOptions);
      const debuggerId = fields.string('debuggerId', idOptions);
      const reason = fields.oneOf('reason', DEBUGGER_DETACH_REASONS);
      return fields.result(() => ({ type: 'debugger-detached', sessionId, debuggerId, reason }));
    }
    case 'session-end':
      return decodeSessionEnd(fields);
    case 'error': {
      const code = fields.string('code', { maxLength: 64 });
      const message = fields.string('message', { maxLength: 1024 });
      const sessionId = fields.optionalString('sessionId', idOptions);
      return fields.result(() => ({
        type: 'error',
        code,
        message,
        ...(sessionId === undefined ? {} : { sessionId }),
      }));
    }
    case 'heartbeat':
      return decodeHeartbeat(fields);
    default:
      return decodedError('unknown-type', `unknown control message type "${type.slice(0, 64)}"`, 'type');
  }
}
