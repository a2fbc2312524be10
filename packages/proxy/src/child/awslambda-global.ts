/**
 * `globalThis.awslambda` in the child, present when the runtime client created it in the parent, with the
 * members the parent's has, in the same order. Handlers call `awslambda.streamifyResponse(...)` at load time and
 * libraries read `awslambda.InvokeStore`; the child must not fail where the parent succeeded. (Streaming handlers
 * themselves run without the debugger: see the README.)
 */
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

const METADATA_PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER_LENGTH = 8;

interface PreludeStream {
  setContentType(contentType: string): void;
  _onBeforeFirstWrite?: (write: (chunk: string | Uint8Array) => void) => void;
}

/** The runtime's response-stream class, for handlers that reference it while loading. */
// biome-ignore lint/complexity/noStaticOnlyClass: mirrors the runtime client's own `HttpResponseStream` class.
class HttpResponseStream {
  static from(underlyingStream: PreludeStream, prelude: unknown): PreludeStream {
    underlyingStream.setContentType(METADATA_PRELUDE_CONTENT_TYPE);
    const metadataPrelude = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadataPrelude);
      write(new Uint8Array(DELIMITER_LENGTH));
    };
    return underlyingStream;
  }
}

function streamifyResponse<T extends object>(handler: T, options?: { highWaterMark?: unknown }): T {
  const marked = handler as Record<symbol, unknown>;
  marked[HANDLER_STREAMING] = STREAM_RESPONSE;
  if (typeof options?.highWaterMark === 'number')
    marked[HANDLER_HIGHWATERMARK] = Math.trunc(options.highWaterMark);
  return handler;
}

/** The keys aws-lambda-ric 4.x reserves in its invoke store (the same `Symbol.for` names). */
const PROTECTED_KEYS = {
  REQUEST_ID: Symbol.for('_AWS_LAMBDA_REQUEST_ID'),
  X_RAY_TRACE_ID: Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID'),
  TENANT_ID: Symbol.for('_AWS_LAMBDA_TENANT_ID'),
} as const;

type StoreContext = Record<string | symbol, unknown>;

/**
 * The per-invocation store aws-lambda-ric 4.x exposes as `awslambda.InvokeStore` (libraries such as logging
 * tools read the request id from it). One invocation at a time runs in the child, as in a single-concurrency
 * runtime.
 */
class ChildInvokeStore {
  static readonly PROTECTED_KEYS = PROTECTED_KEYS;
  #current: StoreContext | undefined;

  isProtectedKey(key: string | symbol): boolean {
    return (Object.values(PROTECTED_KEYS) as (string | symbol)[]).includes(key);
  }

  getRequestId(): unknown {
    return this.get(PROTECTED_KEYS.REQUEST_ID) ?? '-';
  }

  getXRayTraceId(): unknown {
    return this.get(PROTECTED_KEYS.X_RAY_TRACE_ID);
  }

  getTenantId(): unknown {
    return this.get(PROTECTED_KEYS.TENANT_ID);
  }

  getContext(): StoreContext | undefined {
    return this.#current;
  }

  hasContext(): boolean {
    return this.#current !== undefined;
  }

  get(key: string | symbol): unknown {
    return this.#current?.[key];
  }

  set(key: string | symbol, value: unknown): void {
    if (this.isProtectedKey(key))
      throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    this.#current ??= {};
    this.#current[key] = value;
  }

  run<T>(context: StoreContext, fn: () => T): T {
    this.#current = context;
    return fn();
  }
}

const invokeStore = new ChildInvokeStore();

/** Makes the invoke store describe the invocation about to run (as 4.x does before calling the handler). */
export function enterInvocation(requestId: string, xRayTraceId: string | undefined): void {
  invokeStore.run(
    { [PROTECTED_KEYS.REQUEST_ID]: requestId, [PROTECTED_KEYS.X_RAY_TRACE_ID]: xRayTraceId },
    () => undefined,
  );
}

const MEMBERS: Readonly<Record<string, unknown>> = {
  streamifyResponse,
  HttpResponseStream,
  InvokeStore: invokeStore,
};

/** Creates `globalThis.awslambda` with the members named in `keys` that the child knows how to provide. */
export function installAwsLambdaGlobal(keys: readonly string[]): void {
  const global = globalThis as { awslambda?: Record<string, unknown> };
  const value: Record<string, unknown> = { ...(global.awslambda ?? {}) };
  for (const key of keys) if (Object.hasOwn(MEMBERS, key)) value[key] = MEMBERS[key];
  global.awslambda = value;
}
