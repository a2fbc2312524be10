/**
 * One attached debugger's CDP traffic between the broker link and the child's inspector bridge. Payloads are
 * passed through as the bytes they arrived as, in order, in both directions. What the debugger sends before the
 * bridge connection is up is queued (up to `MAX_QUEUED_CDP_BYTES`) and flushed, in order, once it is.
 */

import { MAX_QUEUED_CDP_BYTES } from '../shared/limits.js';
import type { BridgeClient } from './bridge-client.js';

/** A relay for one attached debugger. */
export class CdpRelay {
  readonly #maxQueuedBytes: number;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #bridge: BridgeClient | undefined;
  #closed = false;
  #overflowed = false;

  constructor(maxQueuedBytes: number = MAX_QUEUED_CDP_BYTES) {
    this.#maxQueuedBytes = maxQueuedBytes;
  }

  /** A CDP message from the debugger. False when the queue limit was exceeded (the debugger must be dropped). */
  fromDebugger(payload: Buffer): boolean {
    if (this.#closed) return true;
    if (this.#bridge) {
      this.#bridge.sendCdp(payload);
      return true;
    }
    if (this.#queuedBytes + payload.length > this.#maxQueuedBytes) {
      this.#overflowed = true;
      return false;
    }
    this.#queue.push(payload);
    this.#queuedBytes += payload.length;
    return true;
  }

  /** The bridge connection is up: flush the queue into it, in order. */
  connect(bridge: BridgeClient): void {
    if (this.#closed) {
      bridge.close();
      return;
    }
    this.#bridge = bridge;
    for (const payload of this.#queue.splice(0)) bridge.sendCdp(payload);
    this.#queuedBytes = 0;
  }

  /** The bridge connection, once connected. */
  get bridge(): BridgeClient | undefined {
    return this.#bridge;
  }

  /** Bytes waiting for the bridge. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get overflowed(): boolean {
    return this.#overflowed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The debugger is gone: drop the queue and close the bridge connection (the child then resumes). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#bridge?.close();
    this.#bridge = undefined;
  }
}
