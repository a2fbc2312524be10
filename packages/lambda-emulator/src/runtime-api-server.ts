/**
 * The Lambda Runtime API (2018-06-01) as one execution environment serves it to its runtime process:
 * `GET /runtime/invocation/next` (held open until there is work), `POST /runtime/invocation/{id}/response`
 * (buffered or streamed), `POST /runtime/invocation/{id}/error` and `POST /runtime/init/error`.
 *
 * Bad input gets the answers the official Runtime Interface Emulator gives, so a runtime client that passes
 * here behaves the same in Lambda: 400 `InvalidRequestID` for an unknown id or a second result, 410
 * `InvokeTimeout` for an invocation that already timed out, 400 `InvalidFunctionResponseMode`, 413
 * `RequestEntityTooLarge`, 403 `InvalidStateTransition` for an init error after init.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { responseTooLarge, type ServiceError } from './lambda-errors.js';
import { MAX_REMEMBERED_REQUEST_IDS, MAX_RESPONSE_BYTES, MAX_STREAMED_RESPONSE_BYTES } from './limits.js';

/** The Runtime API version prefix every path starts with. */
export const RUNTIME_API_PREFIX = '/2018-06-01/runtime';

/** Headers of the Runtime API, as Lambda spells them. */
export const RuntimeApiHeader = {
  REQUEST_ID: 'Lambda-Runtime-Aws-Request-Id',
  DEADLINE_MS: 'Lambda-Runtime-Deadline-Ms',
  FUNCTION_ARN: 'Lambda-Runtime-Invoked-Function-Arn',
  TRACE_ID: 'Lambda-Runtime-Trace-Id',
  CLIENT_CONTEXT: 'Lambda-Runtime-Client-Context',
  COGNITO_IDENTITY: 'Lambda-Runtime-Cognito-Identity',
  TENANT_ID: 'Lambda-Runtime-Aws-Tenant-Id',
  ERROR_TYPE: 'Lambda-Runtime-Function-Error-Type',
  ERROR_BODY: 'Lambda-Runtime-Function-Error-Body',
  RESPONSE_MODE: 'Lambda-Runtime-Function-Response-Mode',
  XRAY_ERROR_CAUSE: 'Lambda-Runtime-Function-XRay-Error-Cause',
} as const;

/** The content type a runtime uses to post an error together with its X-Ray cause in one JSON body. */
const ERROR_WITH_CAUSE_CONTENT_TYPE = 'application/vnd.aws.lambda.error.cause+json';

/** One invocation to hand to the runtime through `GET /next`. */
export interface InvocationRequest {
  readonly requestId: string;
  /** The event, as the JSON text the runtime receives. */
  readonly payload: string;
  /** The function timeout; the deadline is set when the runtime receives the invocation. */
  readonly timeoutMs: number;
  readonly invokedFunctionArn: string;
  readonly traceId?: string;
  /** JSON text for `Lambda-Runtime-Client-Context`. */
  readonly clientContext?: string;
  /** JSON text for `Lambda-Runtime-Cognito-Identity`. */
  readonly cognitoIdentity?: string;
  readonly tenantId?: string;
}

/** How the runtime sent its response: one body, or a chunked stream (`Lambda-Runtime-Function-Response-Mode`). */
export type ResponseMode = 'buffered' | 'streaming';

/** What the runtime reported for an invocation (or the service decided on its behalf). */
export type RuntimeOutcome =
  | {
      readonly kind: 'response';
      readonly body: Buffer;
      readonly contentType: string | undefined;
      readonly responseMode: ResponseMode;
    }
  | {
      readonly kind: 'error';
      readonly body: Buffer;
      /** From `Lambda-Runtime-Function-Error-Type` (header, or trailer of a stream), when the runtime sent one. */
      readonly errorType: string | undefined;
      readonly responseMode: ResponseMode;
      /** What a streaming handler had sent before it failed. */
      readonly streamedBody?: Buffer;
    }
  | { readonly kind: 'init-error'; readonly body: Buffer; readonly errorType: string | undefined }
  | { readonly kind: 'service-error'; readonly error: ServiceError };

/** When the runtime received an invocation, and the deadline it was given. */
export interface Delivery {
  readonly deliveredAtMs: number;
  /** Epoch milliseconds, as sent in `Lambda-Runtime-Deadline-Ms`. */
  readonly deadlineMs: number;
}

/** Callbacks for one dispatched invocation. */
export interface DispatchHandlers {
  /** The runtime took the invocation from `GET /next`. */
  readonly onDelivered?: (delivery: Delivery) => void;
  /** The invocation is over (response, error, init error, oversized response); called at most once. */
  readonly onOutcome: (outcome: RuntimeOutcome) => void;
}

/** An init error posted while no invocation was waiting for init (for example a pre-warmed environment). */
export interface InitErrorReport {
  readonly body: Buffer;
  readonly errorType: string | undefined;
}

/** Where the runtime is in its lifecycle, as the Runtime API tracks it. */
export type RuntimeState = 'initializing' | 'ready' | 'invoking' | 'init-failed';

/** Options for `startRuntimeApiServer`. */
export interface RuntimeApiServerOptions {
  /** Interface to listen on; 127.0.0.1 unless given. */
  readonly host?: string;
  /** Port to listen on; 0 (any free port) unless given. */
  readonly port?: number;
  /** The runtime reported an init error and no dispatched invocation was waiting for it. */
  readonly onInitError?: (report: InitErrorReport) => void;
  /** The runtime asked for work (`GET /next` arrived); it is held until an invocation is dispatched. */
  readonly onNextRequested?: () => void;
}

/** A running Runtime API endpoint for one execution environment. */
export interface RuntimeApiServer {
  /** `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`. */
  readonly address: string;
  readonly state: RuntimeState;
  /** Queues an invocation; the runtime gets it on its next `GET /next`. */
  dispatch(request: InvocationRequest, handlers: DispatchHandlers): void;
  /**
   * Gives up on an invocation (it timed out, or its runtime died): its handlers are not called again, and a late
   * post for it is answered 410 `InvokeTimeout`.
   */
  abandon(requestId: string): void;
  /** A new runtime process takes over: back to `initializing`, and `GET /next` requests held for the old one end. */
  resetRuntime(): void;
  /** Stops listening and ends every connection. Queued invocations are dropped without a callback. */
  close(): Promise<void>;
}

interface QueuedInvocation {
  readonly request: InvocationRequest;
  readonly handlers: DispatchHandlers;
}

interface InFlightInvocation extends QueuedInvocation {
  /** A result post is being received; a second one at the same time is refused. */
  receiving: boolean;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The Runtime API's error answer: `{"errorMessage": ..., "errorType": ...}`. */
function sendError(res: ServerResponse, status: number, errorType: string, errorMessage: string): void {
  sendJson(res, status, { errorMessage, errorType });
}

function sendAccepted(res: ServerResponse): void {
  sendJson(res, 202, { status: 'OK' });
}

/** Reads a request body up to `limitBytes`; `undefined` when it is larger (the rest is discarded). */
function readBody(
  req: IncomingMessage,
  limitBytes: number,
  onDone: (body: Buffer | undefined, complete: boolean) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let overLimit = false;
  let finished = false;
  const finish = (body: Buffer | undefined, complete: boolean): void => {
    if (finished) return;
    finished = true;
    onDone(body, complete);
  };
  req.on('data', (chunk: Buffer) => {
    if (overLimit) return;
    size += chunk.length;
    if (size > limitBytes) {
      overLimit = true;
      chunks.length = 0;
      finish(undefined, true);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => finish(overLimit ? undefined : Buffer.concat(chunks), true));
  // The runtime went away mid-body: nothing usable arrived.
  req.on('close', () => finish(undefined, false));
}

/** Parses `/invocation/{id}/{action}`; `undefined` for any other path. */
function parseInvocationPath(path: string): { requestId: string | undefined; action: string } | undefined {
  const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
  if (!match) return undefined;
  let requestId: string | undefined;
  try {
    requestId = decodeURIComponent(match[1] ?? '');
  } catch {
    requestId = undefined;
  }
  return { requestId, action: match[2] ?? '' };
}

const STATE_NAMES: Readonly<Record<RuntimeState, string>> = {
  initializing: 'Initializing',
  ready: 'Ready',
  invoking: 'Invoking',
  'init-failed': 'InitError',
};

class RuntimeApiServerImpl implements RuntimeApiServer {
  readonly #server: Server;
  readonly #options: RuntimeApiServerOptions;
  readonly #queue: QueuedInvocation[] = [];
  readonly #heldNextRequests: ServerResponse[] = [];
  readonly #inFlight = new Map<string, InFlightInvocation>();
  /** Insertion-ordered, trimmed to `MAX_REMEMBERED_REQUEST_IDS`. */
  readonly #abandoned = new Set<string>();
  readonly #sockets = new Set<Socket>();
  #state: RuntimeState = 'initializing';
  #address = '';
  #closed: Promise<void> | undefined;

  constructor(options: RuntimeApiServerOptions) {
    this.#options = options;
    // No request timeout: a streamed response may last as long as the function runs. No keep-alive timeout:
    // the runtime client reuses its connection, and closing an idle one races with its next request.
    this.#server = createServer({ requestTimeout: 0, keepAliveTimeout: 0 }, (req, res) =>
      this.#route(req, res),
    );
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  get address(): string {
    return this.#address;
  }

  get state(): RuntimeState {
    return this.#state;
  }

  listen(): Promise<void> {
    const host = this.#options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port ?? 0, host, () => {
        this.#server.off('error', reject);
        const { port } = this.#server.address() as AddressInfo;
        this.#address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
        resolve();
      });
    });
  }

  dispatch(request: InvocationRequest, handlers: DispatchHandlers): void {
    this.#queue.push({ request, handlers });
    this.#deliver();
  }

  abandon(requestId: string): void {
    const queuedAt = this.#queue.findIndex((queued) => queued.request.requestId === requestId);
    if (queuedAt >= 0) this.#queue.splice(queuedAt, 1);
    this.#inFlight.delete(requestId);
    this.#abandoned.add(requestId);
    if (this.#abandoned.size > MAX_REMEMBERED_REQUEST_IDS) {
      const oldest = this.#abandoned.values().next().value;
      if (oldest !== undefined) this.#abandoned.delete(oldest);
    }
    if (this.#inFlight.size === 0 && this.#state === 'invoking') this.#state = 'ready';
  }

  resetRuntime(): void {
    this.#state = 'initializing';
    for (const res of this.#heldNextRequests.splice(0)) res.destroy();
  }

  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#queue.length = 0;
      this.#inFlight.clear();
      for (const res of this.#heldNextRequests.splice(0)) res.destroy();
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closed;
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const invocationPath = parseInvocationPath(path);
    let method: 'GET' | 'POST';
    let handle: () => void;
    if (path === `${RUNTIME_API_PREFIX}/invocation/next`) {
      method = 'GET';
      handle = () => this.#onNext(req, res);
    } else if (path === `${RUNTIME_API_PREFIX}/init/error`) {
      method = 'POST';
      handle = () => this.#onInitError(req, res);
    } else if (invocationPath) {
      method = 'POST';
      handle = () =>
        this.#onInvocationResult(req, res, invocationPath.requestId, invocationPath.action === 'error');
    } else {
      req.resume();
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    if (req.method === method) {
      handle();
      return;
    }
    req.resume();
    res.writeHead(405, { 'Content-Length': 0 });
    res.end();
  }

  #onNext(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (this.#state === 'initializing') this.#state = 'ready';
    this.#heldNextRequests.push(res);
    res.on('close', () => {
      const at = this.#heldNextRequests.indexOf(res);
      if (at >= 0) this.#heldNextRequests.splice(at, 1);
    });
    this.#options.onNextRequested?.();
    this.#deliver();
  }

  #deliver(): void {
    while (this.#queue.length > 0 && this.#heldNextRequests.length > 0) {
      const res = this.#heldNextRequests.shift();
      if (!res || res.destroyed || res.headersSent) continue;
      const queued = this.#queue.shift();
      if (!queued) return;
      const { request, handlers } = queued;
      const deliveredAtMs = Date.now();
      const deadlineMs = deliveredAtMs + request.timeoutMs;
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        [RuntimeApiHeader.REQUEST_ID]: request.requestId,
        [RuntimeApiHeader.DEADLINE_MS]: String(deadlineMs),
        [RuntimeApiHeader.FUNCTION_ARN]: request.invokedFunctionArn,
      };
      if (request.traceId) headers[RuntimeApiHeader.TRACE_ID] = request.traceId;
      if (request.clientContext) headers[RuntimeApiHeader.CLIENT_CONTEXT] = request.clientContext;
      if (request.cognitoIdentity) headers[RuntimeApiHeader.COGNITO_IDENTITY] = request.cognitoIdentity;
      if (request.tenantId) headers[RuntimeApiHeader.TENANT_ID] = request.tenantId;
      headers['Content-Length'] = String(Buffer.byteLength(request.payload));
      this.#inFlight.set(request.requestId, { request, handlers, receiving: false });
      this.#state = 'invoking';
      res.writeHead(200, headers);
      res.end(request.payload);
      handlers.onDelivered?.({ deliveredAtMs, deadlineMs });
    }
  }

  #finish(requestId: string, outcome: RuntimeOutcome): void {
    const invocation = this.#inFlight.get(requestId);
    if (!invocation) return;
    this.#inFlight.delete(requestId);
    if (this.#inFlight.size === 0 && this.#state === 'invoking') this.#state = 'ready';
    invocation.handlers.onOutcome(outcome);
  }

  #onInitError(req: IncomingMessage, res: ServerResponse): void {
    if (this.#state !== 'initializing') {
      req.resume();
      sendError(
        res,
        403,
        'InvalidStateTransition',
        `State transition from ${STATE_NAMES[this.#state]} to InitError failed for runtime. Error: State transition is not allowed`,
      );
      return;
    }
    const errorType = header(req, RuntimeApiHeader.ERROR_TYPE);
    readBody(req, MAX_RESPONSE_BYTES, (body, complete) => {
      if (!complete) return;
      if (body === undefined) {
        sendError(res, 413, 'RequestEntityTooLarge', tooLargeMessage(MAX_RESPONSE_BYTES));
        return;
      }
      this.#state = 'init-failed';
      sendAccepted(res);
      // Lambda reports an init error on the invocation that started the init.
      const waiting = this.#queue.shift();
      if (waiting) waiting.handlers.onOutcome({ kind: 'init-error', body, errorType });
      else this.#options.onInitError?.({ body, errorType });
    });
  }

  #onInvocationResult(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string | undefined,
    isError: boolean,
  ): void {
    const invocation = requestId === undefined ? undefined : this.#inFlight.get(requestId);
    if (requestId === undefined || !invocation || invocation.receiving) {
      req.resume();
      if (requestId !== undefined && this.#abandoned.has(requestId)) {
        sendError(res, 410, 'InvokeTimeout', 'Invoke timeout');
        return;
      }
      sendError(res, 400, 'InvalidRequestID', 'Invalid request ID');
      return;
    }
    const modeHeader = header(req, RuntimeApiHeader.RESPONSE_MODE);
    let responseMode: ResponseMode = 'buffered';
    if (modeHeader !== undefined) {
      const mode = modeHeader.toLowerCase();
      if (mode !== 'streaming' && mode !== 'buffered') {
        req.resume();
        sendError(res, 400, 'InvalidFunctionResponseMode', 'Invalid function response mode');
        return;
      }
      responseMode = mode;
    }
    const limitBytes = responseMode === 'streaming' ? MAX_STREAMED_RESPONSE_BYTES : MAX_RESPONSE_BYTES;
    const declaredBytes = Number.parseInt(header(req, 'content-length') ?? '', 10);
    invocation.receiving = true;
    const refuseTooLarge = (actualBytes: number | undefined): void => {
      sendError(res, 413, 'RequestEntityTooLarge', tooLargeMessage(limitBytes));
      this.#finish(invocation.request.requestId, {
        kind: 'service-error',
        error: responseTooLarge(limitBytes, actualBytes),
      });
    };
    if (Number.isFinite(declaredBytes) && declaredBytes > limitBytes) {
      req.resume();
      refuseTooLarge(declaredBytes);
      return;
    }
    const errorTypeHeader = header(req, RuntimeApiHeader.ERROR_TYPE);
    const contentType = header(req, 'content-type');
    readBody(req, limitBytes, (body, complete) => {
      if (!complete) {
        // Truncated: the runtime may post again, or its exit ends the invocation.
        invocation.receiving = false;
        return;
      }
      if (body === undefined) {
        refuseTooLarge(undefined);
        return;
      }
      sendAccepted(res);
      this.#finish(
        invocation.request.requestId,
        resultOutcome(req, body, isError, responseMode, errorTypeHeader, contentType),
      );
    });
  }
}

function tooLargeMessage(limitBytes: number): string {
  return `Exceeded maximum allowed payload size (${limitBytes} bytes).`;
}

/** Turns a completed result post into an outcome, reading a streamed error from the trailers. */
function resultOutcome(
  req: IncomingMessage,
  body: Buffer,
  isError: boolean,
  responseMode: ResponseMode,
  errorTypeHeader: string | undefined,
  contentType: string | undefined,
): RuntimeOutcome {
  if (isError) {
    const errorBody = contentType === ERROR_WITH_CAUSE_CONTENT_TYPE ? errorBodyWithoutCause(body) : body;
    return { kind: 'error', body: errorBody, errorType: errorTypeHeader, responseMode };
  }
  const trailerErrorType = req.trailers[RuntimeApiHeader.ERROR_TYPE.toLowerCase()];
  if (responseMode === 'streaming' && trailerErrorType) {
    const encoded = req.trailers[RuntimeApiHeader.ERROR_BODY.toLowerCase()];
    const errorBody = encoded
      ? Buffer.from(encoded, 'base64')
      : Buffer.from(JSON.stringify({ errorType: trailerErrorType, errorMessage: '' }));
    return { kind: 'error', body: errorBody, errorType: trailerErrorType, responseMode, streamedBody: body };
  }
  return { kind: 'response', body, contentType, responseMode };
}

/**
 * An error posted with its X-Ray cause: the caller gets the error without the cause. A body that is not the
 * expected JSON object becomes the JSON string `"Invalid error body"`, as in Lambda.
 */
function errorBodyWithoutCause(body: Buffer): Buffer {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const { errorMessage, errorType, stackTrace } = parsed as Record<string, unknown>;
      return Buffer.from(JSON.stringify({ errorMessage, errorType, stackTrace }));
    }
  } catch {
    // Falls through to Lambda's answer for an unreadable body.
  }
  return Buffer.from(JSON.stringify('Invalid error body'));
}

/** Starts a Runtime API endpoint on a free local port (unless told otherwise). */
export async function startRuntimeApiServer(
  options: RuntimeApiServerOptions = {},
): Promise<RuntimeApiServer> {
  const server = new RuntimeApiServerImpl(options);
  await server.listen();
  return server;
}
