/**
 * What every command gets from the program: where to write, the environment to read settings from, and a way
 * to wait for Ctrl+C. Commands never touch `process` directly, so they run the same in the binary and in tests.
 */
import type { Output } from './output.js';

/** Environment variables as the CLI reads them. */
export type CliEnv = Readonly<Record<string, string | undefined>>;

/** A stop request (Ctrl+C or SIGTERM) that long-running commands wait for. */
export interface StopListener {
  /** Resolves with the signal's name when the user asks to stop. */
  readonly stopped: Promise<string>;
  /** Stops listening, so a later Ctrl+C gets Node's default behaviour again. */
  dispose(): void;
}

/** Where interactive commands read keystrokes from: `process.stdin`, or a test's stream. */
export type InputStream = NodeJS.ReadableStream & { readonly isTTY?: boolean };

/** Shared by every command module. */
export interface CommandContext {
  readonly output: Output;
  readonly env: CliEnv;
  /**
   * Standard input, for commands that wait for Enter; absent means no input (as at end of file). A function, so
   * that commands which never read it do not open it.
   */
  readonly stdin?: () => InputStream;
  /** Starts listening for a stop request; long-running commands call it once they are up. */
  listenForStop(): StopListener;
  /**
   * Calls `listener` on each reload request (SIGHUP) until the returned function is called. Absent where
   * nothing can send one.
   */
  readonly listenForReload?: (listener: () => void) => () => void;
}
