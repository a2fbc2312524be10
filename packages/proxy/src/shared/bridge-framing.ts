/**
 * Framing on the socket between the parent and the child's inspector bridge. Each frame is a 4-byte big-endian
 * length, then one kind byte, then the payload: CDP frames carry one DevTools Protocol message as UTF-8 JSON
 * (which may contain newlines: pretty-printed JSON from a debugger is legal), control frames carry one bridge
 * control message. This link never leaves the machine (127.0.0.1) and only the parent, which knows the nonce
 * the child was started with, may use it.
 */
import { MAX_BRIDGE_FRAME_BYTES } from './limits.js';

/** What a frame carries. */
export const BridgeFrameKind = { Cdp: 1, Control: 2 } as const;
/** One of `BridgeFrameKind`'s values. */
export type BridgeFrameKindValue = (typeof BridgeFrameKind)[keyof typeof BridgeFrameKind];

/** Control messages, parent -> bridge. */
export type ParentControl =
  /** First frame on every connection: proves the peer is the parent that started the child. */
  | { readonly type: 'hello'; readonly nonce: string }
  /** Show a line in the debugger's console (for example: the deadline is near). */
  | { readonly type: 'notice'; readonly level: 'info' | 'warning'; readonly text: string }
  /** Answer with `flushed` once every CDP message the bridge has so far has been written before it. */
  | { readonly type: 'flush'; readonly id: number }
  /**
   * The debugger left. If the handler is paused, keep this connection's inspector session (and so the pause)
   * and answer `held`, until the parent closes the connection or another debugger takes over; otherwise answer
   * `released` and close it.
   */
  | { readonly type: 'hold' };

/** Control messages, bridge -> parent. */
export type BridgeControl =
  /** The debugger sent `Runtime.runIfWaitingForDebugger`: it is set up, the handler may start. */
  | { readonly type: 'run-requested' }
  /** Every CDP message the bridge had when `flush` arrived was written before this frame. */
  | { readonly type: 'flushed'; readonly id: number }
  /** Answers `hold`: the handler is paused and this session keeps it so. */
  | { readonly type: 'held' }
  /** Answers `hold`: the handler was not paused; the session is closed. */
  | { readonly type: 'released' };

/** One decoded frame. */
export interface BridgeFrame {
  readonly kind: BridgeFrameKindValue;
  readonly payload: Buffer;
}

const HEADER_BYTES = 5;

/** Encodes one frame. */
export function encodeBridgeFrame(kind: BridgeFrameKindValue, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(body.length + 1, 0);
  header.writeUInt8(kind, 4);
  return Buffer.concat([header, body]);
}

/** Encodes a control message. */
export function encodeControlFrame(message: ParentControl | BridgeControl): Buffer {
  return encodeBridgeFrame(BridgeFrameKind.Control, JSON.stringify(message));
}

/** A frame that breaks the framing rules: the connection must be dropped. */
export class BridgeFramingError extends Error {
  override readonly name = 'BridgeFramingError';
}

/** Reassembles frames from socket chunks. */
export class BridgeFrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #maxFrameBytes: number;

  constructor(maxFrameBytes: number = MAX_BRIDGE_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Adds bytes and returns every frame completed by them. Throws `BridgeFramingError` on a bad frame. */
  push(chunk: Buffer): BridgeFrame[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const frames: BridgeFrame[] = [];
    while (this.#buffered >= 4) {
      const head = this.#peek(4);
      const length = head.readUInt32BE(0);
      if (length < 1 || length > this.#maxFrameBytes) {
        throw new BridgeFramingError(`bridge frame of ${length} bytes is outside 1..${this.#maxFrameBytes}`);
      }
      if (this.#buffered < 4 + length) break;
      const frame = this.#take(4 + length);
      const kind = frame.readUInt8(4);
      if (kind !== BridgeFrameKind.Cdp && kind !== BridgeFrameKind.Control) {
        throw new BridgeFramingError(`unknown bridge frame kind ${kind}`);
      }
      frames.push({ kind, payload: frame.subarray(HEADER_BYTES) });
    }
    return frames;
  }

  #peek(bytes: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= bytes) return first.subarray(0, bytes);
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined.subarray(0, bytes);
  }

  #take(bytes: number): Buffer {
    const joined = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
    const taken = joined.subarray(0, bytes);
    const rest = joined.subarray(bytes);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return taken;
  }
}

/** Parses a control frame's payload; `undefined` for anything that is not a JSON object with a string `type`. */
export function parseControl(
  payload: Buffer,
): { readonly type: string; readonly [key: string]: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { type?: unknown }).type === 'string'
    ) {
      return value as { type: string };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
