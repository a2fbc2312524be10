import { createHmac, randomBytes } from 'node:crypto';
import type { Refusal } from './http-guard.js';
import { claimedTokenRole, deriveToken, type TokenRole, verifyToken } from './tokens.js';

/** Who may see which sessions on the discovery endpoints. */
export type DiscoveryScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'function'; readonly functionId: string };

const HOW_TO_GET: Readonly<Record<TokenRole, (functionId: string) => string>> = {
  lambda: (functionId) => `set DEBUGGER_TOKEN from \`lambda-debug env --fn ${functionId}\``,
  debugger: (functionId) => `print the URL with \`lambda-debug url --fn ${functionId}\``,
  admin: () => 'derive it from the broker secret (`lambda-debug sessions` does this for you)',
};

/**
 * Every token decision of one broker: whether auth is on, whether a presented token opens what it asks for,
 * and how to explain a refusal without echoing the token.
 */
export class AccessControl {
  #secret: string | undefined;
  /**
   * The debugger token of every function with sessions or held debuggers, keyed by a digest of the token under
   * a key of this process (`#indexKey`), so `/json/list` finds a token's function with one digest and one
   * lookup, whatever the token: a junk token costs what a valid one does, not one HMAC per active function,
   * and the lookup's timing says nothing about the real tokens.
   */
  #functionByTokenDigest = new Map<string, string>();
  /** The other direction of the same index, to drop functions that are no longer active. */
  #tokenDigestByFunction = new Map<string, string>();
  #indexKey = randomBytes(32);

  /** `secret` undefined means auth is off (`--no-auth`): everything is allowed. */
  constructor(secret: string | undefined) {
    this.#secret = secret;
  }

  /** False with `--no-auth`. */
  get enabled(): boolean {
    return this.#secret !== undefined;
  }

  /** The token a URL handed out by the broker should carry, or `undefined` when auth is off. */
  tokenFor(role: TokenRole, functionId?: string): string | undefined {
    return this.#secret === undefined ? undefined : deriveToken(this.#secret, role, functionId);
  }

  /** True when `presented` opens `role` for `functionId` (always true with auth off). */
  allows(role: TokenRole, functionId: string | undefined, presented: string | undefined): boolean {
    if (this.#secret === undefined) return true;
    return presented !== undefined && verifyToken(this.#secret, role, functionId, presented);
  }

  /** `undefined` when allowed; otherwise a 401 that says what was wrong and where to get the right token. */
  check(role: TokenRole, functionId: string | undefined, presented: string | undefined): Refusal | undefined {
    if (this.allows(role, functionId, presented)) return undefined;
    const scope = role === 'admin' ? 'the admin endpoints' : `function ${functionId ?? ''}`;
    const howTo = HOW_TO_GET[role](functionId ?? 'ID');
    if (presented === undefined || presented === '') {
      return { status: 401, message: `A ${role} token is required for ${scope}: ${howTo}.` };
    }
    const claimed = claimedTokenRole(presented);
    if (claimed !== undefined && claimed !== role) {
      return {
        status: 401,
        message: `That is a ${claimed} token; ${scope} needs the ${role} token: ${howTo}.`,
      };
    }
    return {
      status: 401,
      message: `The token does not open ${scope} (each token opens only its own function and role): ${howTo}.`,
    };
  }

  /**
   * What a `/json/list` caller may see. The admin token sees every session; a debugger token sees its own
   * function's. Tokens do not name their function, so the caller may say which with `?fn=`; without it the
   * token is looked up among the tokens of the functions that have sessions or waiting debuggers.
   */
  discoveryScope(
    presented: string | undefined,
    requestedFunctionId: string | undefined,
    activeFunctionIds: readonly string[],
  ): DiscoveryScope | Refusal {
    if (this.#secret === undefined) {
      return requestedFunctionId === undefined
        ? { kind: 'all' }
        : { kind: 'function', functionId: requestedFunctionId };
    }
    if (this.allows('admin', undefined, presented)) {
      return requestedFunctionId === undefined
        ? { kind: 'all' }
        : { kind: 'function', functionId: requestedFunctionId };
    }
    if (requestedFunctionId !== undefined) {
      return (
        this.check('debugger', requestedFunctionId, presented) ?? {
          kind: 'function',
          functionId: requestedFunctionId,
        }
      );
    }
    const functionId = this.#debuggerFunctionOf(presented, activeFunctionIds);
    if (functionId !== undefined) return { kind: 'function', functionId };
    const missing = presented === undefined || presented === '';
    return {
      status: 401,
      message:
        `${missing ? 'A debugger token is required' : 'The token matches no function with a live session'}: ` +
        'add ?token=<debugger token>&fn=<function id> (`lambda-debug url --fn ID` prints both).',
    };
  }

  /** The active function whose debugger token `presented` is, found with one digest (see `#functionByTokenDigest`). */
  #debuggerFunctionOf(
    presented: string | undefined,
    activeFunctionIds: readonly string[],
  ): string | undefined {
    if (this.#secret === undefined || presented === undefined || presented === '') return undefined;
    this.#indexDebuggerTokens(this.#secret, activeFunctionIds);
    return this.#functionByTokenDigest.get(this.#tokenDigest(presented));
  }

  /**
   * Brings the index to the active functions: each function's token is derived once, when it becomes active,
   * so the work depends on how many functions came and went, never on the token a caller presents.
   */
  #indexDebuggerTokens(secret: string, activeFunctionIds: readonly string[]): void {
    const active = new Set(activeFunctionIds);
    for (const [functionId, digest] of this.#tokenDigestByFunction) {
      if (active.has(functionId)) continue;
      this.#tokenDigestByFunction.delete(functionId);
      this.#functionByTokenDigest.delete(digest);
    }
    for (const functionId of active) {
      if (this.#tokenDigestByFunction.has(functionId)) continue;
      const digest = this.#tokenDigest(deriveToken(secret, 'debugger', functionId));
      this.#tokenDigestByFunction.set(functionId, digest);
      this.#functionByTokenDigest.set(digest, functionId);
    }
  }

  #tokenDigest(token: string): string {
    return createHmac('sha256', this.#indexKey).update(token).digest('base64url');
  }
}

/** True when a discovery result is a refusal rather than a scope. */
export function isRefusal(value: DiscoveryScope | Refusal): value is Refusal {
  return 'status' in value;
}
