import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BrokerConfigError } from './errors.js';
import { claimedTokenRole, deriveToken, generateSecret, MIN_SECRET_LENGTH, verifyToken } from './tokens.js';

const functionIds = fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/);
const secrets = fc.string({ minLength: MIN_SECRET_LENGTH, maxLength: 80 });
const roles = fc.constantFrom('lambda' as const, 'debugger' as const);

describe('deriveToken', () => {
  it('has the documented format and is the HMAC of the documented message', async () => {
    const { createHmac } = await import('node:crypto');
    const secret = 'a-test-secret-of-sufficient-length';
    const expected = createHmac('sha256', secret)
      .update('lambda-debug/v1/debugger/orders')
      .digest('base64url');
    expect(deriveToken(secret, 'debugger', 'orders')).toBe(`ld1.debugger.${expected}`);
    const admin = createHmac('sha256', secret).update('lambda-debug/v1/admin/*').digest('base64url');
    expect(deriveToken(secret, 'admin')).toBe(`ld1.admin.${admin}`);
  });

  it('is deterministic and differs for every role, function and secret', () => {
    fc.assert(
      fc.property(secrets, functionIds, functionIds, (secret, a, b) => {
        expect(deriveToken(secret, 'lambda', a)).toBe(deriveToken(secret, 'lambda', a));
        expect(deriveToken(secret, 'lambda', a)).not.toBe(deriveToken(secret, 'debugger', a));
        if (a !== b) expect(deriveToken(secret, 'debugger', a)).not.toBe(deriveToken(secret, 'debugger', b));
      }),
    );
    expect(deriveToken(generateSecret(), 'admin')).not.toBe(deriveToken(generateSecret(), 'admin'));
  });

  it('refuses a function-scoped role without a valid function id, and a weak secret', () => {
    const secret = generateSecret();
    expect(() => deriveToken(secret, 'lambda')).toThrow(TypeError);
    expect(() => deriveToken(secret, 'debugger', 'has space')).toThrow(/A-Z a-z 0-9/);
    expect(() => deriveToken('short', 'admin')).toThrow(BrokerConfigError);
  });
});

describe('verifyToken', () => {
  it('accepts exactly the derived token for its role and function', () => {
    fc.assert(
      fc.property(secrets, functionIds, roles, (secret, functionId, role) => {
        expect(verifyToken(secret, role, functionId, deriveToken(secret, role, functionId))).toBe(true);
      }),
    );
  });

  it('refuses other roles, other functions, other secrets and any altered token', () => {
    fc.assert(
      fc.property(secrets, functionIds, functionIds, fc.nat(), (secret, functionId, other, position) => {
        const token = deriveToken(secret, 'debugger', functionId);
        expect(verifyToken(secret, 'lambda', functionId, token)).toBe(false);
        expect(verifyToken(secret, 'admin', undefined, token)).toBe(false);
        if (other !== functionId) expect(verifyToken(secret, 'debugger', other, token)).toBe(false);
        expect(verifyToken(`${secret}x`, 'debugger', functionId, token)).toBe(false);
        const index = position % token.length;
        const altered = token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1);
        expect(verifyToken(secret, 'debugger', functionId, altered)).toBe(false);
        expect(verifyToken(secret, 'debugger', functionId, token.slice(0, -1))).toBe(false);
        expect(verifyToken(secret, 'debugger', functionId, `${token}A`)).toBe(false);
      }),
    );
  });

  it('refuses empty and non-ASCII presentations without throwing', () => {
    const secret = generateSecret();
    expect(verifyToken(secret, 'debugger', 'fn', '')).toBe(false);
    expect(verifyToken(secret, 'debugger', 'fn', 'é'.repeat(30))).toBe(false);
    expect(verifyToken(secret, 'debugger', 'bad id', deriveToken(secret, 'debugger', 'fn'))).toBe(false);
  });
});

describe('generateSecret', () => {
  it('makes 43 base64url characters that are long enough', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secret.length).toBeGreaterThanOrEqual(MIN_SECRET_LENGTH);
  });
});

describe('claimedTokenRole', () => {
  it('reads the role a token claims, without trusting it', () => {
    expect(claimedTokenRole('ld1.lambda.abc')).toBe('lambda');
    expect(claimedTokenRole('ld1.admin.')).toBe('admin');
    expect(claimedTokenRole('ld2.lambda.abc')).toBeUndefined();
    expect(claimedTokenRole('ld1.root.abc')).toBeUndefined();
    expect(claimedTokenRole('')).toBeUndefined();
  });
});
