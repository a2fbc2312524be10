/**
 * The Lambda `context` object across the process boundary. The parent takes a snapshot of the runtime's
 * context (its fields, the absolute deadline, and its exact key order, which differs between runtime client
 * versions); the child rebuilds an object with the same keys in the same order, the same values, a
 * `getRemainingTimeInMillis()` computed from the same absolute deadline, and the runtime's callback functions
 * supplied by the child's runtime emulation.
 */
import type { ContextSnapshot } from '@lambda-debug/shim-protocol';

/** What the runtime's context looks like to the proxy: a plain object with a few known members. */
export interface LambdaContextLike {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
  readonly [key: string]: unknown;
}

/** True when `value` looks like the context the runtime passes to handlers. */
export function isLambdaContext(value: unknown): value is LambdaContextLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { awsRequestId?: unknown }).awsRequestId === 'string' &&
    typeof (value as { getRemainingTimeInMillis?: unknown }).getRemainingTimeInMillis === 'function'
  );
}

/** Context members the child provides itself (functions and accessors) rather than copying. */
const BEHAVIOUR_KEYS = new Set([
  'getRemainingTimeInMillis',
  'callbackWaitsForEmptyEventLoop',
  'succeed',
  'fail',
  'done',
]);

/** String fields every snapshot carries. */
const STRING_FIELDS = [
  'functionName',
  'functionVersion',
  'invokedFunctionArn',
  'memoryLimitInMB',
  'awsRequestId',
  'logGroupName',
  'logStreamName',
] as const;

/** Fields the snapshot names explicitly; any other data field travels in `extra`. */
const NAMED_KEYS = new Set<string>([
  ...STRING_FIELDS,
  'identity',
  'clientContext',
  'tenantId',
  'xRayTraceId',
]);

/**
 * The absolute deadline behind `getRemainingTimeInMillis()`. Read between two clock readings that agree, so the
 * result is exact rather than off by the millisecond that may tick during the call.
 */
export function absoluteDeadlineMs(context: LambdaContextLike): number {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const before = Date.now();
    const remaining = context.getRemainingTimeInMillis();
    const after = Date.now();
    if (before === after) return before + remaining;
  }
  return Date.now() + context.getRemainingTimeInMillis();
}

function stringField(context: LambdaContextLike, key: string): string {
  const value = context[key];
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function isJsonValue(value: unknown): boolean {
  if (value === null) return true;
  const type = typeof value;
  if (type === 'string' || type === 'boolean') return true;
  if (type === 'number') return Number.isFinite(value);
  if (type !== 'object') return false;
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/** Takes the snapshot the child needs to rebuild `context`. Never throws on odd contexts. */
export function snapshotContext(context: LambdaContextLike): ContextSnapshot {
  const keys = Object.getOwnPropertyNames(context);
  const extra: Record<string, unknown> = {};
  for (const key of keys) {
    if (NAMED_KEYS.has(key) || BEHAVIOUR_KEYS.has(key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(context, key);
    if (descriptor && 'value' in descriptor && isJsonValue(descriptor.value)) extra[key] = descriptor.value;
  }
  const waits = context.callbackWaitsForEmptyEventLoop;
  const snapshot: Record<string, unknown> = {
    functionName: stringField(context, 'functionName'),
    functionVersion: stringField(context, 'functionVersion'),
    invokedFunctionArn: stringField(context, 'invokedFunctionArn'),
    memoryLimitInMB: stringField(context, 'memoryLimitInMB'),
    awsRequestId: stringField(context, 'awsRequestId'),
    logGroupName: stringField(context, 'logGroupName'),
    logStreamName: stringField(context, 'logStreamName'),
    deadlineMs: absoluteDeadlineMs(context),
    callbackWaitsForEmptyEventLoop: typeof waits === 'boolean' ? waits : true,
    keys,
  };
  if (context.identity !== undefined) snapshot.identity = context.identity;
  if (context.clientContext !== undefined) snapshot.clientContext = context.clientContext;
  if (typeof context.tenantId === 'string') snapshot.tenantId = context.tenantId;
  if (typeof context.xRayTraceId === 'string') snapshot.xRayTraceId = context.xRayTraceId;
  if (Object.keys(extra).length > 0) snapshot.extra = extra;
  return snapshot as unknown as ContextSnapshot;
}

/** The behaviour the child's runtime emulation plugs into the rebuilt context. */
export interface ContextBehaviour {
  readonly succeed?: (result?: unknown) => void;
  readonly fail?: (error?: unknown) => void;
  readonly done?: (error?: unknown, result?: unknown) => void;
  /** Present when the runtime's context has `callbackWaitsForEmptyEventLoop` (3.x). */
  readonly callbackWaits?: { get(): boolean; set(value: boolean): void };
}

/** The key order of a 3.x context, used when a snapshot carries none. */
const RIC3_KEYS = [
  'callbackWaitsForEmptyEventLoop',
  'succeed',
  'fail',
  'done',
  'functionVersion',
  'functionName',
  'memoryLimitInMB',
  'logGroupName',
  'logStreamName',
  'clientContext',
  'identity',
  'invokedFunctionArn',
  'awsRequestId',
  'tenantId',
  'getRemainingTimeInMillis',
];

/** Rebuilds the context in the child: same keys, same order, same values, behaviour from `behaviour`. */
export function rebuildContext(
  snapshot: ContextSnapshot,
  behaviour: ContextBehaviour,
): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  const deadlineMs = snapshot.deadlineMs;
  const named: Record<string, unknown> = {
    functionName: snapshot.functionName,
    functionVersion: snapshot.functionVersion,
    invokedFunctionArn: snapshot.invokedFunctionArn,
    memoryLimitInMB: snapshot.memoryLimitInMB,
    awsRequestId: snapshot.awsRequestId,
    logGroupName: snapshot.logGroupName,
    logStreamName: snapshot.logStreamName,
    identity: snapshot.identity,
    clientContext: snapshot.clientContext,
    tenantId: snapshot.tenantId,
    xRayTraceId: snapshot.xRayTraceId,
  };
  for (const key of snapshot.keys ?? RIC3_KEYS) {
    switch (key) {
      case 'getRemainingTimeInMillis':
        context[key] = function getRemainingTimeInMillis(): number {
          return deadlineMs - Date.now();
        };
        break;
      case 'callbackWaitsForEmptyEventLoop':
        if (behaviour.callbackWaits) {
          const waits = behaviour.callbackWaits;
          Object.defineProperty(context, key, {
            get: () => waits.get(),
            set: (value: boolean) => waits.set(value),
            enumerable: true,
            configurable: true,
          });
        } else {
          context[key] = snapshot.callbackWaitsForEmptyEventLoop;
        }
        break;
      case 'succeed':
      case 'fail':
      case 'done':
        context[key] =
          behaviour[key] ??
          (() => {
            throw new Error(`context.${key} is not available in this runtime`);
          });
        break;
      default:
        context[key] = Object.hasOwn(named, key) ? named[key] : snapshot.extra?.[key];
    }
  }
  return context;
}
