/**
 * `lambda-debug broker start` as a user runs it: real ports, a proxy and a debugger using what `env` and `url`
 * print, and Ctrl+C / SIGTERM ending everything with a reason and leaving no process or port behind.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerHandle, deriveToken, generateSecret } from '@lambda-debug/broker';
import { CloseCode } from '@lambda-debug/shim-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeProxy, getJson } from '../../broker/test/helpers.js';
import { CliProcess, runCli, stopAllCliProcesses } from './cli-process.js';

interface BrokerReady {
  lambdaUrl: string;
  debuggerUrl: string;
  lambdaPort: number;
  debuggerPort: number;
  auth: boolean;
}

const secret = generateSecret();
const closables: { close(): unknown }[] = [];

afterEach(async () => {
  for (const closable of closables.splice(0)) await closable.close();
  await stopAllCliProcesses();
});

/** FakeProxy reads only the ports of a broker handle; a broker run by the CLI is known by its ports alone. */
function brokerAt(ready: BrokerReady): BrokerHandle {
  return {
    lambdaAddress: { host: '127.0.0.1', port: ready.lambdaPort },
    debuggerAddress: { host: '127.0.0.1', port: ready.debuggerPort },
  } as unknown as BrokerHandle;
}

/** Resolves true when something accepts TCP connections on the port, false when it is refused. */
function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function openWebSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  closables.push({ close: () => ws.terminate() });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

async function startBrokerCli(
  extra: string[] = [],
  env: Record<string, string> = { LAMBDA_DEBUG_SECRET: secret },
) {
  const cli = CliProcess.start(
    ['broker', 'start', '--lambda-port', '0', '--debugger-port', '0', '--json', ...extra],
    env,
  );
  const ready = await cli.json<BrokerReady>();
  return { cli, ready };
}

describe('lambda-debug broker start', () => {
  it('prints where it listens and what to run next, with the real ports when asked for port 0', async () => {
    const cli = CliProcess.start(['broker', 'start', '--lambda-port', '0', '--debugger-port', '0'], {
      LAMBDA_DEBUG_SECRET: secret,
    });
    const lambdaLine = await cli.line(/Lambda port/);
    const debuggerLine = await cli.line(/Debugger port/);
    const lambdaPort = Number(/ws:\/\/127\.0\.0\.1:(\d+)\/v1\/lambda/.exec(lambdaLine)?.[1]);
    const debuggerPort = Number(/http:\/\/127\.0\.0\.1:(\d+)/.exec(debuggerLine)?.[1]);
    expect(lambdaPort).toBeGreaterThan(0);
    expect(debuggerPort).toBeGreaterThan(0);
    expect(await cli.line(/lambda-debug env --fn <ID>/)).toContain(`--broker 127.0.0.1:${lambdaPort}`);
    expect(await cli.line(/lambda-debug url --fn <ID>/)).toContain(`--broker 127.0.0.1:${debuggerPort}`);
    await cli.line(/Press Ctrl\+C to stop/);
    expect(await portIsOpen(lambdaPort)).toBe(true);
    expect(await cli.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(cli.transcript).not.toContain(secret);
  });

  it("pairs a proxy using `env` with a debugger using `url`, refuses another function's token, and ends both on Ctrl+C", async () => {
    const { cli, ready } = await startBrokerCli();
    expect(ready).toMatchObject({ auth: true, lambdaUrl: `ws://127.0.0.1:${ready.lambdaPort}/v1/lambda` });

    const env = await runCli(
      ['env', '--fn', 'orders-api', '--broker', `127.0.0.1:${ready.lambdaPort}`, '--json'],
      {
        LAMBDA_DEBUG_SECRET: secret,
      },
    );
    const variables = JSON.parse(env.stdout) as Record<string, string>;
    expect(variables.DEBUGGER_BROKER_ADDRESS).toBe(`127.0.0.1:${ready.lambdaPort}`);
    const proxy = await FakeProxy.open(brokerAt(ready), 'orders-api', {
      token: variables.DEBUGGER_TOKEN ?? '',
    });
    closables.push(proxy);
    proxy.hello(variables.DEBUGGER_TOKEN ?? '');
    expect((await proxy.control.next()).type).toBe('welcome');
    const { sessionId } = await proxy.register();

    const urlFor = async (functionId: string) =>
      JSON.parse(
        (
          await runCli(['url', '--fn', functionId, '--broker', `127.0.0.1:${ready.debuggerPort}`, '--json'], {
            LAMBDA_DEBUG_SECRET: secret,
          })
        ).stdout,
      ) as { ws: string };

    // Another function's URL, pointed at this function, is refused: tokens are scoped to their function.
    const other = new URL((await urlFor('billing')).ws);
    other.pathname = '/orders-api';
    await expect(openWebSocket(other.toString())).rejects.toThrow('HTTP 401');

    const debuggerSocket = await openWebSocket((await urlFor('orders-api')).ws);
    const attached = await proxy.nextControl('debugger-attached', sessionId);
    expect(attached.sessionId).toBe(sessionId);

    const debuggerClosed = closeOf(debuggerSocket);
    const exit = await cli.stop('SIGINT');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await proxy.nextControl('session-end', sessionId)).toMatchObject({ reason: 'broker-shutdown' });
    expect((await proxy.closed).code).toBe(CloseCode.GOING_AWAY);
    expect((await debuggerClosed).code).toBe(CloseCode.GOING_AWAY);
    expect(cli.transcript).toMatch(/SIGINT: stopping the broker and ending 1 session\(s\)/);
    expect(await portIsOpen(ready.lambdaPort)).toBe(false);
    expect(await portIsOpen(ready.debuggerPort)).toBe(false);
  });

  it('accepts the DNS names given with --allowed-host, and stops cleanly on SIGTERM too', async () => {
    const { cli, ready } = await startBrokerCli([
      '--allowed-host',
      'broker.example.test',
      '--allowed-host',
      'b2.example.test',
    ]);
    for (const name of ['broker.example.test', 'b2.example.test', '127.0.0.1']) {
      expect((await getJson(ready.debuggerPort, '/json/version', { Host: name })).status).toBe(200);
    }
    expect((await getJson(ready.debuggerPort, '/json/version', { Host: 'other.example.test' })).status).toBe(
      403,
    );
    expect(await cli.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await portIsOpen(ready.debuggerPort)).toBe(false);
  });

  it('runs without tokens with --no-auth and says so', async () => {
    const { cli, ready } = await startBrokerCli(['--no-auth'], {});
    expect(ready.auth).toBe(false);
    const proxy = await FakeProxy.connect(brokerAt(ready), undefined, 'open-fn');
    closables.push(proxy);
    await proxy.register();
    expect(await cli.stop()).toEqual({ code: 0, signal: null });
    expect(cli.transcript).toMatch(/AUTH IS OFF/);
  });
});

describe('lambda-debug broker start: secrets and failures', () => {
  let dir: string;
  let blocker: Server | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lambda-debug-broker-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
  });

  it('refuses to start without a secret and says how to make one (exit 2)', async () => {
    const result = await runCli(['broker', 'start', '--lambda-port', '0', '--debugger-port', '0']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^lambda-debug: the broker needs a secret .*lambda-debug secret.*--secret-file.*--no-auth/,
    );
  });

  it('reads --secret-file, warns when others can read it, and accepts tokens derived from it', async () => {
    const fileSecret = generateSecret();
    const file = join(dir, 'secret');
    await writeFile(file, `${fileSecret}\n`);
    await chmod(file, 0o644);
    const { cli, ready } = await startBrokerCli(['--secret-file', file], {});
    await cli.line(/can be read by other users \(mode 644\); run: chmod 600/, 'stderr');
    const proxy = await FakeProxy.connect(brokerAt(ready), fileSecret, 'file-fn');
    closables.push(proxy);
    await proxy.register();
    expect(await cli.stop()).toEqual({ code: 0, signal: null });
    expect(cli.transcript).not.toContain(fileSecret);
    expect(cli.transcript).not.toContain(deriveToken(fileSecret, 'lambda', 'file-fn'));
  });

  it('refuses --no-auth with --secret-file, and a missing secret file (exit 2)', async () => {
    const both = await runCli(['broker', 'start', '--no-auth', '--secret-file', join(dir, 'secret')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(
      /^lambda-debug: --no-auth and --secret-file contradict each other\. Pass one of them\.\n$/,
    );
    const missing = await runCli(['broker', 'start', '--secret-file', join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --secret-file .*nope \(ENOENT\)/);
  });

  it('fails with exit 1 and a way out when a port is taken', async () => {
    const server = createServer();
    blocker = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const result = await runCli(['broker', 'start', '--lambda-port', '0', '--debugger-port', String(port)], {
      LAMBDA_DEBUG_SECRET: secret,
    });
    expect(result.code).toBe(1);
    // The broker's own log may mention the listener error too; the CLI adds exactly one line, with the fix.
    const cliLines = result.stderr.split('\n').filter((line) => line.startsWith('lambda-debug:'));
    expect(cliLines).toHaveLength(1);
    expect(cliLines[0]).toMatch(
      new RegExp(
        `^lambda-debug: The debugger port ${port} on 127\\.0\\.0\\.1 is already in use.*--debugger-port`,
      ),
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
