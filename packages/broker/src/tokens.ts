import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isValidFunctionId } from '@lambda-debug/shim-protocol';
import { BrokerConfigError } from './errors.js';

/** Who a token is for: a Lambda's proxy, a debugger, or the broker's operator (admin endpoints). */
export type TokenRole = 'lambda' | 'debugger' | 'admin';

/** Every role, for parsing and messages. */
export const TOKEN_ROLES: readonly TokenRole[] = ['lambda', 'debugger', 'admin'];

/** Prefix of every token of this format version; a new derivation gets a new prefix. */
const TOKEN_FORMAT = 'ld1';

/** Admin tokens are not scoped to a function; the derivation uses this in place of a function id. */
const ANY_FUNCTION = '*';

/** Shortest broker secret accepted, in characters. `generateSecret()` makes 43. */
export const MIN_SECRET_LENGTH = 16;

/** Bytes of randomness in a generated secret (256 bits, the HMAC-SHA256 key size). */
const SECRET_BYTES = 32;

/** A new broker secret: 32 random bytes, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Throws a `BrokerConfigError` that says how to get a usable secret when `secret` is missing or too short. */
export function assertUsableSecret(secret: string | undefined): asserts secret is string {
  if (secret === undefined || secret === '') {
    throw new BrokerConfigError(
      'missing-secret',
      'The broker needs a secret to derive tokens: set LAMBDA_DEBUG_SECRET or pass --secret-file F ' +
        '(create one with `lambda-debug secret`), or run with --no-auth on a trusted network only.',
    );
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new BrokerConfigError(
      'weak-secret',
      `The broker secret is ${secret.length} characters; at least ${MIN_SECRET_LENGTH} are required. ` +
        'Create a strong one with `lambda-debug secret`.',
    );
  }
}

function scopeOf(role: TokenRole, functionId: string | undefined): string {
  if (role === 'admin') return ANY_FUNCTION;
  if (!isValidFunctionId(functionId)) {
    throw new TypeError(
      `A ${role} token is scoped to a function: pass a function id of 1 to 128 characters of A-Z a-z 0-9 . _ -`,
    );
  }
  return functionId;
}

function mac(secret: string, role: TokenRole, scope: string): string {
  return createHmac('sha256', secret).update(`lambda-debug/v1/${role}/${scope}`).digest('base64url');
}

/**
 * The token for `role` (and `functionId`, except for admin tokens), computed offline from the broker secret:
 * `ld1.<role>.<base64url(HMAC-SHA256(secret, "lambda-debug/v1/<role>/<functionId>"))>`.
 */
export function deriveToken(secret: string, role: TokenRole, functionId?: string): string {
  assertUsableSecret(secret);
  return `${TOKEN_FORMAT}.${role}.${mac(secret, role, scopeOf(role, functionId))}`;
}

/**
 * True when `presented` is the token for exactly this role and function. The comparison takes the same time
 * wherever the first difference is, so a caller cannot find a token byte by byte.
 */
export function verifyToken(
  secret: string,
  role: TokenRole,
  functionId: string | undefined,
  presented: string,
): boolean {
  if (role !== 'admin' && !isValidFunctionId(functionId)) return false;
  const expected = Buffer.from(deriveToken(secret, role, functionId));
  const given = Buffer.from(presented);
  // timingSafeEqual needs equal lengths; comparing `expected` with itself keeps the work the same.
  const sameLength = given.length === expected.length;
  const equal = timingSafeEqual(expected, sameLength ? given : expected);
  return sameLength && equal;
}

/**
 * The role a token claims in its prefix, read without verifying it. Only for friendlier refusals
 * ("this is a lambda token"): the claim is never trusted.
 */
export function claimedTokenRole(presented: string): TokenRole | undefined {
  const [format, role] = presented.split('.', 2);
  if (format !== TOKEN_FORMAT) return undefined;
  return TOKEN_ROLES.find((candidate) => candidate === role);
}
