import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES } from './limits.js';
import {
  type InvocationRequest,
  type RuntimeApiServer,
  type RuntimeApiServerOptions,
  type RuntimeOutcome,
  startRuntimeApiServer,
} from './runtime-api-server.js';

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface RawRequest {
  readonly headers?: Record<string, string>;
  /** Sent with Content-Length. */
  readonly body?: string | Buffer;
  /** Sent chunked, one write each, then these trailers. */
  readonly chunks?: readonly string[];
  readonly trailers?: Record<string, string>;
}

/** One HTTP request on its own connection, as a runtime client would send it. */
function send(address: string, method: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host, port: Number(port), method, path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
      if (options.trailers) req.addTrailers(options.trailers);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

const servers: RuntimeApiServer[] = [];

async function startServer(options: RuntimeApiServerOptions = {}): Promise<RuntimeApiServer> {
  const server = await startRuntimeApiServer(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function invocation(overrides: Partial<InvocationRequest> = {}): InvocationRequest {
  return {
    requestId: 'req-1',
    payload: '{"hello":"world"}',
    timeoutMs: 3000,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    ...overrides,
  };
}

/** Dispatches an invocation and collects its outcome. */
function dispatch(server: RuntimeApiServer, request = invocation()): Promise<RuntimeOutcome> {
  return new Promise((resolve) => server.dispatch(request, { onOutcome: resolve }));
}

/** Takes the next invocation the way a runtime does: `GET /next`. */
function next(server: RuntimeApiServer): Promise<RawResponse> {
  return send(server.address, 'GET', '/2018-06-01/runtime/invocation/next');
}

function postResult(
  server: RuntimeApiServer,
  requestId: string,
  kind: 'response' | 'error',
  options: RawRequest,
) {
  return send(
    server.address,
    'POST',
    `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/${kind}`,
    options,
  );
}

describe('GET /runtime/invocation/next', () => {
  it('holds the request until an invocation is dispatched, then sends it with the Runtime API headers', async () => {
    let asked!: () => void;
    const nextArrived = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const server = await startServer({ onNextRequested: () => asked() });
    let answered = false;
    const pending = next(server).then((response) => {
      answered = true;
      return response;
    });
    await nextArrived;
    expect(answered).toBe(false);
    expect(server.state).toBe('ready');

    let deadlineMs = 0;
    server.dispatch(
      invocation({
        clientContext: '{"custom":{"k":"v"}}',
        cognitoIdentity: '{"cognitoIdentityId":"id-1"}',
        traceId: 'Root=1-00000000-000000000000000000000000',
        tenantId: 'tenant-7',
      }),
      { onDelivered: (delivery) => (deadlineMs = delivery.deadlineMs), onOutcome: () => undefined },
    );
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.body).toBe('{"hello":"world"}');
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['lambda-runtime-aws-request-id']).toBe('req-1');
    expect(response.headers['lambda-runtime-deadline-ms']).toBe(String(deadlineMs));
    expect(response.headers['lambda-runtime-invoked-function-arn']).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:f',
    );
    expect(response.headers['lambda-runtime-trace-id']).toBe('Root=1-00000000-000000000000000000000000');
    expect(response.headers['lambda-runtime-client-context']).toBe('{"custom":{"k":"v"}}');
    expect(response.headers['lambda-runtime-cognito-identity']).toBe('{"cognitoIdentityId":"id-1"}');
    expect(response.headers['lambda-runtime-aws-tenant-id']).toBe('tenant-7');
    expect(server.state).toBe('invoking');
  });

  it('leaves out the optional headers when the invocation has none', async () => {
    const server = await startServer();
    server.dispatch(invocation(), { onOutcome: () => undefined });
    const response = await next(server);
    expect(response.headers['lambda-runtime-client-context']).toBeUndefined();
    expect(response.headers['lambda-runtime-cognito-identity']).toBeUndefined();
    expect(response.headers['lambda-runtime-aws-tenant-id']).toBeUndefined();
  });
});

describe('POST /runtime/invocation/{id}/response', () => {
  it('accepts the response and reports exactly the bytes posted', async () => {
    const server = await startServer();
    const outcome = dispatch(server);
    await next(server);
    const body = Buffer.from('{"ok":true,"text":"héllo"}');
    const answer = await postResult(server, 'req-1', 'response', {
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toEqual({ status: 'OK' });
    const reported = await outcome;
    expect(reported.kind).toBe('response');
    if (reported.kind !== 'response') return;
    expect(reported.body.equals(body)).toBe(true);
    expect(reported.responseMode).toBe('buffered');
    expect(server.state).toBe('ready');
  });

  it('answers 400 InvalidRequestID for an unknown request id', async () => {
    const server = await startServer();
    const answer = await postResult(server, 'no-such-request', 'response', { body: '{}' });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      errorMessage: 'Invalid request ID',
      errorType: 'InvalidRequestID',
    });
  });

  it('answers 400 InvalidRequestID for a second result of the same invocation', async () => {
    const server = await startServer();
    const outcome = dispatch(server);
    await next(server);
    expect((await postResult(server, 'req-1', 'response', { body: '"first"' })).status).toBe(202);
    const second = await postResult(server, 'req-1', 'response', { body: '"second"' });
    expect(second.status).toBe(400);
    expect(JSON.parse(second.body).errorType).toBe('InvalidRequestID');
    const error = await postResult(server, 'req-1', 'error', { body: '{}' });
    expect(error.status).toBe(400);
    const reported = await outcome;
    expect(reported.kind === 'response' && reported.body.toString()).toBe('"first"');
  });

  it('answers 400 InvalidRequestID for an id that is not valid percent-encoding', async () => {
    const server = await startServer();
    const answer = await send(server.address, 'POST', '/2018-06-01/runtime/invocation/%E0%A4%A/response', {
      body: '{}',
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).errorType).toBe('InvalidRequestID');
  });

  it('answers 410 InvokeTimeout for an invocation that was abandoned (timed out)', async () => {
    const server = await startServer();
    let called = false;
    server.dispatch(invocation(), { onOutcome: () => (called = true) });
    await next(server);
    server.abandon('req-1');
    const answer = await postResult(server, 'req-1', 'response', { body: '"late"' });
    expect(answer.status).toBe(410);
    expect(JSON.parse(answer.body)).toEqual({ errorMessage: 'Invoke timeout', errorType: 'InvokeTimeout' });
    expect(called).toBe(false);
  });

  it('answers 400 InvalidFunctionResponseMode for an unknown response mode, and accepts a retry', async () => {
    const server = await startServer();
    const outcome = dispatch(server);
    await next(server);
    const bad = await postResult(server, 'req-1', 'response', {
      headers: { 'Lambda-Runtime-Function-Response-Mode': 'sideways' },
      body: '"x"',
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({
      errorMessage: 'Invalid function response mode',
      errorType: 'InvalidFunctionResponseMode',
    });
    expect((await postResult(server, 'req-1', 'response', { body: '"retry"' })).status).toBe(202);
    const reported = await outcome;
    expect(reported.kind === 'response' && reported.body.toString()).toBe('"retry"');
  });

  it('answers 413 for a response over the 6 MB limit and fails the invocation as Lambda does', async () => {
    const server = await startServer();
    const outcome = dispatch(server);
    await next(server);
    const size = MAX_RESPONSE_BYTES + 1;
    const answer = await postResult(server, 'req-1', 'response', { body: Buffer.alloc(size, 0x61) });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      errorType: 'RequestEntityTooLarge',
    });
    const reported = await outcome;
    expect(reported.kind).toBe('service-error');
    if (reported.kind !== 'service-error') return;
    expect(reported.error.errorType).toBe('Function.ResponseSizeTooLarge');
    expect(reported.error.errorMessage).toBe(
      `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
    );
  });

  it('reads a streamed response, and a streamed error from its trailers', async () => {
    const server = await startServer();
    const first = dispatch(server, invocation({ requestId: 'stream-ok' }));
    await next(server);
    const streamed = await postResult(server, 'stream-ok', 'response', {
      headers: { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Content-Type': 'text/plain' },
      chunks: ['hello ', 'world'],
    });
    expect(streamed.status).toBe(202);
    const ok = await first;
    expect(ok).toMatchObject({ kind: 'response', responseMode: 'streaming', contentType: 'text/plain' });
    expect(ok.kind === 'response' && ok.body.toString()).toBe('hello world');

    const second = dispatch(server, invocation({ requestId: 'stream-broken' }));
    await next(server);
    const errorBody = JSON.stringify({ errorType: 'Error', errorMessage: 'broke', trace: [] });
    await postResult(server, 'stream-broken', 'response', {
      headers: {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
      },
      chunks: ['partial'],
      trailers: {
        'Lambda-Runtime-Function-Error-Type': 'Error',
        'Lambda-Runtime-Function-Error-Body': Buffer.from(errorBody).toString('base64'),
      },
    });
    const broken = await second;
    expect(broken.kind).toBe('error');
    if (broken.kind !== 'error') return;
    expect(broken.errorType).toBe('Error');
    expect(broken.body.toString()).toBe(errorBody);
    expect(broken.streamedBody?.toString()).toBe('partial');
  });
});

describe('POST /runtime/invocation/{id}/error', () => {
  it('reports the error body and the Lambda-Runtime-Function-Error-Type header', async () => {
    const server = await startServer();
    const outcome = dispatch(server);
    await next(server);
    const body = '{"errorType":"TypeError","errorMessage":"nope","trace":[]}';
    const answer = await postResult(server, 'req-1', 'error', {
      headers: { 'Lambda-Runtime-Function-Error-Type': 'Custom.Type' },
      body,
    });
    expect(answer.status).toBe(202);
    expect(await outcome).toMatchObject({ kind: 'error', errorType: 'Custom.Type' });
    const reported = await outcome;
    expect(reported.kind === 'error' && reported.body.toString()).toBe(body);
  });

  it('turns an unreadable error-with-cause body into "Invalid error body", and strips the cause of a good one', async () => {
    const server = await startServer();
    const bad = dispatch(server, invocation({ requestId: 'bad-body' }));
    await next(server);
    const contentType = 'application/vnd.aws.lambda.error.cause+json';
    const answer = await postResult(server, 'bad-body', 'error', {
      headers: { 'Content-Type': contentType },
      body: '{not json',
    });
    expect(answer.status).toBe(202);
    const reportedBad = await bad;
    expect(reportedBad.kind === 'error' && reportedBad.body.toString()).toBe('"Invalid error body"');

    const good = dispatch(server, invocation({ requestId: 'good-body' }));
    await next(server);
    await postResult(server, 'good-body', 'error', {
      headers: { 'Content-Type': contentType },
      body: JSON.stringify({
        errorMessage: 'm',
        errorType: 't',
        stackTrace: ['a'],
        errorCause: { paths: [] },
      }),
    });
    const reportedGood = await good;
    expect(reportedGood.kind === 'error' && JSON.parse(reportedGood.body.toString())).toEqual({
      errorMessage: 'm',
      errorType: 't',
      stackTrace: ['a'],
    });
  });
});

describe('POST /runtime/init/error', () => {
  it('reports an init error on the invocation waiting for the init', async () => {
    const server = await startServer();
    const outcome = dispatch(server);
    const body = '{"errorType":"Runtime.ImportModuleError","errorMessage":"gone"}';
    const answer = await send(server.address, 'POST', '/2018-06-01/runtime/init/error', {
      headers: { 'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError' },
      body,
    });
    expect(answer.status).toBe(202);
    const reported = await outcome;
    expect(reported).toMatchObject({ kind: 'init-error', errorType: 'Runtime.ImportModuleError' });
    expect(reported.kind === 'init-error' && reported.body.toString()).toBe(body);
    expect(server.state).toBe('init-failed');
  });

  it('tells the server owner about an init error nobody was waiting for', async () => {
    let reported: string | undefined;
    const server = await startServer({ onInitError: (report) => (reported = report.errorType) });
    await send(server.address, 'POST', '/2018-06-01/runtime/init/error', {
      headers: { 'Lambda-Runtime-Function-Error-Type': 'Runtime.UserCodeSyntaxError' },
      body: '{}',
    });
    expect(reported).toBe('Runtime.UserCodeSyntaxError');
  });

  it('answers 403 InvalidStateTransition once the runtime has asked for work', async () => {
    const server = await startServer();
    server.dispatch(invocation(), { onOutcome: () => undefined });
    await next(server);
    const answer = await send(server.address, 'POST', '/2018-06-01/runtime/init/error', { body: '{}' });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({
      errorMessage:
        'State transition from Invoking to InitError failed for runtime. Error: State transition is not allowed',
      errorType: 'InvalidStateTransition',
    });
  });

  it('accepts an init error again after the runtime is replaced', async () => {
    const server = await startServer();
    server.dispatch(invocation(), { onOutcome: () => undefined });
    await next(server);
    server.abandon('req-1');
    server.resetRuntime();
    expect(server.state).toBe('initializing');
    const answer = await send(server.address, 'POST', '/2018-06-01/runtime/init/error', { body: '{}' });
    expect(answer.status).toBe(202);
  });
});

describe('other requests', () => {
  it('answers 404 for an unknown path and 405 for a wrong method', async () => {
    const server = await startServer();
    expect((await send(server.address, 'GET', '/2018-06-01/runtime/nothing')).status).toBe(404);
    expect((await send(server.address, 'POST', '/2018-06-01/runtime/invocation/next')).status).toBe(405);
    expect((await send(server.address, 'GET', '/2018-06-01/runtime/invocation/req-1/response')).status).toBe(
      405,
    );
    expect((await send(server.address, 'GET', '/2018-06-01/runtime/init/error')).status).toBe(405);
  });

  it('ends held requests when it closes', async () => {
    let asked!: () => void;
    const nextArrived = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const server = await startRuntimeApiServer({ onNextRequested: () => asked() });
    const pending = next(server).then(
      () => 'answered',
      () => 'connection closed',
    );
    await nextArrived;
    await server.close();
    expect(await pending).toBe('connection closed');
  });
});
