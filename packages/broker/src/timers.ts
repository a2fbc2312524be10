/**
 * Every timer the broker starts goes through here, so `stats()` can report how many are pending and `close()`
 * can clear them all: a broker with no peers holds no timers.
 */
export class TrackedTimers {
  #pending = new Set<NodeJS.Timeout>();

  /** Runs `callback` once after `delayMs`; the timer forgets itself when it fires. */
  timeout(callback: () => void, delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#pending.delete(timer);
      callback();
    }, delayMs);
    this.#pending.add(timer);
    return timer;
  }

  /** Runs `callback` every `periodMs` until cleared. */
  interval(callback: () => void, periodMs: number): NodeJS.Timeout {
    const timer = setInterval(callback, periodMs);
    this.#pending.add(timer);
    return timer;
  }

  /** Stops a timer started here; harmless for one already fired or cleared. */
  clear(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#pending.delete(timer);
  }

  /** Stops every pending timer. */
  clearAll(): void {
    for (const timer of this.#pending) clearTimeout(timer);
    this.#pending.clear();
  }

  /** How many timers are pending. */
  get size(): number {
    return this.#pending.size;
  }
}
