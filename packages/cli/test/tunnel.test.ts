/**
 * `lambda-debug tunnel` between token-less debuggers and a real broker: discovery rewritten to point at the
 * tunnel without the token, sessions relayed byte for byte, Node's Host rule, unguessable paths, clean stop.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  getJson,
  Inbox,
  rawExchange,
  statusOf,
  type TestBroker,
  TestScope,
  upgradeRequest,
} from '../../broker/test/helpers.js';
import { CliProcess, runCli, stopAllCliProcesses } from './cli-process.js';

interface TunnelReady {
  address: string;
  port: number;
  ws: string;
  devtools: string;
}

interface Target {
  id: string;
  title: string;
  webSocketDebuggerUrl: string;
  devtoolsFrontendUrl: string;
}

const scope = new TestScope();
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await stopAllCliProcesses();
  await scope.cleanup();
});

async function startTunnel(
  test: TestBroker,
  env = test.secret === undefined ? {} : { LAMBDA_DEBUG_SECRET: test.secret },
) {
  const cli = CliProcess.start(
    [
      'tunnel',
      '--fn',
      'orders-api',
      '--broker',
      `127.0.0.1:${test.broker.debuggerAddress.port}`,
      '--port',
      '0',
      '--json',
    ],
    env,
  );
  const ready = await cli.json<TunnelReady>();
  return { cli, ready };
}

/** A debugger client on a URL, with every message it receives. */
async function connectDebugger(url: string): Promise<{ ws: WebSocket; messages: Inbox<string> }> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const messages = new Inbox<string>('a message through the tunnel');
  ws.on('message', (data) => messages.push(String(data)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, messages };
}

describe('lambda-debug tunnel', () => {
  it("serves the function's targets on localhost without the token, and relays a session both ways", async () => {
    const test = await scope.broker();
    const { cli, ready } = await startTunnel(test);
    expect(ready.address).toBe(`127.0.0.1:${ready.port}`);
    expect(ready.ws).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${ready.port}/[0-9a-f-]{36}/orders-api$`));

    const version = await getJson(ready.port, '/json/version');
    expect(version.status).toBe(200);
    expect(version.body).toMatchObject({ 'Protocol-Version': expect.any(String) });
    expect(version.body).not.toHaveProperty('webSocketDebuggerUrl');

    const proxy = await scope.proxy(test, 'orders-api');
    const { sessionId } = await proxy.register();
    const list = await getJson(ready.port, '/json/list');
    expect(list.status).toBe(200);
    const targets = list.body as Target[];
    expect(targets).toHaveLength(1);
    const [target] = targets as [Target];
    expect(target.id).toBe(sessionId);
    expect(target.webSocketDebuggerUrl).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:${ready.port}/[0-9a-f-]{36}/orders-api/${sessionId}$`),
    );
    expect(target.devtoolsFrontendUrl).toBe(
      `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${target.webSocketDebuggerUrl.slice('ws://'.length)}`,
    );
    expect(JSON.stringify(list.body)).not.toContain('token');
    expect((await getJson(ready.port, '/json')).body).toEqual(targets);

    const client = await connectDebugger(target.webSocketDebuggerUrl);
    await proxy.nextControl('debugger-attached', sessionId);
    await cli.line(/debugger connected from 127\.0\.0\.1:\d+ to \/orders-api\//, 'stderr');
    const command = '{"id":7,"method":"Runtime.evaluate","params":{"expression":"1 + 1"}}';
    client.ws.send(command);
    expect(await proxy.cdp.next()).toEqual({ sessionId, payload: command });
    const reply = '{"id":7,"result":{"result":{"type":"number","value":2}}}';
    proxy.sendCdp(sessionId, reply);
    expect(await client.messages.next((message) => message.includes('"id":7'))).toBe(reply);

    client.ws.close();
    expect((await proxy.nextControl('debugger-detached', sessionId)).reason).toBe('closed');
    await cli.line(/debugger disconnected/, 'stderr');
    expect(await cli.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(cli.transcript).not.toContain('ld1.');
  });

  it('holds a debugger on the function target until an invocation arrives', async () => {
    const test = await scope.broker();
    const { ready } = await startTunnel(test);
    await connectDebugger(ready.ws);
    const proxy = await scope.proxy(test, 'orders-api');
    const { sessionId } = await proxy.register();
    expect((await proxy.nextControl('debugger-attached', sessionId)).sessionId).toBe(sessionId);
  });

  it("applies Node's Host rule and refuses paths without the tunnel's id", async () => {
    const test = await scope.broker();
    const { ready } = await startTunnel(test);
    const rebound = await rawExchange(
      ready.port,
      'GET /json/list HTTP/1.1\r\nHost: evil.example.com:9229\r\nConnection: close\r\n\r\n',
    );
    expect(statusOf(rebound)).toBe(400);
    const reboundUpgrade = await rawExchange(
      ready.port,
      upgradeRequest(new URL(ready.ws).pathname, { Host: 'evil.example.com' }),
    );
    expect(statusOf(reboundUpgrade)).toBe(400);
    const guessed = await rawExchange(
      ready.port,
      upgradeRequest('/orders-api', { Host: `localhost:${ready.port}` }),
    );
    expect(statusOf(guessed)).toBe(404);
    const viaLocalhost = await getJson(ready.port, '/json/list', { Host: `localhost:${ready.port}` });
    expect(viaLocalhost.status).toBe(200);
  });

  it("uses the client's Host in the URLs it hands out", async () => {
    const test = await scope.broker();
    const { ready } = await startTunnel(test);
    const proxy = await scope.proxy(test, 'orders-api');
    await proxy.register();
    const list = await getJson(ready.port, '/json/list', { Host: `localhost:${ready.port}` });
    expect((list.body as Target[])[0]?.webSocketDebuggerUrl).toMatch(
      new RegExp(`^ws://localhost:${ready.port}/`),
    );
  });

  it('lets `node inspect HOST:PORT` connect through it', async () => {
    const test = await scope.broker();
    const { ready } = await startTunnel(test);
    const proxy = await scope.proxy(test, 'orders-api');
    proxy.autoReply = true;
    const { sessionId } = await proxy.register();
    const inspect = spawn(process.execPath, ['inspect', `127.0.0.1:${ready.port}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => inspect.once('close', resolve));
    try {
      const lines = new Inbox<string>('a line from node inspect');
      createInterface({ input: inspect.stdout }).on('line', (line) => lines.push(line));
      createInterface({ input: inspect.stderr }).on('line', (line) => lines.push(line));
      expect(await lines.next((line) => line.includes('connecting to'), 15_000)).toMatch(
        new RegExp(`connecting to 127\\.0\\.0\\.1:${ready.port} \\.\\.\\. ok`),
      );
      await proxy.nextControl('debugger-attached', sessionId);
    } finally {
      inspect.kill('SIGKILL');
      await exited;
    }
  });

  it('reports a wrong secret when it starts and answers discovery with 502', async () => {
    const test = await scope.broker();
    const { cli, ready } = await startTunnel(test, {
      LAMBDA_DEBUG_SECRET: 'another-secret-that-is-long-enough',
    });
    await cli.line(/broker: the broker refused the function's debugger token \(HTTP 401\)/, 'stderr');
    expect((await getJson(ready.port, '/json/list')).status).toBe(502);
  });

  it('says when its port is taken (exit 1) and when the secret is missing (exit 2)', async () => {
    const test = await scope.broker();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const taken = await runCli(
        [
          'tunnel',
          '--fn',
          'f',
          '--port',
          String(port),
          '--broker',
          `127.0.0.1:${test.broker.debuggerAddress.port}`,
        ],
        {
          LAMBDA_DEBUG_SECRET: test.secret ?? '',
        },
      );
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(
        new RegExp(`^lambda-debug: 127\\.0\\.0\\.1:${port} is already in use .* --port ${port + 1}`),
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
    const noSecret = await runCli(['tunnel', '--fn', 'f', '--port', '0']);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/^lambda-debug: LAMBDA_DEBUG_SECRET is not set/);
  });
});
