/**
 * What a test opens as it goes (a function, a client, a DevTools page), closed after it in reverse order, so a
 * test that fails half-way still leaves no process, socket or page behind for the next one.
 */
export class Cleanups {
  readonly #pending: Array<() => Promise<unknown>> = [];

  /** Registers `cleanup` to run after the current test. */
  push(cleanup: () => Promise<unknown>): void {
    this.#pending.push(cleanup);
  }

  /**
   * Runs and forgets every registered cleanup, the last registered first. One that fails does not stop the
   * others: the test has already reported its own failure, and what it left open must still be closed.
   */
  async run(): Promise<void> {
    for (const cleanup of this.#pending.splice(0).reverse()) await cleanup().catch(() => undefined);
  }
}
