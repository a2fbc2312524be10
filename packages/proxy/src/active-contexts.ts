/**
 * Contexts of invocations the proxy is handling. A wrapped handler called from inside such an invocation (one
 * handler file calling another's exported handler) just runs: the outer invocation already owns the session.
 * Shared through a global symbol, so every copy of the package in one process sees the same set.
 */
const ACTIVE_CONTEXTS_KEY = Symbol.for('lambda-debug.active-contexts');

/** The process-wide set of contexts being handled. */
export function activeContexts(): WeakSet<object> {
  const holder = globalThis as Record<symbol, unknown>;
  const existing = holder[ACTIVE_CONTEXTS_KEY];
  if (existing instanceof WeakSet) return existing as WeakSet<object>;
  const created = new WeakSet<object>();
  holder[ACTIVE_CONTEXTS_KEY] = created;
  return created;
}

/** True when `context` belongs to an invocation the proxy is already handling. */
export function isNestedCall(context: unknown): boolean {
  return typeof context === 'object' && context !== null && activeContexts().has(context);
}
