import { afterEach, describe, expect, it } from 'vitest';
import { HEALTH_PATH } from '../src/index.js';
import { rawExchange, statusOf, TestScope } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

/** The body of a raw HTTP response. */
function bodyOf(response: string): string {
  return response.slice(response.indexOf('\r\n\r\n') + 4);
}

describe('GET /healthz', () => {
  it('answers 200 ok on both ports without a token, a Host header or an allowed Origin', async () => {
    const test = await scope.broker();
    expect(HEALTH_PATH).toBe('/healthz');
    for (const port of [test.broker.lambdaAddress.port, test.broker.debuggerAddress.port]) {
      // HTTP/1.0 without Host, as HAProxy's plain `option httpchk` sends it.
      const bare = await rawExchange(port, 'GET /healthz HTTP/1.0\r\n\r\n');
      expect(statusOf(bare)).toBe(200);
      expect(bodyOf(bare)).toBe('ok\n');
      const fromPage = await rawExchange(
        port,
        'GET /healthz HTTP/1.1\r\nHost: evil.example.com\r\nOrigin: https://evil.example.com\r\nConnection: close\r\n\r\n',
      );
      expect(statusOf(fromPage)).toBe(200);
      expect(bodyOf(fromPage)).toBe('ok\n');
    }
  });

  it('reveals nothing: the same answer with sessions live, no version, no session count', async () => {
    const test = await scope.broker();
    const port = test.broker.debuggerAddress.port;
    const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n';
    const idle = await rawExchange(port, request);
    const { proxy } = await scope.attachedSession(test, 'busy');
    const busy = await rawExchange(port, request);
    const withoutDate = (response: string) => response.replace(/^Date: .*\r\n/m, '');
    expect(withoutDate(busy)).toBe(withoutDate(idle));
    expect(busy).not.toMatch(/lambda-debug|busy|Server:/i);
    expect(proxy.ws.readyState).toBe(proxy.ws.OPEN);
  });

  it('answers HEAD without a body and leaves other methods to the port', async () => {
    const test = await scope.broker();
    const port = test.broker.debuggerAddress.port;
    const head = await rawExchange(
      port,
      'HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    expect(statusOf(head)).toBe(200);
    expect(bodyOf(head)).toBe('');
    const post = await rawExchange(
      port,
      'POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
    expect(statusOf(post)).toBe(405);
  });
});
