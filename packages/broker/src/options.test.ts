import { MAX_FRAME_BYTES } from '@lambda-debug/shim-protocol';
import { describe, expect, it } from 'vitest';
import { type BrokerLimits, type BrokerOptions, DEFAULT_LIMITS, resolveBrokerOptions } from './options.js';
import { generateSecret } from './tokens.js';

describe('resolveBrokerOptions', () => {
  it('applies the documented defaults', () => {
    const secret = generateSecret();
    const resolved = resolveBrokerOptions({ secret });
    expect(resolved).toMatchObject({ host: '127.0.0.1', lambdaPort: 8080, debuggerPort: 9229, secret });
    expect(resolved.limits).toEqual(DEFAULT_LIMITS);
    expect(resolved.limits.maxFrameBytes).toBe(MAX_FRAME_BYTES);
    expect([...resolved.allowedOrigins]).toEqual(['devtools://devtools', 'chrome-devtools://devtools']);
  });

  it('drops the secret when auth is off', () => {
    expect(resolveBrokerOptions({ auth: false, secret: generateSecret() }).secret).toBeUndefined();
  });

  it.each<[BrokerOptions, RegExp]>([
    [{ lambdaPort: 70_000 }, /lambdaPort/],
    [{ debuggerPort: -1 }, /debuggerPort/],
    [{ host: ' ' }, /host/],
    [{ limits: { maxSessions: 1.5 } }, /maxSessions/],
    // A JavaScript caller can pass anything.
    [{ limits: { bogus: 1 } as Partial<BrokerLimits> }, /unknown limit "bogus"/],
    [{ limits: { maxFrameBytes: MAX_FRAME_BYTES + 1 } }, /maxFrameBytes/],
  ])('refuses %o', (options, message) => {
    expect(() => resolveBrokerOptions({ secret: generateSecret(), ...options })).toThrow(message);
  });
});
