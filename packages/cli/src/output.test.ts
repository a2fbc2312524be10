import { describe, expect, it } from 'vitest';
import { createPalette, Output, type OutputStream, shouldColor } from './output.js';

class Collector implements OutputStream {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

describe('shouldColor', () => {
  const tty = new Collector(true);
  const pipe = new Collector(false);

  it('colours a terminal and not a pipe', () => {
    expect(shouldColor(tty, {})).toBe(true);
    expect(shouldColor(pipe, {})).toBe(false);
    expect(shouldColor(tty, { TERM: 'dumb' })).toBe(false);
  });

  it('never colours with NO_COLOR, even when FORCE_COLOR is set', () => {
    expect(shouldColor(tty, { NO_COLOR: '1' })).toBe(false);
    expect(shouldColor(tty, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    // An empty NO_COLOR does not count (no-color.org).
    expect(shouldColor(tty, { NO_COLOR: '' })).toBe(true);
  });

  it('respects FORCE_COLOR both ways', () => {
    expect(shouldColor(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldColor(pipe, { FORCE_COLOR: '' })).toBe(true);
    expect(shouldColor(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(shouldColor(tty, { FORCE_COLOR: 'false' })).toBe(false);
  });
});

describe('Output', () => {
  it('sends results to stdout and notes, warnings and errors to stderr', () => {
    const stdout = new Collector(false);
    const stderr = new Collector(false);
    const output = new Output(stdout, stderr, {});
    output.line('result');
    output.json({ a: 1 });
    output.jsonLine({ b: 2 });
    output.note('a hint');
    output.warn('careful');
    output.error('it broke. Fix it.', 'stack here');
    expect(stdout.text).toBe('result\n{\n  "a": 1\n}\n{"b":2}\n');
    expect(stderr.text).toBe(
      'a hint\nlambda-debug: warning: careful\nlambda-debug: it broke. Fix it.\nstack here\n',
    );
  });

  it('decides colour per stream', () => {
    const output = new Output(new Collector(true), new Collector(false), {});
    expect(output.style.red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(output.errStyle.red('x')).toBe('x');
  });

  it('has a plain palette that changes nothing', () => {
    const plain = createPalette(false);
    for (const paint of Object.values(plain)) expect(paint('text')).toBe('text');
  });
});
