/** `secret`, `url`, `env` and the program itself, run as the built binary. None of them needs a broker. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveToken, generateSecret, MIN_SECRET_LENGTH } from '@lambda-debug/broker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, stopAllCliProcesses } from './cli-process.js';

const secret = generateSecret();
const withSecret = { LAMBDA_DEBUG_SECRET: secret };
/** True when text holds an ANSI colour sequence. */
const hasColor = (text: string): boolean => text.includes('\u001b[');

afterEach(stopAllCliProcesses);

/** One line on stderr, no stack, and the expected exit code: what every failure must look like. */
function expectOneLineError(
  result: { code: number | null; stderr: string; stdout: string },
  code: number,
  text: RegExp,
) {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^lambda-debug: /);
  expect(lines[0]).toMatch(text);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('the program', () => {
  it('prints help with examples and exit code 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['broker', 'url', 'tunnel', 'env', 'sessions', 'secret']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(result.stdout).toContain('Quick start:');
    const urlHelp = await runCli(['url', '--help']);
    expect(urlHelp.code).toBe(0);
    expect(urlHelp.stdout).toContain('Examples:');
    expect(urlHelp.stdout).toContain('--no-auth');
  });

  it('prints its version', async () => {
    const version = JSON.parse(await readFile(join(__dirname, '..', 'package.json'), 'utf8'))
      .version as string;
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('treats an unknown command, an unknown option and a missing option as usage errors (exit 2)', async () => {
    expectOneLineError(
      await runCli(['urll', '--fn', 'a']),
      2,
      /unknown command 'urll' \(Did you mean url\?\)/,
    );
    expectOneLineError(
      await runCli(['url', '--fn', 'a', '--bogus'], withSecret),
      2,
      /unknown option '--bogus'.*lambda-debug url --help/,
    );
    expectOneLineError(
      await runCli(['env', '--fn', 'a'], withSecret),
      2,
      /required option '--broker <host\[:port\]>' not specified/,
    );
  });

  it('shows help and exits 2 when a command group is given without its subcommand', async () => {
    const result = await runCli(['broker']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('start [options]');
  });

  it('prints a stack trace only with --verbose', async () => {
    const plain = await runCli(['url', '--fn', 'a b'], withSecret);
    expect(plain.stderr).not.toContain('    at ');
    const verbose = await runCli(['url', '--fn', 'a b', '--verbose'], withSecret);
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(/^lambda-debug: invalid function id "a b"/);
    expect(verbose.stderr).toMatch(/UsageError: invalid function id[^\n]*\n\s+at /);
  });

  it('colours only when asked to and never with NO_COLOR', async () => {
    const piped = await runCli(['url', '--fn', 'a'], withSecret);
    expect(hasColor(piped.stdout)).toBe(false);
    const forced = await runCli(['url', '--fn', 'a'], { ...withSecret, FORCE_COLOR: '1' });
    expect(hasColor(forced.stdout)).toBe(true);
    const refused = await runCli(['url', '--fn', 'a'], { ...withSecret, FORCE_COLOR: '1', NO_COLOR: '1' });
    expect(hasColor(refused.stdout)).toBe(false);
    const error = await runCli(['url', '--fn', 'a b'], { ...withSecret, FORCE_COLOR: '1' });
    expect(hasColor(error.stderr)).toBe(true);
  });
});

describe('lambda-debug secret', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lambda-debug-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a new strong secret each time, and nothing else on stdout', async () => {
    const first = await runCli(['secret']);
    const second = await runCli(['secret']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(first.stdout.trim().length).toBeGreaterThanOrEqual(MIN_SECRET_LENGTH);
    expect(second.stdout).not.toBe(first.stdout);
  });

  it('writes the secret to a new file with mode 0600, and refuses to overwrite it without --force', async () => {
    const file = join(dir, 'broker.secret');
    const result = await runCli(['secret', '--out', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Wrote a new broker secret to ${file} (mode 600).`);
    expect(result.stdout).toContain(`lambda-debug broker start --secret-file ${file}`);
    const written = await readFile(file, 'utf8');
    expect(written).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(result.stdout).not.toContain(written.trim());
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    expectOneLineError(await runCli(['secret', '--out', file]), 2, /already exists\. Pass --force/);
    expect(await readFile(file, 'utf8')).toBe(written);

    expect((await runCli(['secret', '--out', file, '--force'])).code).toBe(0);
    expect(await readFile(file, 'utf8')).not.toBe(written);
  });

  it('replaces a world-readable file with a private one under --force', async () => {
    const file = join(dir, 'loose.secret');
    await writeFile(file, 'old\n', { mode: 0o644 });
    expect((await runCli(['secret', '--out', file, '--force'])).code).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('fails with exit 1 when the folder does not exist', async () => {
    expectOneLineError(
      await runCli(['secret', '--out', join(dir, 'missing', 'x')]),
      1,
      /cannot create .* \(ENOENT\)/,
    );
  });
});

interface UrlJson {
  ws: string;
  devtools: string;
  inspect: { target: string; command: string };
  vscode: Record<string, unknown>;
}

describe('lambda-debug url', () => {
  it('prints the DevTools URL, the WebSocket URL, chrome://inspect and VS Code instructions', async () => {
    const token = deriveToken(secret, 'debugger', 'orders-api');
    const result = await runCli(['url', '--fn', 'orders-api'], withSecret);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(
      `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=localhost:9229/orders-api?token=${token}`,
    );
    expect(result.stdout).toContain(`ws://localhost:9229/orders-api?token=${token}`);
    expect(result.stdout).toContain('run `lambda-debug tunnel --fn orders-api`, then add localhost:9229');
    expect(result.stdout).toContain('"autoAttachChildProcesses": false');
  });

  it('prints { ws, devtools, inspect, vscode } with --json, using --broker or LAMBDA_DEBUG_BROKER', async () => {
    const token = deriveToken(secret, 'debugger', 'orders-api');
    const fromFlag = await runCli(
      ['url', '--fn', 'orders-api', '--broker', '10.0.0.7:9300', '--json'],
      withSecret,
    );
    const body = JSON.parse(fromFlag.stdout) as UrlJson;
    expect(Object.keys(body)).toEqual(['ws', 'devtools', 'inspect', 'vscode']);
    expect(body.ws).toBe(`ws://10.0.0.7:9300/orders-api?token=${token}`);
    expect(body.inspect).toEqual({
      target: 'localhost:9229',
      command: 'lambda-debug tunnel --fn orders-api --broker 10.0.0.7:9300',
    });
    expect(body.vscode).toMatchObject({
      request: 'attach',
      websocketAddress: body.ws,
      autoAttachChildProcesses: false,
    });
    const fromEnv = await runCli(['url', '--fn', 'orders-api', '--json'], {
      ...withSecret,
      LAMBDA_DEBUG_BROKER: 'wss://debug.example.com',
    });
    const tls = JSON.parse(fromEnv.stdout) as UrlJson;
    // No port written: the debugger port, as for a plain host (one rule for every command).
    expect(tls.ws).toBe(`wss://debug.example.com:9229/orders-api?token=${token}`);
    expect(tls.devtools).toContain(`&wss=debug.example.com:9229/orders-api?token=${token}`);
  });

  it('gives each function its own token', async () => {
    const a = JSON.parse((await runCli(['url', '--fn', 'fn-a', '--json'], withSecret)).stdout) as UrlJson;
    const b = JSON.parse((await runCli(['url', '--fn', 'fn-b', '--json'], withSecret)).stdout) as UrlJson;
    expect(new URL(a.ws).searchParams.get('token')).toBe(deriveToken(secret, 'debugger', 'fn-a'));
    expect(new URL(a.ws).searchParams.get('token')).not.toBe(new URL(b.ws).searchParams.get('token'));
  });

  it('explains a missing, empty or weak secret without printing it (exit 2)', async () => {
    expectOneLineError(
      await runCli(['url', '--fn', 'a']),
      2,
      /LAMBDA_DEBUG_SECRET is not set\. .*lambda-debug secret.*--no-auth/,
    );
    expectOneLineError(
      await runCli(['url', '--fn', 'a'], { LAMBDA_DEBUG_SECRET: '' }),
      2,
      /LAMBDA_DEBUG_SECRET is empty/,
    );
    const weak = await runCli(['url', '--fn', 'a'], { LAMBDA_DEBUG_SECRET: 'tiny-secret' });
    expectOneLineError(weak, 2, /too short \(11 characters, at least 16 needed\)/);
    expect(weak.stderr).not.toContain('tiny-secret');
  });

  it('prints URLs without a token with --no-auth, and needs no secret then', async () => {
    const result = await runCli(['url', '--fn', 'a', '--no-auth', '--json']);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as UrlJson).ws).toBe('ws://localhost:9229/a');
  });

  it('refuses an invalid function id or broker address (exit 2)', async () => {
    expectOneLineError(
      await runCli(['url', '--fn', 'no/slashes'], withSecret),
      2,
      /invalid function id "no\/slashes"\. Use 1 to 128/,
    );
    expectOneLineError(await runCli(['url', '--fn', 'x'.repeat(129)], withSecret), 2, /invalid function id/);
    expectOneLineError(
      await runCli(['url', '--fn', 'a', '--broker', '::1'], withSecret),
      2,
      /IPv6 addresses need brackets/,
    );
    expectOneLineError(
      await runCli(['url', '--fn', 'a'], { ...withSecret, LAMBDA_DEBUG_BROKER: 'ftp://x' }),
      2,
      /\(from LAMBDA_DEBUG_BROKER\)/,
    );
  });
});

describe('lambda-debug env', () => {
  const lambdaToken = deriveToken(secret, 'lambda', 'orders-api');

  it('prints the variables for the function, with the Lambda port by default and a timeout reminder', async () => {
    const result = await runCli(['env', '--fn', 'orders-api', '--broker', 'broker.example.com'], withSecret);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      [
        'DEBUGGER_ACTIVE=true',
        'DEBUGGER_BROKER_ADDRESS=broker.example.com:8080',
        'DEBUGGER_FUNCTION_ID=orders-api',
        `DEBUGGER_TOKEN=${lambdaToken}`,
      ].join('\n'),
    );
    expect(result.stdout).toMatch(/^# Raise the function's timeout/m);
  });

  it('prints only the variables object with --json (and --format json)', async () => {
    const expected = {
      DEBUGGER_ACTIVE: 'true',
      DEBUGGER_BROKER_ADDRESS: 'wss://debug.example.com:443',
      DEBUGGER_FUNCTION_ID: 'orders-api',
      DEBUGGER_TOKEN: lambdaToken,
    };
    for (const flags of [['--json'], ['--format', 'json'], ['--json', '--format', 'json']]) {
      const result = await runCli(
        ['env', '--fn', 'orders-api', '--broker', 'wss://debug.example.com:443', ...flags],
        withSecret,
      );
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(expected);
    }
  });

  it('prints shell exports and a ready aws command that warns it replaces the environment', async () => {
    const shell = await runCli(
      ['env', '--fn', 'orders-api', '--broker', '10.0.0.5:9000', '--format', 'shell'],
      withSecret,
    );
    expect(shell.stdout).toContain('export DEBUGGER_BROKER_ADDRESS=10.0.0.5:9000\n');
    const aws = await runCli(
      [
        'env',
        '--fn',
        'orders-api',
        '--broker',
        '10.0.0.5',
        '--format',
        'aws-cli',
        '--function-name',
        'orders',
      ],
      withSecret,
    );
    expect(aws.code).toBe(0);
    expect(aws.stdout).toContain('REPLACES');
    expect(aws.stdout).toMatch(
      /^aws lambda update-function-configuration --function-name orders --environment '\{"Variables":\{"DEBUGGER_ACTIVE":"true",/m,
    );
    expect(aws.stdout).toContain('--timeout 900');
  });

  it('leaves DEBUGGER_TOKEN out with --no-auth', async () => {
    const result = await runCli(['env', '--fn', 'a', '--broker', 'h', '--no-auth', '--json']);
    expect(JSON.parse(result.stdout)).toEqual({
      DEBUGGER_ACTIVE: 'true',
      DEBUGGER_BROKER_ADDRESS: 'h:8080',
      DEBUGGER_FUNCTION_ID: 'a',
    });
  });

  it('refuses conflicting or unknown formats, bad addresses and a missing secret (exit 2)', async () => {
    expectOneLineError(
      await runCli(['env', '--fn', 'a', '--broker', 'h', '--json', '--format', 'shell'], withSecret),
      2,
      /--json and --format shell ask for different outputs/,
    );
    expectOneLineError(
      await runCli(['env', '--fn', 'a', '--broker', 'h', '--format', 'xml'], withSecret),
      2,
      /Use one of: dotenv, shell, json, aws-cli/,
    );
    expectOneLineError(
      await runCli(['env', '--fn', 'a', '--broker', 'ftp://h'], withSecret),
      2,
      /scheme must be ws:\/\/ or wss:\/\/ or http:\/\/ or https:\/\//,
    );
    expectOneLineError(
      await runCli(['env', '--fn', 'a', '--broker', 'h']),
      2,
      /LAMBDA_DEBUG_SECRET is not set/,
    );
  });
});
