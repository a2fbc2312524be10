/** The shapes an invocation is made of: how the runtime called the wrapped handler, and what the invocation
 * depends on (tests replace parts of it). In a file of their own so the session and the invocation share them
 * without importing each other. */
import type { ClientOptions } from 'ws';
import type { ChildStartOptions } from './child-launcher.js';
import type { ChildPool } from './child-pool.js';
import type { LogSink } from './proxy-log.js';

/** How the handler being called was wrapped. */
export type HandlerOrigin = 'seed' | 'debuggable' | 'wrapper';

/** The runtime's call to a wrapped handler. */
export interface HandlerCall {
  readonly target: (...args: unknown[]) => unknown;
  readonly thisArg: unknown;
  readonly args: readonly unknown[];
  readonly origin: HandlerOrigin;
  /** The runtime's frames at the call, captured synchronously by the wrapper. */
  readonly syncFrames: readonly string[];
}

/** What an invocation depends on; tests replace parts of it. */
export interface InvocationDeps {
  readonly env: NodeJS.ProcessEnv;
  readonly logSink: LogSink;
  readonly pool: ChildPool;
  /** Overrides for starting the child (its entry script, Node binary, output streams). */
  readonly childOptions?: Partial<Omit<ChildStartOptions, 'handlerString' | 'logger' | 'timeoutMs'>>;
  /** Extra `ws` options for the broker link (a custom CA in tests). */
  readonly socketOptions?: ClientOptions;
}
