/**
 * Contexts of invocations the proxy is handling. A wrapped handler called from inside such an invocation (one
 * handler file calling another's exported handler) just runs: the outer invocation already owns the session.
 * Shared through a global symbol, so every copy of the package in one process sees the same set.
 */
const ACTIVE_CONTEXTS_KEY = Symbol.for('lambda-debug.active-contexts');

/**
 * A WeakSet stored on `globalThis` under a registered symbol, so every copy of the package loaded in one
 * process (for example one per handler bundle) shares it.
 */
export function processWideWeakSet(key: symbol): WeakSet<object> {
  const holder = globalThis as Record<symbol, unknown>;
  const existing = holder[key];
  if (existing instanceof WeakSet) return existing as WeakSet<object>;
  const created = new WeakSet<object>();
  holder[key] = created;
  return created;
}

/** The process-wide set of contexts being handled. */
export function activeContexts(): WeakSet<object> {
  return processWideWeakSet(ACTIVE_CONTEXTS_KEY);
}

/** True when `context` belongs to an invocation the proxy is already handling. */
export function isNestedCall(context: unknown): boolean {
  return typeof context === 'object' && context !== null && activeContexts().has(context);
}
