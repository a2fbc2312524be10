import { afterEach, describe, expect, it } from 'vitest';
import { deriveToken } from '../src/index.js';
import { getJson, rawExchange, statusOf, TestDebugger, TestScope, upgradeRequest } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

describe('Host header check on the debugger port (DNS rebinding)', () => {
  async function upgradeWithHost(host: string | null, options: { allowedHosts?: string[] } = {}) {
    const test = await scope.broker(options);
    const token = deriveToken(test.secret ?? '', 'debugger', 'fn');
    const port = test.broker.debuggerAddress.port;
    return { test, response: await rawExchange(port, upgradeRequest(`/fn?token=${token}`, { Host: host })) };
  }

  it.each([
    '127.0.0.1',
    '127.0.0.1:9229',
    '10.1.2.3:80',
    'localhost',
    'LOCALHOST:9229',
    '[::1]',
    '[::1]:9229',
  ])('accepts Host %s', async (host) => {
    const { response } = await upgradeWithHost(host);
    expect(statusOf(response)).toBe(101);
  });

  it.each(['evil.example', 'evil.example:9229', 'localhost.evil.example', '127.0.0.1.evil.example'])(
    'refuses Host %s with 403',
    async (host) => {
      const { response, test } = await upgradeWithHost(host);
      expect(statusOf(response)).toBe(403);
      expect(response).toContain('--allowed-host');
      expect(test.broker.stats().heldDebuggers).toBe(0);
    },
  );

  it('refuses a missing or malformed Host with 400', async () => {
    expect(statusOf((await upgradeWithHost(null)).response)).toBe(400);
    expect(statusOf((await upgradeWithHost('example.com:notaport')).response)).toBe(400);
    expect(statusOf((await upgradeWithHost('[::1')).response)).toBe(400);
  });

  it('accepts configured public names, case-insensitively', async () => {
    const { response } = await upgradeWithHost('Broker.Example.COM:9229', {
      allowedHosts: ['broker.example.com'],
    });
    expect(statusOf(response)).toBe(101);
  });

  it('applies the same check to /json requests', async () => {
    const test = await scope.broker();
    const port = test.broker.debuggerAddress.port;
    const refused = await getJson(port, '/json/version', { Host: 'rebound.example' });
    expect(refused.status).toBe(403);
    expect((refused.body as { message: string }).message).toContain('rebound.example');
    expect((await getJson(port, '/json/version')).status).toBe(200);
  });
});

describe('Origin check on the debugger port', () => {
  async function upgradeWithOrigin(origin: string, options: { allowedOrigins?: string[] } = {}) {
    const test = await scope.broker(options);
    const token = deriveToken(test.secret ?? '', 'debugger', 'fn');
    const port = test.broker.debuggerAddress.port;
    return rawExchange(port, upgradeRequest(`/fn?token=${token}`, { Origin: origin }));
  }

  it('accepts the bundled DevTools origin', async () => {
    expect(statusOf(await upgradeWithOrigin('devtools://devtools'))).toBe(101);
  });

  it('refuses a page served from elsewhere, even with a valid token', async () => {
    const response = await upgradeWithOrigin('https://evil.example');
    expect(statusOf(response)).toBe(403);
    expect(response).toContain('--allowed-origin');
  });

  it('refuses the null origin of sandboxed pages and files', async () => {
    expect(statusOf(await upgradeWithOrigin('null'))).toBe(403);
  });

  it('accepts configured origins', async () => {
    const response = await upgradeWithOrigin('http://127.0.0.1:9222', {
      allowedOrigins: ['http://127.0.0.1:9222/'],
    });
    expect(statusOf(response)).toBe(101);
  });

  it('keeps pages elsewhere from reading /json', async () => {
    const test = await scope.broker();
    const response = await getJson(test.broker.debuggerAddress.port, '/json/version', {
      Origin: 'https://evil.example',
    });
    expect(response.status).toBe(403);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets a ws client with an allowed origin attach', async () => {
    const test = await scope.broker({ allowedOrigins: ['https://ide.example'] });
    const dbg = scope.track(
      await TestDebugger.connect(test.broker, '/fn', deriveToken(test.secret ?? '', 'debugger', 'fn'), {
        origin: 'https://ide.example',
      }),
    );
    expect((await dbg.notice()).type).toBe('log');
  });
});

describe('malformed and abusive requests', () => {
  it('answers a header flood on the upgrade request with 431 and keeps serving', async () => {
    const test = await scope.broker();
    const port = test.broker.debuggerAddress.port;
    const flood: Record<string, string> = {};
    for (let index = 0; index < 2000; index += 1) flood[`X-Flood-${index}`] = 'a'.repeat(50);
    const response = await rawExchange(port, upgradeRequest('/fn', flood));
    expect(statusOf(response)).toBe(431);
    expect((await getJson(port, '/json/version')).status).toBe(200);
  });

  it('answers the same flood on the Lambda port with 431', async () => {
    const test = await scope.broker();
    const response = await rawExchange(
      test.broker.lambdaAddress.port,
      upgradeRequest('/v1/lambda', { 'X-Big': 'b'.repeat(64 * 1024) }),
    );
    expect(statusOf(response)).toBe(431);
  });

  it('answers garbage instead of HTTP with 400', async () => {
    const test = await scope.broker();
    const response = await rawExchange(test.broker.debuggerAddress.port, 'HELLO\r\n\r\n');
    expect(statusOf(response)).toBe(400);
  });

  it('answers a bad WebSocket handshake with 400', async () => {
    const test = await scope.broker();
    const token = deriveToken(test.secret ?? '', 'debugger', 'fn');
    const response = await rawExchange(
      test.broker.debuggerAddress.port,
      upgradeRequest(`/fn?token=${token}`, { 'Sec-WebSocket-Version': '7' }),
    );
    expect(statusOf(response)).toBe(400);
  });

  it('serves only GET and HEAD', async () => {
    const test = await scope.broker();
    const response = await rawExchange(
      test.broker.debuggerAddress.port,
      'POST /json/list HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n',
    );
    expect(statusOf(response)).toBe(405);
  });

  it('explains plain HTTP on the Lambda port', async () => {
    const test = await scope.broker();
    const port = test.broker.lambdaAddress.port;
    expect((await getJson(port, '/v1/lambda')).status).toBe(426);
    expect((await getJson(port, '/')).status).toBe(404);
  });
});
