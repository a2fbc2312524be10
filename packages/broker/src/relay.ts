import type { RawData, WebSocket } from 'ws';

/**
 * Backpressure between the two sides of the broker. Data is forwarded as it arrives; when a receiver has more
 * than `highWaterBytes` waiting in its send buffer, the socket that fed it is paused (it stops being read, so
 * TCP flow control slows its peer down) and resumed once the receiver has drained to a quarter of that. No
 * queue grows without bound: at most the high-water mark plus one frame waits per receiver.
 *
 * One proxy link may feed several debuggers and several debuggers may feed one link, so a source stays paused
 * while any receiver it fed is still over the mark.
 */
export class FlowController {
  #highWaterBytes: number;
  #lowWaterBytes: number;
  /** Paused source -> the receivers it is waiting for. */
  #blockedBy = new Map<WebSocket, Set<WebSocket>>();
  /** Congested receiver -> the sources paused because of it. */
  #blocking = new Map<WebSocket, Set<WebSocket>>();

  constructor(options: { highWaterBytes: number }) {
    this.#highWaterBytes = options.highWaterBytes;
    this.#lowWaterBytes = Math.floor(options.highWaterBytes / 4);
  }

  /**
   * Sends `data` as one text message to `receiver`, pausing `source` if the receiver is congested. Payload
   * buffers are sent as they are: a text frame carries their bytes without any re-encoding.
   */
  forward(source: WebSocket | undefined, receiver: WebSocket, data: Buffer | string): void {
    if (receiver.readyState !== receiver.OPEN) return;
    receiver.send(data, { binary: false }, (error) => {
      if (!error) this.#maybeRelease(receiver);
    });
    if (source !== undefined && receiver.bufferedAmount > this.#highWaterBytes) this.#block(source, receiver);
  }

  /** True while `socket` is paused by this controller. */
  isPaused(socket: WebSocket): boolean {
    return this.#blockedBy.has(socket);
  }

  /** Number of sockets currently paused, for stats. */
  get pausedCount(): number {
    return this.#blockedBy.size;
  }

  /** Forgets a closed socket: sources waiting only for it resume, and it stops waiting for anyone. */
  forget(socket: WebSocket): void {
    this.#release(socket);
    for (const receiver of this.#blockedBy.get(socket) ?? []) {
      const sources = this.#blocking.get(receiver);
      sources?.delete(socket);
      if (sources?.size === 0) this.#blocking.delete(receiver);
    }
    this.#blockedBy.delete(socket);
  }

  #block(source: WebSocket, receiver: WebSocket): void {
    let receivers = this.#blockedBy.get(source);
    if (!receivers) {
      receivers = new Set();
      this.#blockedBy.set(source, receivers);
      source.pause();
    }
    receivers.add(receiver);
    let sources = this.#blocking.get(receiver);
    if (!sources) {
      sources = new Set();
      this.#blocking.set(receiver, sources);
    }
    sources.add(source);
  }

  #maybeRelease(receiver: WebSocket): void {
    if (!this.#blocking.has(receiver) || receiver.bufferedAmount > this.#lowWaterBytes) return;
    this.#release(receiver);
  }

  #release(receiver: WebSocket): void {
    const sources = this.#blocking.get(receiver);
    if (!sources) return;
    this.#blocking.delete(receiver);
    for (const source of sources) {
      const receivers = this.#blockedBy.get(source);
      receivers?.delete(receiver);
      if (receivers && receivers.size === 0) {
        this.#blockedBy.delete(source);
        source.resume();
      }
    }
  }
}

/** One WebSocket message as a single buffer (`ws` hands over fragmented messages as a list). */
export function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
