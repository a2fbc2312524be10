import { CloseCode } from '@lambda-debug/shim-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BrokerConfigError,
  deriveToken,
  generateSecret,
  MAX_PRE_HELLO_BYTES,
  MIN_SECRET_LENGTH,
  startBroker,
} from '../src/index.js';
import {
  captureLogger,
  FakeProxy,
  rawExchange,
  statusOf,
  TestDebugger,
  TestScope,
  upgradeRequest,
} from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

describe('starting without a usable secret', () => {
  it('refuses to start without a secret and says how to make one', async () => {
    const attempt = startBroker({ lambdaPort: 0, debuggerPort: 0 });
    await expect(attempt).rejects.toBeInstanceOf(BrokerConfigError);
    await expect(attempt).rejects.toMatchObject({ code: 'missing-secret' });
    await expect(attempt).rejects.toThrow(/LAMBDA_DEBUG_SECRET.*lambda-debug secret.*--no-auth/);
  });

  it('refuses a secret shorter than MIN_SECRET_LENGTH without echoing it', async () => {
    const weak = 'short-secret';
    expect(weak.length).toBeLessThan(MIN_SECRET_LENGTH);
    const attempt = startBroker({ lambdaPort: 0, debuggerPort: 0, secret: weak });
    await expect(attempt).rejects.toMatchObject({ code: 'weak-secret' });
    await expect(attempt).rejects.not.toThrow(weak);
  });

  it('reports a port already in use with the option to change', async () => {
    const test = await scope.broker();
    const attempt = startBroker({
      secret: generateSecret(),
      lambdaPort: 0,
      debuggerPort: test.broker.debuggerAddress.port,
      logger: captureLogger().logger,
    });
    await expect(attempt).rejects.toMatchObject({ code: 'address-in-use' });
    await expect(attempt).rejects.toThrow(/--debugger-port/);
  });

  it('rejects limits that make no sense', async () => {
    await expect(
      startBroker({ secret: generateSecret(), lambdaPort: 0, debuggerPort: 0, limits: { maxSessions: 0 } }),
    ).rejects.toMatchObject({ code: 'invalid-option' });
    await expect(
      startBroker({
        secret: generateSecret(),
        lambdaPort: 0,
        debuggerPort: 0,
        limits: { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 10 },
      }),
    ).rejects.toThrow(/heartbeatTimeoutMs/);
  });
});

describe('Lambda side authentication', () => {
  /** A raw upgrade to the Lambda port: what the broker answered, and whether it ever opened a link. */
  async function lambdaUpgrade(path: string, headers: Record<string, string> = {}) {
    const test = await scope.broker();
    const response = await rawExchange(test.broker.lambdaAddress.port, upgradeRequest(path, headers));
    return { test, response, status: statusOf(response) };
  }

  function bearer(token: string): Record<string, string> {
    return { Authorization: `Bearer ${token}` };
  }

  it('welcomes a proxy with its own Lambda token', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'payments');
    expect(test.broker.stats().lambdaSockets).toBe(1);
    await proxy.register();
  });

  it('accepts the Lambda token in the query of the upgrade as well', async () => {
    const test = await scope.broker();
    const token = deriveToken(test.secret ?? '', 'lambda', 'payments');
    const proxy = scope.track(
      await FakeProxy.open(test.broker, 'payments', { path: `/v1/lambda/payments?token=${token}` }),
    );
    proxy.hello(token);
    expect((await proxy.control.next()).type).toBe('welcome');
  });

  it('answers an upgrade without a token with 401 and how to get one, and never opens a WebSocket', async () => {
    const { test, response, status } = await lambdaUpgrade('/v1/lambda/payments');
    expect(status).toBe(401);
    expect(response).toContain('lambda-debug env --fn payments');
    expect(response).not.toContain('101 Switching Protocols');
    expect(test.broker.stats().lambdaSockets).toBe(0);
  });

  it('answers a wrong token with 401', async () => {
    const { status } = await lambdaUpgrade(
      '/v1/lambda/payments',
      bearer(deriveToken(generateSecret(), 'lambda', 'payments')),
    );
    expect(status).toBe(401);
  });

  it('answers another function’s Lambda token with 401', async () => {
    const test = await scope.broker();
    const response = await rawExchange(
      test.broker.lambdaAddress.port,
      upgradeRequest('/v1/lambda/payments', bearer(deriveToken(test.secret ?? '', 'lambda', 'refunds'))),
    );
    expect(statusOf(response)).toBe(401);
  });

  it('answers a debugger token with 401 that says which token is needed', async () => {
    const test = await scope.broker();
    const response = await rawExchange(
      test.broker.lambdaAddress.port,
      upgradeRequest('/v1/lambda/payments', bearer(deriveToken(test.secret ?? '', 'debugger', 'payments'))),
    );
    expect(statusOf(response)).toBe(401);
    expect(response).toContain('That is a debugger token');
  });

  it('answers the admin token with 401', async () => {
    const test = await scope.broker();
    const response = await rawExchange(
      test.broker.lambdaAddress.port,
      upgradeRequest('/v1/lambda/payments', bearer(deriveToken(test.secret ?? '', 'admin'))),
    );
    expect(statusOf(response)).toBe(401);
  });

  it('answers an upgrade that names no function with 401 and the path to use', async () => {
    const test = await scope.broker();
    const token = deriveToken(test.secret ?? '', 'lambda', 'payments');
    const response = await rawExchange(
      test.broker.lambdaAddress.port,
      upgradeRequest('/v1/lambda', bearer(token)),
    );
    expect(statusOf(response)).toBe(401);
    expect(response).toContain('/v1/lambda/<functionId>');
    expect(response).not.toContain(token);
  });

  it('refuses a hello with a wrong token on an authenticated link with UNAUTHORIZED', async () => {
    const test = await scope.broker();
    const proxy = scope.track(await FakeProxy.openAuthenticated(test.broker, test.secret, 'payments'));
    proxy.hello('');
    const closed = await proxy.closed;
    expect(closed.code).toBe(CloseCode.UNAUTHORIZED);
    expect(closed.reason).toContain('lambda-debug env --fn payments');
  });

  it('refuses a hello for another function than the link was opened for', async () => {
    const test = await scope.broker();
    const proxy = scope.track(await FakeProxy.openAuthenticated(test.broker, test.secret, 'payments'));
    proxy.hello(deriveToken(test.secret ?? '', 'lambda', 'refunds'), { functionId: 'refunds' });
    const closed = await proxy.closed;
    expect(closed.code).toBe(CloseCode.UNAUTHORIZED);
    expect(closed.reason).toContain('opened for payments');
  });

  it('closes a proxy that never says hello with HANDSHAKE_TIMEOUT', async () => {
    const test = await scope.broker({ limits: { handshakeTimeoutMs: 50 } });
    const proxy = scope.track(await FakeProxy.openAuthenticated(test.broker, test.secret, 'silent'));
    expect((await proxy.closed).code).toBe(CloseCode.HANDSHAKE_TIMEOUT);
  });

  it('refuses anything before hello', async () => {
    const test = await scope.broker();
    const proxy = scope.track(await FakeProxy.openAuthenticated(test.broker, test.secret, 'eager'));
    proxy.send({ type: 'register', sessionId: 's', requestId: 'r', deadlineMs: Date.now() + 1000 });
    expect((await proxy.closed).code).toBe(CloseCode.UNKNOWN_MESSAGE);
  });

  it('closes a link that sends more than a control message before hello with FRAME_TOO_LARGE', async () => {
    const test = await scope.broker();
    const proxy = scope.track(await FakeProxy.openAuthenticated(test.broker, test.secret, 'bulky'));
    // Large enough that the broker cuts it off while it is still arriving, not after `ws` buffered it whole.
    proxy.ws.send(`{"type":"hello","pad":"${'x'.repeat(64 * MAX_PRE_HELLO_BYTES)}"}`);
    const closed = await proxy.closed;
    expect(closed.code).toBe(CloseCode.FRAME_TOO_LARGE);
    expect(closed.reason).toContain('before hello');
  });

  it('takes frames up to maxFrameBytes once hello is accepted', async () => {
    const test = await scope.broker();
    const { proxy, sessionId, dbg } = await scope.attachedSession(test, 'roomy');
    const big = `{"method":"Debugger.scriptParsed","params":{"pad":"${'y'.repeat(4 * MAX_PRE_HELLO_BYTES)}"}}`;
    proxy.sendCdp(sessionId, big);
    expect((await dbg.messages.next()).length).toBe(big.length);
  });

  it('refuses a second hello on the same link', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'twice');
    proxy.hello(deriveToken(test.secret ?? '', 'lambda', 'twice'));
    expect((await proxy.closed).code).toBe(CloseCode.UNKNOWN_MESSAGE);
  });

  it('refuses a proxy speaking another protocol version with UNSUPPORTED_VERSION', async () => {
    const test = await scope.broker();
    const proxy = scope.track(await FakeProxy.openAuthenticated(test.broker, test.secret, 'future'));
    proxy.hello(deriveToken(test.secret ?? '', 'lambda', 'future'), { protocolVersion: 99 });
    const closed = await proxy.closed;
    expect(closed.code).toBe(CloseCode.UNSUPPORTED_VERSION);
    expect(closed.reason).toContain('protocol version 99');
  });

  it('refuses other paths on the Lambda port with 404 before upgrading', async () => {
    for (const path of ['/v2/lambda', '/v1/lambda/payments/extra', '/v1/lambda/bad%20id']) {
      const { status } = await lambdaUpgrade(path);
      expect(status, path).toBe(404);
    }
  });

  it('refuses browsers (an Origin header) on the Lambda port', async () => {
    const { status } = await lambdaUpgrade('/v1/lambda/payments', { Origin: 'https://evil.example' });
    expect(status).toBe(403);
  });
});

describe('debugger side authentication', () => {
  async function refusedUpgrade(
    path: string,
    token: string | undefined,
    headers: Record<string, string> = {},
  ) {
    const test = await scope.broker();
    const query = token === undefined ? '' : `?token=${token}`;
    const response = await rawExchange(
      test.broker.debuggerAddress.port,
      upgradeRequest(`${path}${query}`, headers),
    );
    return { test, response };
  }

  it('attaches with the function’s debugger token, in the query or as a Bearer header', async () => {
    const test = await scope.broker();
    const viaQuery = await scope.debugger(test, 'reports');
    const viaHeader = scope.track(
      await TestDebugger.connect(test.broker, '/reports', undefined, {
        headers: { Authorization: `Bearer ${deriveToken(test.secret ?? '', 'debugger', 'reports')}` },
      }),
    );
    expect((await viaQuery.notice()).type).toBe('log');
    expect((await viaHeader.notice()).type).toBe('log');
    expect(test.broker.stats().heldDebuggers).toBe(2);
  });

  it('refuses a missing token with 401 and how to get one', async () => {
    const { response } = await refusedUpgrade('/reports', undefined);
    expect(statusOf(response)).toBe(401);
    expect(response).toContain('lambda-debug url --fn reports');
  });

  it('refuses a wrong token with 401', async () => {
    const { response } = await refusedUpgrade(
      '/reports',
      deriveToken(generateSecret(), 'debugger', 'reports'),
    );
    expect(statusOf(response)).toBe(401);
  });

  it('refuses another function’s debugger token with 401', async () => {
    const test = await scope.broker();
    const response = await rawExchange(
      test.broker.debuggerAddress.port,
      upgradeRequest(`/reports?token=${deriveToken(test.secret ?? '', 'debugger', 'billing')}`, {}),
    );
    expect(statusOf(response)).toBe(401);
    expect(test.broker.stats().heldDebuggers).toBe(0);
  });

  it('refuses the function’s Lambda token in the debugger role with 401', async () => {
    const test = await scope.broker();
    const response = await rawExchange(
      test.broker.debuggerAddress.port,
      upgradeRequest(`/reports?token=${deriveToken(test.secret ?? '', 'lambda', 'reports')}`, {}),
    );
    expect(statusOf(response)).toBe(401);
    expect(response).toContain('That is a lambda token');
  });

  it('refuses a token for a live session of another function, and never pairs it', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'billing');
    const { sessionId } = await proxy.register();
    const response = await rawExchange(
      test.broker.debuggerAddress.port,
      upgradeRequest(
        `/billing/${sessionId}?token=${deriveToken(test.secret ?? '', 'debugger', 'reports')}`,
        {},
      ),
    );
    expect(statusOf(response)).toBe(401);
    expect(test.broker.sessions()[0]?.state).toBe('waiting');
  });

  it('never echoes the presented token in a refusal', async () => {
    const test = await scope.broker();
    const wrong = deriveToken(test.secret ?? '', 'lambda', 'reports');
    const response = await rawExchange(
      test.broker.debuggerAddress.port,
      upgradeRequest(`/reports?token=${wrong}`, {}),
    );
    expect(response).not.toContain(wrong);
    expect(response).not.toContain(test.secret);
  });

  it('refuses malformed paths with 404', async () => {
    const test = await scope.broker();
    const token = deriveToken(test.secret ?? '', 'debugger', 'reports');
    for (const path of ['/', '/reports/a/b', '/bad%20id', `/${'x'.repeat(129)}`]) {
      const response = await rawExchange(
        test.broker.debuggerAddress.port,
        upgradeRequest(`${path}?token=${token}`, {}),
      );
      expect(statusOf(response), path).toBe(404);
    }
  });
});

describe('without auth (--no-auth)', () => {
  it('pairs without tokens and lists everything', async () => {
    const test = await scope.broker({ auth: false });
    expect(test.capture.lines.some((line) => line.includes('AUTH IS OFF'))).toBe(true);
    const proxy = await scope.proxy(test, 'open');
    const { sessionId } = await proxy.register();
    await scope.debugger(test, 'open');
    await proxy.nextControl('debugger-attached', sessionId);
  });

  it('accepts a link at /v1/lambda without a function in the path, named by hello alone', async () => {
    const test = await scope.broker({ auth: false });
    const proxy = scope.track(await FakeProxy.open(test.broker, 'unnamed', { path: '/v1/lambda' }));
    proxy.hello('');
    expect((await proxy.control.next()).type).toBe('welcome');
    await proxy.register();
  });
});
