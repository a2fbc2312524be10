import { describe, expect, it } from 'vitest';
import { isAllowedHostHeader } from './host-header.js';

describe('isAllowedHostHeader (Node inspector rule)', () => {
  it.each([
    [undefined],
    [''],
    ['localhost'],
    ['LOCALHOST:9229'],
    ['127.0.0.1'],
    ['127.0.0.1:9229'],
    ['192.168.1.20:9229'],
    ['[::1]'],
    ['[::1]:9229'],
    ['[2001:db8::7]:80'],
  ])('accepts %j', (host) => {
    expect(isAllowedHostHeader(host)).toBe(true);
  });

  it.each([
    ['evil.example.com'],
    ['evil.example.com:9229'],
    ['localhost.evil.example.com'],
    ['0.0.0.0:9229'],
    ['0.1.2.3'],
    ['0x7f.0.0.1'],
    ['0177.0.0.1'],
    ['127.1'],
    ['2130706433'],
    ['[::]:9229'],
    ['[fe80::1%25eth0]'],
    ['::1'],
    ['[not-v6]'],
  ])('refuses %j', (host) => {
    expect(isAllowedHostHeader(host)).toBe(false);
  });
});
