import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHost, checkOrigin, parseRequestTarget } from './http-guard.js';
import { normalizeOrigin } from './options.js';

describe('checkHost', () => {
  const none = new Set<string>();

  it('accepts every IPv4 and IPv6 literal but the unspecified ones, with or without a port', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), fc.integer({ min: 1, max: 65_535 }), (v4, v6, port) => {
        fc.pre(!v4.startsWith('0.') && !/^[0:.]+$/.test(v6));
        expect(checkHost(v4, none)).toBeUndefined();
        expect(checkHost(`${v4}:${port}`, none)).toBeUndefined();
        expect(checkHost(`[${v6}]:${port}`, none)).toBeUndefined();
      }),
    );
  });

  it('accepts localhost and configured names, refuses other names with 403', () => {
    expect(checkHost('localhost:9229', none)).toBeUndefined();
    expect(checkHost('broker.example.com.', new Set(['broker.example.com']))).toBeUndefined();
    fc.assert(
      fc.property(fc.domain(), (domain) => {
        fc.pre(domain !== 'localhost');
        expect(checkHost(domain, none)?.status).toBe(403);
      }),
    );
  });

  it('refuses 0.0.0.0/8 and [::], which some browsers route to this machine, with 403', () => {
    expect(checkHost('0.0.0.0:9229', none)?.status).toBe(403);
    expect(checkHost('[::]:9229', none)?.status).toBe(403);
  });

  it('refuses a missing Host with 400', () => {
    expect(checkHost(undefined, none)?.status).toBe(400);
    expect(checkHost('', none)?.status).toBe(400);
  });
});

describe('checkOrigin', () => {
  const allowed = new Set(['devtools://devtools', 'https://ide.example'].map(normalizeOrigin));

  it('accepts no Origin, DevTools and configured origins; refuses the rest', () => {
    expect(checkOrigin(undefined, allowed)).toBeUndefined();
    expect(checkOrigin('devtools://devtools', allowed)).toBeUndefined();
    expect(checkOrigin('HTTPS://IDE.example/', allowed)).toBeUndefined();
    expect(checkOrigin('https://ide.example.evil', allowed)?.status).toBe(403);
    expect(checkOrigin('null', allowed)?.status).toBe(403);
  });
});

describe('parseRequestTarget', () => {
  it('splits path segments and query without decoding the path', () => {
    const target = parseRequestTarget('/fn//session/?token=a%2Bb&fn=x');
    expect(target.segments).toEqual(['fn', 'session']);
    expect(target.query.get('token')).toBe('a+b');
    expect(parseRequestTarget('/a%2Fb').segments).toEqual(['a%2Fb']);
    expect(parseRequestTarget(undefined).segments).toEqual([]);
  });
});
