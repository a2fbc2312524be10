import { describe, expect, it } from 'vitest';
import { hostNameOf, judgeHostHeader } from './host-header.js';

describe('hostNameOf', () => {
  it.each([
    ['example.com', 'example.com'],
    ['example.com:9229', 'example.com'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[::1]', '[::1]'],
    ['[::1]:9229', '[::1]'],
    ['[fe80::1', undefined],
    ['[::1]x', undefined],
    ['example.com:port', undefined],
    ['::1', undefined],
  ])('%s -> %s', (header, expected) => {
    expect(hostNameOf(header)).toBe(expected);
  });
});

describe('judgeHostHeader', () => {
  it('tells missing, malformed, allowed and not-allowed apart', () => {
    expect(judgeHostHeader(undefined)).toEqual({ kind: 'missing' });
    expect(judgeHostHeader('[::1')).toEqual({ kind: 'malformed' });
    expect(judgeHostHeader('LOCALHOST.:9229')).toEqual({ kind: 'allowed' });
    expect(judgeHostHeader('Broker.Example.com', new Set(['broker.example.com']))).toEqual({
      kind: 'allowed',
    });
    expect(judgeHostHeader('[fe80::1%25eth0]:9229')).toEqual({ kind: 'not-allowed', name: 'fe80::1%25eth0' });
    expect(judgeHostHeader('evil.example:80')).toEqual({ kind: 'not-allowed', name: 'evil.example' });
  });
});
