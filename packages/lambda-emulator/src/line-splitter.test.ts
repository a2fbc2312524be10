import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

function split(chunks: readonly (string | Buffer)[], maxLineBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLineBytes);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.flush();
  return lines;
}

describe('LineSplitter', () => {
  it('emits one line per newline, joining lines split across chunks', () => {
    expect(split(['a\nb', 'c\n', '\nd'])).toEqual(['a', 'bc', '', 'd']);
  });

  it('keeps carriage returns inside a line, as the runtime client writes multi-line messages', () => {
    expect(split(['first\rsecond\n'])).toEqual(['first\rsecond']);
  });

  it('keeps a multi-byte character whole when a chunk ends inside it', () => {
    const bytes = Buffer.from('né\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2)])).toEqual(['né']);
  });

  it('cuts lines longer than the limit into pieces without splitting a character', () => {
    expect(split(['abcdefg\n'], 3)).toEqual(['abc', 'def', 'g']);
    expect(split(['ééé\n'], 3)).toEqual(['é', 'é', 'é']);
  });

  it('cuts an unterminated line as soon as it passes the limit', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 4);
    splitter.push('abcdefghij');
    expect(lines).toEqual(['abcd', 'efgh']);
    splitter.flush();
    expect(lines).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('emits nothing on flush when the last line was complete', () => {
    expect(split(['done\n'])).toEqual(['done']);
  });
});
