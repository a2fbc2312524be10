/**
 * Forwards a child's stdout or stderr to the parent's, one whole line at a time, so a line the child writes in
 * pieces still arrives as one line in the function's log (Lambda turns each stdout line into a log event).
 */
import type { Readable } from 'node:stream';
import { MAX_LOG_LINE_BYTES } from '../shared/limits.js';

/** Forwards every line of `source` to `target`; a trailing partial line is written when `source` ends. */
export function forwardLines(
  source: Readable,
  target: NodeJS.WritableStream,
  maxLineBytes: number = MAX_LOG_LINE_BYTES,
): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pendingBytes === 0) return;
    const line = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    target.write(line);
  };
  source.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a, start); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, newline + 1));
      pendingBytes += newline + 1 - start;
      flush();
      start = newline + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      // A line that never ends must not grow without bound.
      if (pendingBytes >= maxLineBytes) {
        pending.push(Buffer.from('\n'));
        flush();
      }
    }
  });
  source.on('end', () => {
    if (pendingBytes > 0) pending.push(Buffer.from('\n'));
    flush();
  });
  source.on('error', () => undefined);
}
