import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineInput } from './line-input.js';

describe('LineInput', () => {
  it('reports each Enter press and then the end of the input', async () => {
    const stream = new PassThrough();
    const input = new LineInput(stream);
    const first = input.next();
    stream.write('\n');
    expect(await first).toBe('line');
    stream.write('typed text');
    stream.write(' and Enter\n');
    expect(await input.next()).toBe('line');
    const last = input.next();
    stream.end();
    expect(await last).toBe('end');
    expect(input.ended).toBe(true);
    expect(await input.next()).toBe('end');
    input.close();
  });

  it('drops Enter presses made while the command was busy', async () => {
    const stream = new PassThrough();
    const input = new LineInput(stream);
    stream.write('\n\n');
    await new Promise((resolve) => setImmediate(resolve));
    input.discard();
    const next = input.next();
    stream.end();
    expect(await next).toBe('end');
    input.close();
  });

  it('has ended already without a stream, and answers a waiter when closed', async () => {
    expect(new LineInput(undefined).ended).toBe(true);
    expect(await new LineInput(undefined).next()).toBe('end');
    const input = new LineInput(new PassThrough());
    expect(input.isInteractive).toBe(false);
    const waiting = input.next();
    input.close();
    expect(await waiting).toBe('end');
  });
});
