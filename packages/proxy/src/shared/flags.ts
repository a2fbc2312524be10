/**
 * The two questions the proxy asks before doing anything: is debugging on, and are we the debug child? The
 * package's entry (index.ts) asks them with its own copy of these few lines, so that requiring the package loads
 * that one file; both copies follow the contract's values and are tested against them.
 */

/** Set on `globalThis` by the child process before it loads the handler; every copy of the package sees it. */
export const CHILD_MARKER = Symbol.for('lambda-debug.child');

/** Debugging is on when `DEBUGGER_ACTIVE` is set and not `''`, `'false'` or `'0'` (the contract). */
export function isDebuggingActive(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.DEBUGGER_ACTIVE;
  if (value === undefined) return false;
  const normalized = value.trim().toLowerCase();
  return normalized !== '' && normalized !== 'false' && normalized !== '0';
}

/** True inside the child process that runs the handler under the inspector: there, handlers are never wrapped. */
export function isDebugChild(): boolean {
  return (globalThis as Record<symbol, unknown>)[CHILD_MARKER] === true;
}
