/**
 * `lambda-debug demo` and `lambda-debug local`, run as the built binary with the real chain behind them (broker,
 * tunnel, local Lambda with the real runtime client, proxy, debug process) and a real debugger client attaching
 * to the URLs they print. Needs `npx tsc -b` and provisioned runtimes (`npm run provision`), as `npm test` does.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import CDP from 'chrome-remote-interface';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { LocalDebugReady } from '../src/local-debug.js';
import type { ResultLine } from '../src/local-debug-output.js';
import type { InvokeLine, SessionLine } from '../src/local-debug-run.js';
import { type CliExit, CliProcess, runCli, stopAllCliProcesses } from './cli-process.js';
import { DebuggerClient } from './debugger-client.js';
import { commandLine, descendantsOf, environmentNames, waitUntilGone } from './process-tree.js';

/** Bound for the first line: the CLI, the broker, the tunnel and the local Lambda start on a busy machine. */
const READY_BOUND_MS = 30_000;
/** Bound for the invocation to reach the broker: the runtime process starts and its proxy registers. */
const REGISTERED_BOUND_MS = 60_000;
/** Each scenario starts real processes; a generous limit keeps a slow machine from failing them. */
const SCENARIO_TIMEOUT_MS = 180_000;

const DEMO_ROOT = realpathSync(join(__dirname, '..', 'examples', 'hello'));
const DEMO_FILE = join(DEMO_ROOT, 'index.js');
/** The runtime the demo picks on this machine: the one of this Node (provisioned by `npm test`'s pretest). */
const THIS_RUNTIME = `nodejs${Number.parseInt(process.versions.node, 10)}.x`;

const clients: DebuggerClient[] = [];
const folders: string[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
  await stopAllCliProcesses();
});

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

async function attach(url: string): Promise<DebuggerClient> {
  const client = await DebuggerClient.attach(url);
  clients.push(client);
  return client;
}

/** The 1-based line of the first line of `file` containing `text`. */
function lineOf(file: string, text: string): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${text} is not in ${file}`);
  return index + 1;
}

/** A function folder outside the repository, so no node_modules is within reach of its code. */
function functionFolder(files: Record<string, string>): string {
  const folder = realpathSync(mkdtempSync(join(tmpdir(), 'lambda-debug-local-')));
  folders.push(folder);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(folder, name, '..'), { recursive: true });
    writeFileSync(join(folder, name), text);
  }
  return folder;
}

/** What the CLI wrote on stderr so far. */
function stderrOf(cli: CliProcess): string {
  return cli.transcript
    .split('\n')
    .filter((line) => line.startsWith('err| '))
    .join('\n');
}

/** The token in a URL printed by the CLI. */
function tokenIn(url: string): string {
  const token = /[?&]token=([^&]+)/.exec(url)?.[1];
  if (token === undefined) throw new Error(`no token in ${url}`);
  return token;
}

const OK: CliExit = { code: 0, signal: null };

describe('lambda-debug demo', () => {
  it(
    "--once --json: a debugger on the printed URL pauses on the handler's first line, and the response is printed",
    async () => {
      const cli = CliProcess.start(['demo', '--once', '--json']);
      const ready = await cli.json<LocalDebugReady>(/"type":"ready"/, 'stdout', READY_BOUND_MS);
      expect(ready).toMatchObject({
        functionId: 'demo-hello',
        runtime: THIS_RUNTIME,
        taskRoot: DEMO_ROOT,
        handler: 'index.handler',
        waitMs: 600_000,
        timeoutMs: 900_000,
      });
      expect(ready.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/demo-hello\?token=ld1\.debugger\.[\w-]+$/);
      expect(new URL(ready.devtools).searchParams.get('ws')).toBe(ready.ws.slice('ws://'.length));
      expect(ready.devtools).toMatch(/^devtools:\/\/devtools\/bundled\/js_app\.html\?/);
      expect(ready.inspect.target).toMatch(/^localhost:\d+$/);
      expect(ready.vscode).toMatchObject({
        websocketAddress: ready.ws,
        localRoot: DEMO_ROOT,
        remoteRoot: DEMO_ROOT,
      });
      const invoke = await cli.json<InvokeLine>(/"type":"invoke"/);

      const debuggerClient = await attach(ready.ws);
      const pause = await debuggerClient.nextPause();
      expect(pause).toEqual({
        reason: 'Break on start',
        file: DEMO_FILE,
        line: lineOf(DEMO_FILE, 'const name ='),
      });
      expect(await debuggerClient.evaluateOnTopFrame('event.numbers.length')).toBe(6);
      await debuggerClient.resume();

      const result = await cli.json<ResultLine>(/"type":"result"/);
      expect(result).toMatchObject({ requestId: invoke.requestId, status: 'success' });
      expect(JSON.parse(result.payload)).toMatchObject({
        greeting: 'Hello, Ada!',
        total: 23,
        requestId: invoke.requestId,
      });
      expect(await cli.exited).toEqual(OK);
      // The function's log reached stderr; no token did.
      const stderr = stderrOf(cli);
      expect(stderr).toContain('adding 6 numbers for Ada');
      expect(stderr).not.toContain(tokenIn(ready.ws));
      expect(stderr).not.toMatch(/ld1\.(lambda|debugger|admin)\.[\w-]{8}/);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'prints every way to attach, and chrome://inspect finds the function at the printed localhost port',
    async () => {
      const cli = CliProcess.start(['demo', '--once']);
      const inspectLine = await cli.line(/add localhost:\d+/, 'stdout', READY_BOUND_MS);
      const port = Number(/localhost:(\d+)/.exec(inspectLine)?.[1]);
      await cli.line(/The invocation waits for a debugger/, 'stderr', REGISTERED_BOUND_MS);
      // What chrome://inspect does with "localhost:PORT": read the target list, open the target's socket.
      const targets = await CDP.List({ host: '127.0.0.1', port });
      expect(targets).toHaveLength(1);
      const target = targets[0];
      expect(target?.webSocketDebuggerUrl).toMatch(
        new RegExp(`^ws://127\\.0\\.0\\.1:${port}/[\\w-]+/demo-hello`),
      );
      expect(target?.webSocketDebuggerUrl).not.toContain('token');
      const debuggerClient = await attach(target?.webSocketDebuggerUrl ?? '');
      expect((await debuggerClient.nextPause()).file).toBe(DEMO_FILE);
      await debuggerClient.resume();
      await cli.line(/^Response \(request [\w-]+, /);
      expect(await cli.exited).toEqual(OK);

      const stdout = cli.transcript
        .split('\n')
        .filter((line) => line.startsWith('out| '))
        .map((line) => line.slice('out| '.length))
        .join('\n');
      expect(stdout).toMatch(/^lambda-debug demo: /);
      expect(stdout).toMatch(
        /^ {2}devtools:\/\/devtools\/bundled\/js_app\.html\?experiments=true&v8only=true&ws=127\.0\.0\.1:\d+\/demo-hello\?token=/m,
      );
      expect(stdout).toMatch(/^ {2}ws:\/\/127\.0\.0\.1:\d+\/demo-hello\?token=/m);
      expect(stdout).toContain(`\`node inspect localhost:${port}\``);
      expect(stdout).toMatch(/"websocketAddress": "ws:\/\/127\.0\.0\.1:\d+\/demo-hello\?token=/);
      expect(stdout).toContain('What happens next');
      expect(stdout).toContain('"greeting": "Hello, Ada!"');
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'invokes again on Enter, and Ctrl+C stops everything it started, while paused',
    async () => {
      const cli = CliProcess.start(['demo', '--json'], {}, { stdin: 'pipe' });
      const ready = await cli.json<LocalDebugReady>(/"type":"ready"/, 'stdout', READY_BOUND_MS);
      const first = await cli.json<InvokeLine>(/"type":"invoke"/);
      const firstClient = await attach(ready.ws);
      await firstClient.nextPause();
      await firstClient.resume();
      expect(await cli.json<ResultLine>(/"type":"result"/)).toMatchObject({
        requestId: first.requestId,
        status: 'success',
      });
      // A debugger still connected would be held for the next invocation; this one leaves, another comes.
      await firstClient.close();

      cli.type('\n');
      const second = await cli.json<InvokeLine>(/"type":"invoke"/);
      expect(second.requestId).not.toBe(first.requestId);
      await cli.json<SessionLine>(
        new RegExp(`"change":"session-registered","requestId":"${second.requestId}"`),
        'stdout',
        REGISTERED_BOUND_MS,
      );
      const secondClient = await attach(ready.ws);
      expect((await secondClient.nextPause()).line).toBe(lineOf(DEMO_FILE, 'const name ='));

      // Paused in the debug process: the runtime process and that process are running now.
      const started = descendantsOf(cli.child.pid ?? 0);
      const described = started.map((pid) => `${pid}: ${commandLine(pid)}`).join('\n');
      // The runtime process (in its own process group) is the one Lambda gave a Runtime API address.
      const runtimes = started.filter((pid) => environmentNames(pid).includes('AWS_LAMBDA_RUNTIME_API'));
      expect(runtimes.length, described).toBeGreaterThanOrEqual(1);
      expect(started.length, described).toBeGreaterThanOrEqual(2);

      expect(await cli.stop('SIGINT')).toEqual(OK);
      await secondClient.disconnected;
      await waitUntilGone(started);
      expect(stderrOf(cli)).toContain('SIGINT: stopping the local Lambda, the tunnel and the broker');
      expect(cli.stdout.pending.some((line) => line.includes('"type":"result"'))).toBe(false);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it('--print-runtime names the runtime npm start provisions: the one of this Node', async () => {
    const result = await runCli(['demo', '--print-runtime']);
    expect(result).toMatchObject({ code: 0, stdout: `${THIS_RUNTIME}\n`, stderr: '' });
  });

  it('says the runtime is not built on this machine and how to build it, in one line, exit 1', async () => {
    const emptyCache = realpathSync(mkdtempSync(join(tmpdir(), 'lambda-debug-empty-cache-')));
    folders.push(emptyCache);
    for (const args of [['demo'], ['demo', '--runtime', 'nodejs22.x']]) {
      const result = await runCli([...args, '--once'], { LAMBDA_DEBUG_CACHE_DIR: emptyCache });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^lambda-debug: Runtime nodejs2[02]\.x is not provisioned on this machine: /);
      expect(lines[0]).toMatch(/`lambda-debug provision --runtime nodejs2[02]\.x`/);
      expect(lines[0]).toMatch(/npm run provision -- --runtime-only nodejs2[02]\.x/);
      expect(lines[0]).toContain('autoconf automake libtool cmake g++');
      expect(lines[0]).toContain(join(emptyCache, 'logs'));
    }
  });
});

describe('lambda-debug local', () => {
  it(
    "runs the user's own handler through the wrapper, from a folder without node_modules, and a debugger steps in it",
    async () => {
      const folder = functionFolder({
        'handler.js': [
          "'use strict';",
          'exports.main = async (event) => {',
          '  const doubled = event.value * 2;',
          '  return { doubled, region: process.env.AWS_REGION };',
          '};',
          '',
        ].join('\n'),
        'event.json': '{ "value": 21 }',
      });
      const cli = CliProcess.start([
        'local',
        '--handler',
        'handler.main',
        '--dir',
        folder,
        '--event',
        join(folder, 'event.json'),
        '--once',
        '--json',
      ]);
      const ready = await cli.json<LocalDebugReady>(/"type":"ready"/, 'stdout', READY_BOUND_MS);
      expect(ready).toMatchObject({
        functionId: basename(folder),
        taskRoot: folder,
        handler: 'handler.main',
      });
      const debuggerClient = await attach(ready.ws);
      const pause = await debuggerClient.nextPause();
      expect(pause).toMatchObject({ file: join(folder, 'handler.js'), line: 3 });
      expect(await debuggerClient.evaluateOnTopFrame('event.value')).toBe(21);
      await debuggerClient.resume();
      const result = await cli.json<ResultLine>(/"type":"result"/);
      expect(result.status).toBe('success');
      expect(JSON.parse(result.payload)).toEqual({ doubled: 42, region: 'us-east-1' });
      expect(await cli.exited).toEqual(OK);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'runs a handler that needs a module from a layer given by --layer, and a debugger evaluates it',
    async () => {
      const layer = functionFolder({
        'nodejs/node_modules/shout/index.js': "module.exports = (text) => text.toUpperCase() + '!';\n",
      });
      const folder = functionFolder({
        'index.js': [
          "'use strict';",
          "const shout = require('shout');",
          'exports.handler = async (event) => {',
          '  return { said: shout(event.text) };',
          '};',
          '',
        ].join('\n'),
        'event.json': '{ "text": "layers" }',
      });
      const cli = CliProcess.start([
        'local',
        '--handler',
        'index.handler',
        '--dir',
        folder,
        '--layer',
        layer,
        '--event',
        join(folder, 'event.json'),
        '--once',
        '--json',
      ]);
      const ready = await cli.json<LocalDebugReady>(/"type":"ready"/, 'stdout', READY_BOUND_MS);
      const debuggerClient = await attach(ready.ws);
      await debuggerClient.nextPause();
      expect(await debuggerClient.evaluateOnTopFrame("shout('from the debugger')")).toBe(
        'FROM THE DEBUGGER!',
      );
      await debuggerClient.resume();
      const result = await cli.json<ResultLine>(/"type":"result"/);
      expect(JSON.parse(result.payload)).toEqual({ said: 'LAYERS!' });
      expect(await cli.exited).toEqual(OK);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'runs an ES module handler in a subfolder on nodejs24.x, with the variables given by --env',
    async () => {
      const folder = functionFolder({
        'src/app.mjs': [
          'export const handler = async (event) => {',
          "  const words = event.text.split(' ');",
          '  return { words: words.length, greeting: process.env.GREETING };',
          '};',
          '',
        ].join('\n'),
        'events/words.json': '{ "text": "step through this" }',
      });
      const cli = CliProcess.start([
        'local',
        '--handler',
        'src/app.handler',
        '--event',
        join(folder, 'events', 'words.json'),
        '--dir',
        folder,
        '--runtime',
        'nodejs24.x',
        '--fn',
        'esm-fn',
        '--env',
        'GREETING=hi',
        '--once',
        '--json',
      ]);
      const ready = await cli.json<LocalDebugReady>(/"type":"ready"/, 'stdout', READY_BOUND_MS);
      expect(ready).toMatchObject({ functionId: 'esm-fn', runtime: 'nodejs24.x' });
      expect(ready.nodeVersion).toMatch(/^24\./);
      const debuggerClient = await attach(ready.ws);
      expect(await debuggerClient.nextPause()).toMatchObject({
        file: join(folder, 'src', 'app.mjs'),
        line: 2,
      });
      await debuggerClient.resume();
      const result = await cli.json<ResultLine>(/"type":"result"/);
      expect(JSON.parse(result.payload)).toEqual({ words: 3, greeting: 'hi' });
      expect(await cli.exited).toEqual(OK);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'without a debugger the handler runs once the wait is over; a failed invocation exits 1 with one line',
    async () => {
      const folder = functionFolder({
        'index.js': "exports.handler = async () => {\n  throw new TypeError('no orders today');\n};\n",
      });
      const cli = CliProcess.start([
        'local',
        '--handler',
        'index.handler',
        '--dir',
        folder,
        '--wait',
        '1',
        '--once',
        '--json',
      ]);
      const ended = await cli.json<SessionLine>(/"change":"session-ended"/, 'stdout', REGISTERED_BOUND_MS);
      expect(ended.endReason).toBe('no-debugger');
      const result = await cli.json<ResultLine>(/"type":"result"/);
      expect(result).toMatchObject({ status: 'error', errorType: 'TypeError' });
      expect(JSON.parse(result.payload)).toMatchObject({
        errorType: 'TypeError',
        errorMessage: 'no orders today',
      });
      expect(await cli.exited).toEqual({ code: 1, signal: null });
      expect(stderrOf(cli)).toMatch(/err\| lambda-debug: the invocation failed \(error, TypeError\)\. /);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it('refuses bad arguments with one line and exit 2, before starting anything', async () => {
    const folder = functionFolder({
      'index.js': 'exports.handler = async () => 1;\n',
      'bad.json': '{ "a": ',
    });
    const cases: Array<[string[], RegExp]> = [
      [['--handler', 'nope.handler'], /no handler file for "nope\.handler"/],
      [['--handler', '../index.handler'], /contains "\.\."/],
      [['--handler', 'index.handler', '--event', join(folder, 'bad.json')], /bad\.json is not valid JSON/],
      [['--handler', 'index.handler', '--env', 'AWS_REGION=eu-west-1'], /Lambda sets AWS_REGION itself/],
      [['--handler', 'index.handler', '--runtime', 'nodejs18.x'], /--runtime "nodejs18\.x" is not supported/],
      [['--handler', 'index.handler', '--timeout', '901'], /--timeout "901" is out of range/],
      [['--handler', 'index.handler', '--fn', 'bad id'], /invalid function id "bad id"/],
      [
        ['--handler', 'index.handler', '--layer', join(folder, 'no-such-layer.zip')],
        /--layer .*no such file/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['local', '--dir', folder, ...args, '--once']);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^lambda-debug: /);
      expect(lines[0]).toMatch(message);
    }
  });
});
