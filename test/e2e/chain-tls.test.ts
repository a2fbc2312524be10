/**
 * The whole chain over TLS, with a CA and a broker certificate the test makes: the proxy under the real runtime
 * client links to `wss://` trusting the CA through `NODE_EXTRA_CA_CERTS` (as a Lambda function would), a real
 * debugger client (chrome-remote-interface, trusting the CA the same way) debugs the handler, and a function
 * that does not trust the broker's certificate logs one line and runs its handler normally. The CLI's `env`, `url`,
 * `sessions` and `tunnel` take the `wss://` broker (with `--ca` for the test CA), and `node inspect` debugs
 * through the tunnel.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../packages/broker/test/test-pki.js';
import { CliProcess, runCli, stopAllCliProcesses } from '../../packages/cli/test/cli-process.js';
import { ArtifactDir, REPO_ROOT } from '../support/artifacts.js';
import { BASIC, BASIC_FIRST_STATEMENT } from '../support/chain-fixtures.js';
import { Cleanups } from '../support/cleanups.js';
import { DebuggableFunction, SessionEvents, successPayload } from '../support/lambda-chain.js';
import { NodeInspectCli } from '../support/node-inspect.js';
import { stopAllProcesses, TrackedProcess } from '../support/processes.js';
import { Steps } from '../support/steps.js';
import { TestBroker } from '../support/test-broker.js';

const CHAIN_TEST_TIMEOUT_MS = 90_000;
const CRI_SESSION = path.join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'clients', 'cri-scripted-session.mjs');

let pki: TestPki;
let broker: TestBroker;
let sessions: SessionEvents;
const cleanups = new Cleanups();

beforeAll(async () => {
  pki = await createTestPki();
  const certificate = await pki.issue('broker');
  broker = await TestBroker.start({ tls: { cert: certificate.cert, key: certificate.key } });
  sessions = new SessionEvents(broker);
});

afterEach(async () => {
  await cleanups.run();
  await stopAllCliProcesses();
  await stopAllProcesses();
});

afterAll(async () => {
  sessions?.close();
  await broker?.close();
  if (broker) {
    broker.saveLog('chain tls broker log');
    expect(broker.leakedSecrets(['tls-basic', 'tls-untrusted', 'tls-cli'])).toEqual([]);
  }
  await pki?.cleanup();
});

async function startFunction(functionId: string, env: Record<string, string>): Promise<DebuggableFunction> {
  const fn = await DebuggableFunction.start({ broker, functionId, taskRoot: BASIC.taskRoot, env });
  cleanups.push(() => fn.close());
  return fn;
}

/** The `[lambda-debug]` lines of a function's log. */
function proxyLines(fn: DebuggableFunction): string[] {
  return fn.logLines.filter((line) => line.includes('[lambda-debug]'));
}

describe('the chain over wss://', { timeout: CHAIN_TEST_TIMEOUT_MS }, () => {
  it('debugs a handler through a TLS broker: proxy and chrome-remote-interface trust the CA via NODE_EXTRA_CA_CERTS', async () => {
    const fn = await startFunction('tls-basic', { NODE_EXTRA_CA_CERTS: pki.caPath });
    expect(broker.lambdaBrokerAddress).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const registered = sessions.next('session-registered', 'tls-basic');
    const invocation = fn.invoke({ name: 'tls' });
    await registered;
    const url = broker.functionWebSocketUrl('tls-basic');
    expect(url).toMatch(/^wss:\/\//);
    const greetLine = BASIC.line('const greeting = `hello ');
    const cri = new TrackedProcess(
      process.execPath,
      [CRI_SESSION, url, 'basic/index\\.js$', String(greetLine - 1), 'name'],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: pki.caPath },
        description: 'chrome-remote-interface over wss://',
      },
    );
    cleanups.push(() => cri.stop());
    const exit = await cri.exited;
    expect(exit, cri.transcript()).toEqual({ code: 0, signal: null });
    const records = cri.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toEqual([
      {
        pause: {
          reason: 'Break on start',
          url: `file://${BASIC.file}`,
          line: BASIC.line("const name = event.name ?? 'world';") - 1,
          functionName: 'exports.handler',
        },
      },
      {
        pause: { reason: 'other', url: `file://${BASIC.file}`, line: greetLine - 1, functionName: 'greet' },
        hitBreakpoint: true,
      },
      { evaluated: 'tls' },
      { done: true },
    ]);
    expect(successPayload(await invocation)).toMatchObject({ greeting: 'hello tls', size: 9 });
    expect(proxyLines(fn).filter((line) => /error|warn/i.test(line))).toEqual([]);
  });

  it('a function that does not trust the certificate: one log line that names the fix, and a normal run', async () => {
    const fn = await startFunction('tls-untrusted', {});
    const result = await fn.invoke({ name: 'plain' });
    expect(successPayload(result)).toMatchObject({ greeting: 'hello plain', size: 11 });
    const lines = proxyLines(fn);
    expect(lines, fn.logLines.join('\n')).toHaveLength(1);
    expect(lines[0]).toMatch(
      /the broker at wss:\/\/127\.0\.0\.1:\d+ is not trusted: the broker's TLS certificate did not verify \(.*UNABLE_TO_VERIFY_LEAF_SIGNATURE\); .*NODE_EXTRA_CA_CERTS/,
    );
    expect(broker.handle.sessions()).toEqual([]);
  });

  it('the CLI takes the wss:// broker: env and url print wss:// URLs, sessions and tunnel trust --ca, node inspect debugs through the tunnel', async () => {
    const steps = new Steps('cli against a tls broker');
    const secretEnv = { LAMBDA_DEBUG_SECRET: broker.secret };
    const lambdaBroker = `wss://127.0.0.1:${broker.handle.lambdaAddress.port}`;
    const debuggerBroker = `wss://127.0.0.1:${broker.handle.debuggerAddress.port}`;
    const env = await runCli(['env', '--fn', 'tls-cli', '--broker', lambdaBroker, '--json'], secretEnv);
    expect(env.code, env.stderr).toBe(0);
    const variables = JSON.parse(env.stdout) as Record<string, string>;
    expect(variables.DEBUGGER_BROKER_ADDRESS).toBe(lambdaBroker);
    const url = await runCli(
      ['url', '--fn', 'tls-cli', '--broker', debuggerBroker, '--ca', pki.caPath, '--json'],
      secretEnv,
    );
    expect(url.code, url.stderr).toBe(0);
    const attach = JSON.parse(url.stdout) as { ws: string; devtools: string; inspect: { command: string } };
    expect(attach.ws).toBe(broker.functionWebSocketUrl('tls-cli'));
    expect(new URL(attach.devtools).searchParams.get('wss')).toBe(broker.functionTarget('tls-cli'));
    expect(attach.inspect.command).toBe(
      `lambda-debug tunnel --fn tls-cli --broker ${debuggerBroker} --ca ${pki.caPath}`,
    );

    const fn = await startFunction('tls-cli', { ...variables, NODE_EXTRA_CA_CERTS: pki.caPath });
    const registered = sessions.next('session-registered', 'tls-cli');
    const invocation = fn.invoke({ name: 'inspect' });
    await steps.run('the invocation registers over wss://', () => registered);

    const listed = await runCli(
      ['sessions', '--broker', debuggerBroker, '--ca', pki.caPath, '--json'],
      secretEnv,
    );
    expect(listed.code, listed.stderr).toBe(0);
    const list = JSON.parse(listed.stdout) as { sessions: Array<{ functionId: string; state: string }> };
    expect(list.sessions).toEqual([expect.objectContaining({ functionId: 'tls-cli', state: 'waiting' })]);
    const untrusted = await runCli(['sessions', '--broker', debuggerBroker], secretEnv);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(
      /^lambda-debug: the broker at 127\.0\.0\.1:\d+ presented a TLS certificate that did not verify \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)\. If a private CA issued it, pass --ca FILE/,
    );

    const tunnel = CliProcess.start(
      ['tunnel', '--fn', 'tls-cli', '--broker', debuggerBroker, '--ca', pki.caPath, '--port', '0', '--json'],
      secretEnv,
    );
    const ready = await tunnel.json<{ address: string; ws: string }>();
    expect(ready.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\//);
    await tunnel.line(/broker 127\.0\.0\.1:\d+ reachable; 1 target/, 'stderr');
    const artifacts = new ArtifactDir('chain tls node inspect');
    const cli = await NodeInspectCli.attach(ready.address, steps, { artifacts, cwd: BASIC.taskRoot });
    cleanups.push(() => cli.stop());
    const start = await cli.waitForBreak('node inspect reports the pause at the handler');
    expect(start.line).toBe(BASIC.line(BASIC_FIRST_STATEMENT));
    await cli.setBreakpoint('basic/index.js', BASIC.line('const size = text.length;'));
    const hit = await cli.continueToBreak('to the breakpoint in measure()');
    expect(hit).toMatchObject({ reason: 'break', line: BASIC.line('const size = text.length;') });
    expect(await cli.exec('text')).toBe("'hello inspect'");
    await cli.continueToEnd();
    expect(successPayload(await steps.run('the invocation returns', () => invocation))).toMatchObject({
      greeting: 'hello inspect',
      size: 13,
    });
    await cli.exit();
    expect(await tunnel.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});
