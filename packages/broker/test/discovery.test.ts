import { afterEach, describe, expect, it } from 'vitest';
import { BROKER_VERSION, type DiscoveryTarget, deriveToken } from '../src/index.js';
import { getJson, TestDebugger, TestScope } from './helpers.js';

const scope = new TestScope();
afterEach(() => scope.cleanup());

describe('GET /json/version', () => {
  it('answers in the shape of Node’s inspector, without a webSocketDebuggerUrl', async () => {
    const test = await scope.broker();
    const { status, body, headers } = await getJson(test.broker.debuggerAddress.port, '/json/version');
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/json; charset=UTF-8');
    expect(body).toEqual({ Browser: `lambda-debug/${BROKER_VERSION}`, 'Protocol-Version': '1.3' });
    expect(BROKER_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('GET /json/list and /json', () => {
  it('lists a function’s sessions in Node’s shape for its debugger token, with URLs from the Host header', async () => {
    const test = await scope.broker({ allowedHosts: ['broker.example.com'] });
    const proxy = await scope.proxy(test, 'shop');
    const { sessionId, requestId } = await proxy.register({ deadlineMs: Date.now() + 90_500 });
    const token = deriveToken(test.secret ?? '', 'debugger', 'shop');
    const port = test.broker.debuggerAddress.port;
    const { status, body } = await getJson(port, `/json/list?token=${token}`, {
      Host: 'broker.example.com:9229',
    });
    expect(status).toBe(200);
    const targets = body as DiscoveryTarget[];
    expect(targets).toHaveLength(1);
    const [target] = targets;
    expect(target).toMatchObject({
      id: sessionId,
      type: 'node',
      title: `shop ${requestId}`,
      url: 'file:///var/task',
      webSocketDebuggerUrl: `ws://broker.example.com:9229/shop/${sessionId}?token=${token}`,
      devtoolsFrontendUrl:
        'devtools://devtools/bundled/js_app.html?experiments=true&v8only=true' +
        `&ws=broker.example.com:9229/shop/${sessionId}%3Ftoken%3D${token}`,
    });
    expect(target?.description).toMatch(/^lambda-debug session, waiting, (90|91) s left$/);
    // The token survives the trip through the DevTools URL's query string.
    const ws = new URL(target?.devtoolsFrontendUrl ?? '').searchParams.get('ws');
    expect(ws).toBe(`broker.example.com:9229/shop/${sessionId}?token=${token}`);
  });

  it('serves /json as an alias and accepts the token as a Bearer header', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'alias');
    const { sessionId } = await proxy.register();
    const token = deriveToken(test.secret ?? '', 'debugger', 'alias');
    const { status, body } = await getJson(test.broker.debuggerAddress.port, '/json', {
      Authorization: `Bearer ${token}`,
    });
    expect(status).toBe(200);
    expect((body as DiscoveryTarget[]).map((target) => target.id)).toEqual([sessionId]);
  });

  it('shows only the token’s own function, and reports attached sessions as attached', async () => {
    const test = await scope.broker();
    const mine = await scope.proxy(test, 'mine');
    const theirs = await scope.proxy(test, 'theirs');
    const own = await mine.register();
    await theirs.register();
    await scope.debugger(test, 'mine');
    await mine.nextControl('debugger-attached', own.sessionId);
    const token = deriveToken(test.secret ?? '', 'debugger', 'mine');
    const { body } = await getJson(test.broker.debuggerAddress.port, `/json/list?token=${token}`);
    const targets = body as DiscoveryTarget[];
    expect(targets.map((target) => target.id)).toEqual([own.sessionId]);
    expect(targets[0]?.description).toContain('attached');
  });

  it('takes ?fn= so a valid token for a function with no sessions gets an empty list, not a refusal', async () => {
    const test = await scope.broker();
    const token = deriveToken(test.secret ?? '', 'debugger', 'quiet');
    const port = test.broker.debuggerAddress.port;
    expect(await getJson(port, `/json/list?fn=quiet&token=${token}`)).toMatchObject({
      status: 200,
      body: [],
    });
    expect((await getJson(port, `/json/list?fn=other&token=${token}`)).status).toBe(401);
    expect((await getJson(port, '/json/list?fn=bad%20id')).status).toBe(400);
  });

  it('refuses without a token with 401, naming the url and tunnel commands', async () => {
    const test = await scope.broker();
    const { status, body } = await getJson(test.broker.debuggerAddress.port, '/json/list');
    expect(status).toBe(401);
    const message = (body as { message: string }).message;
    expect(message).toContain('lambda-debug url --fn');
    expect(message).toContain('lambda-debug tunnel --fn');
  });

  it('refuses a Lambda token and another function’s token with 401', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'guarded');
    await proxy.register();
    const port = test.broker.debuggerAddress.port;
    const lambdaToken = deriveToken(test.secret ?? '', 'lambda', 'guarded');
    const otherToken = deriveToken(test.secret ?? '', 'debugger', 'other');
    expect((await getJson(port, `/json/list?token=${lambdaToken}`)).status).toBe(401);
    expect((await getJson(port, `/json/list?token=${otherToken}`)).status).toBe(401);
    expect((await getJson(port, `/json/list?fn=guarded&token=${lambdaToken}`)).status).toBe(401);
  });

  it('lists every function for the admin token', async () => {
    const test = await scope.broker();
    const a = await scope.proxy(test, 'fa');
    const b = await scope.proxy(test, 'fb');
    await a.register();
    await b.register();
    const { body } = await getJson(
      test.broker.debuggerAddress.port,
      `/json/list?token=${deriveToken(test.secret ?? '', 'admin')}`,
    );
    const targets = body as DiscoveryTarget[];
    expect(targets.map((target) => target.title.split(' ')[0]).sort()).toEqual(['fa', 'fb']);
    expect(targets.find((t) => t.title.startsWith('fa'))?.webSocketDebuggerUrl).toContain(
      `token=${deriveToken(test.secret ?? '', 'debugger', 'fa')}`,
    );
  });

  it('is open, with token-free URLs, when auth is off', async () => {
    const test = await scope.broker({ auth: false });
    const proxy = await scope.proxy(test, 'free');
    const { sessionId } = await proxy.register();
    const port = test.broker.debuggerAddress.port;
    const { status, body } = await getJson(port, '/json/list');
    expect(status).toBe(200);
    const [target] = body as DiscoveryTarget[];
    expect(target?.webSocketDebuggerUrl).toBe(`ws://127.0.0.1:${port}/free/${sessionId}`);
  });

  it('hands out a webSocketDebuggerUrl that actually attaches to that session', async () => {
    const test = await scope.broker();
    const proxy = await scope.proxy(test, 'roundtrip');
    await proxy.register();
    const second = await proxy.register();
    const token = deriveToken(test.secret ?? '', 'debugger', 'roundtrip');
    const { body } = await getJson(test.broker.debuggerAddress.port, `/json/list?token=${token}`);
    const target = (body as DiscoveryTarget[]).find((t) => t.id === second.sessionId);
    const url = new URL(target?.webSocketDebuggerUrl ?? '');
    scope.track(
      await TestDebugger.connect(test.broker, url.pathname, url.searchParams.get('token') ?? undefined),
    );
    expect((await proxy.nextControl('debugger-attached')).sessionId).toBe(second.sessionId);
  });

  it('answers unknown paths with 404', async () => {
    const test = await scope.broker();
    expect((await getJson(test.broker.debuggerAddress.port, '/json/protocol')).status).toBe(404);
  });
});
