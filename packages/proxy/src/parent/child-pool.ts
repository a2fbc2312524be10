/**
 * The warm child. Lambda keeps a function's process between invocations and so keeps its module-level state;
 * the proxy keeps its child the same way, reusing it for the next debugged invocation after checking that it
 * still answers. A child that died, stopped answering, or was abandoned mid-invocation (deadline, crash) is
 * replaced by a fresh one. A child may be started ahead of need (`warm`): during the runtime's init, and by each
 * invocation before it registers with the broker, so attaching does not wait for Node and the handler's modules.
 */

import { CHILD_PING_TIMEOUT_MS } from '../shared/limits.js';
import {
  type ChildExit,
  ChildStartError,
  type ChildStartOptions,
  DebugChild,
  describeExit,
} from './child-launcher.js';

/** The one child this Lambda process keeps. */
export class ChildPool {
  #child: DebugChild | undefined;
  #starting: Promise<DebugChild | undefined> | undefined;
  #handlerString: string | undefined;
  #busy = false;

  /** Starts a child in the background when there is none (or it is dead). Never throws. */
  warm(options: ChildStartOptions): void {
    if (this.#starting || (this.#child?.alive && this.#handlerString === options.handlerString)) return;
    void this.#start(options).catch(() => undefined);
  }

  #start(options: ChildStartOptions): Promise<DebugChild | undefined> {
    const previous = this.#child;
    this.#child = undefined;
    const starting = (async () => {
      if (previous) {
        // The pool forgets a child it stops itself: one it still holds that is not alive ended on its own.
        const endedOnItsOwn = !previous.alive;
        const exit = await previous.kill();
        if (endedOnItsOwn) {
          options.logger.warn(
            `the debug process kept from an earlier invocation has ended (${describeEndedChild(exit)}); starting a new one`,
          );
        }
      }
      try {
        const started = await DebugChild.start(options);
        this.#child = started;
        this.#handlerString = options.handlerString;
        return started;
      } finally {
        this.#starting = undefined;
      }
    })();
    this.#starting = starting;
    return starting;
  }

  /**
   * Resolves once a start in progress has ended (ready or failed), or after `timeoutMs`; at once when none is.
   * Never rejects: a failed start is retried by `acquire`.
   */
  async settled(timeoutMs: number): Promise<void> {
    const starting = this.#starting;
    if (!starting) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, timeoutMs));
    });
    try {
      await Promise.race([
        starting.then(
          () => undefined,
          () => undefined,
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The child, reused when healthy, else started. Throws `ChildStartError`. */
  async acquire(options: ChildStartOptions): Promise<DebugChild> {
    if (this.#busy) {
      throw new ChildStartError(
        'the debug process is busy with another invocation of this function instance',
      );
    }
    this.#busy = true;
    try {
      if (this.#starting) await this.#starting.catch(() => undefined);
      const current = this.#child;
      if (current?.alive && this.#handlerString === options.handlerString) {
        if (await current.ping(Math.min(CHILD_PING_TIMEOUT_MS, options.timeoutMs))) return current;
        options.logger.warn(
          'the debug process from the previous invocation stopped answering; starting a new one',
        );
      }
      const started = await this.#start(options);
      if (!started) throw new ChildStartError('the debug process did not start');
      return started;
    } catch (error) {
      this.#busy = false;
      throw error;
    }
  }

  /** Gives the child back; `healthy: false` kills it so the next invocation gets a fresh one. */
  async release(child: DebugChild, healthy: boolean): Promise<void> {
    this.#busy = false;
    child.setMessageListener(undefined);
    if (healthy && child.alive) return;
    if (this.#child === child) this.#child = undefined;
    await child.kill();
  }

  /** The current child, if any (for tests and shutdown). */
  get current(): DebugChild | undefined {
    return this.#child;
  }

  /** Stops the child (waiting for one that is starting). */
  async dispose(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    const child = this.#child;
    this.#child = undefined;
    this.#busy = false;
    if (child) await child.shutdown();
  }
}

/** How an idle child ended, with its exit code or signal even when the cause says more. */
function describeEndedChild(exit: ChildExit): string {
  const how = describeExit(exit);
  if (exit.crash === undefined && !exit.outOfMemory) return how;
  return exit.signal ? `${how}; signal ${exit.signal}` : `${how}; exit code ${exit.code}`;
}
