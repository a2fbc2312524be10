import { StringDecoder } from 'node:string_decoder';
import { MAX_LOG_LINE_BYTES } from './limits.js';

/** Cuts UTF-8 text into pieces of at most `maxBytes`, never inside a character. */
function splitByBytes(text: string, maxBytes: number): string[] {
  let bytes = Buffer.from(text, 'utf8');
  const pieces: string[] = [];
  while (bytes.length > maxBytes) {
    let cut = maxBytes;
    // Continuation bytes look like 10xxxxxx; step back to the start of the character.
    while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
    if (cut === 0) cut = maxBytes;
    pieces.push(bytes.subarray(0, cut).toString('utf8'));
    bytes = bytes.subarray(cut);
  }
  pieces.push(bytes.toString('utf8'));
  return pieces;
}

/**
 * Cuts a byte stream (a runtime process's stdout or stderr) into lines without the trailing newline. A line
 * longer than `maxLineBytes` is emitted in pieces, as Lambda splits oversized log events. Multi-byte characters
 * split across chunks are kept whole.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #onLine: (line: string) => void;
  readonly #maxLineBytes: number;
  #partial = '';

  constructor(onLine: (line: string) => void, maxLineBytes = MAX_LOG_LINE_BYTES) {
    this.#onLine = onLine;
    this.#maxLineBytes = maxLineBytes;
  }

  /** Feeds a chunk; complete lines are emitted at once. */
  push(chunk: Buffer | string): void {
    let text = this.#partial + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      this.#emit(text.slice(0, newline));
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
    }
    // A character takes at least one byte, so only a long enough remainder can be over the limit.
    if (text.length > this.#maxLineBytes / 4 && Buffer.byteLength(text) > this.#maxLineBytes) {
      const pieces = splitByBytes(text, this.#maxLineBytes);
      text = pieces.pop() ?? '';
      for (const piece of pieces) this.#onLine(piece);
    }
    this.#partial = text;
  }

  /** Emits what is left of an unterminated last line, if anything. */
  flush(): void {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    if (rest.length > 0) this.#emit(rest);
  }

  #emit(line: string): void {
    for (const piece of splitByBytes(line, this.#maxLineBytes)) this.#onLine(piece);
  }
}
