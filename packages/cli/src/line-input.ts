/**
 * Enter presses on standard input, for commands that act again each time the user presses Enter. Lines typed
 * while the command is busy are dropped rather than queued, so a few impatient presses do not start a burst of
 * work later. The end of the input (Ctrl+D, a closed pipe, `/dev/null`, no stdin at all) is reported once.
 */
import type { InputStream } from './context.js';

/** What the user did: pressed Enter, or closed the input. */
export type LineEvent = 'line' | 'end';

const NEWLINE = 0x0a;

/** Reads standard input for Enter presses. */
export class LineInput {
  readonly #stream: InputStream | undefined;
  #ended = false;
  #pendingLine = false;
  #waiter: ((event: LineEvent) => void) | undefined;
  readonly #onData = (chunk: Buffer | string): void => {
    const hasNewline = typeof chunk === 'string' ? chunk.includes('\n') : chunk.includes(NEWLINE);
    if (hasNewline) this.#deliver('line');
  };
  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#deliver('end');
  };

  /** Starts reading `stream`; without a stream the input has already ended. */
  constructor(stream: InputStream | undefined) {
    this.#stream = stream;
    if (stream === undefined) {
      this.#ended = true;
      return;
    }
    stream.on('data', this.#onData);
    stream.on('end', this.#onEnd);
    // An unreadable stdin (a closed descriptor) means there is nothing more to read, as at its end.
    stream.on('error', this.#onEnd);
    stream.resume();
  }

  /** True when a person types here (a terminal), so prompts make sense. */
  get isInteractive(): boolean {
    return this.#stream?.isTTY === true;
  }

  /** True once the input has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Resolves with the next Enter press after the last call to `discard`, or `end` once the input is closed. */
  next(): Promise<LineEvent> {
    if (this.#pendingLine) {
      this.#pendingLine = false;
      return Promise.resolve('line');
    }
    if (this.#ended) return Promise.resolve('end');
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** Forgets Enter presses made so far (while the command was busy). */
  discard(): void {
    this.#pendingLine = false;
  }

  /** Stops reading, so standard input no longer keeps the process alive. */
  close(): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    stream.off('data', this.#onData);
    stream.off('end', this.#onEnd);
    stream.off('error', this.#onEnd);
    stream.pause();
    this.#ended = true;
    this.#deliver('end');
  }

  #deliver(event: LineEvent): void {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter(event);
    } else if (event === 'line') {
      this.#pendingLine = true;
    }
  }
}
