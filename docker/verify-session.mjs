#!/usr/bin/env node
// One real debugging session against a broker that runs elsewhere (docker/verify.sh runs it from the image): the
// CLI prints the function's environment and the debugger URL, the local Lambda (the real runtime client with the
// proxy turned on) is invoked, the invocation shows in the broker's /json/list, chrome-remote-interface attaches
// through the broker, the handler pauses before its first statement, an expression is evaluated in its frame, and
// after resuming the invocation returns what the bare handler would.
//
//   node docker/verify-session.mjs --lambda-port N --debugger-port N --secret-file F
//   node docker/verify-session.mjs --check     # only checks that what the session needs is here
//
// Uses the repository's built packages (`npm run build`) and a provisioned nodejs20.x runtime (`npm run provision`).
// Exit 0: the session went through; 1: the step that failed and why, on stderr; 2: bad arguments.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(repoRoot, 'package.json'));

/** The function id the session uses; only this script registers it. */
const FUNCTION_ID = 'verify-image';
/** The demo function (`npm start` runs it too): it wraps its handler with `debuggable`. */
const TASK_ROOT = path.join(repoRoot, 'packages/cli/examples/hello');
const EVENT = { name: 'image', numbers: [1, 2, 3] };
/** The local Lambda's runtime: this machine's Node 20 with the runtime client `npm run provision` installs. */
const RUNTIME = 'nodejs20.x';
/** How long the invocation waits for this script's debugger (`DEBUGGER_WAIT_MS`). */
const DEBUGGER_WAIT_MS = 30_000;
/** The function's timeout: room for the wait and the session. */
const FUNCTION_TIMEOUT_MS = 60_000;
/** The limit for one step (a registration, an attach, a pause, the result). */
const STEP_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;

const { values: args } = parseArgs({
  options: {
    check: { type: 'boolean' },
    'lambda-port': { type: 'string' },
    'debugger-port': { type: 'string' },
    'secret-file': { type: 'string' },
  },
});

/** The session's prerequisites, checked before a long image build rather than after it. */
function checkPrerequisites() {
  currentStep = 'checking what the session needs';
  const cliBin = path.join(repoRoot, 'packages/cli/dist/bin.js');
  check(existsSync(cliBin), `${cliBin} is missing: run \`npm ci && npm run build\` first`);
  let emulator;
  try {
    emulator = require('@lambda-debug/lambda-emulator');
    require.resolve('chrome-remote-interface');
  } catch (error) {
    throw new Error(`${error.message}: run \`npm ci && npm run build\` first`);
  }
  // Throws with the fix in its message (`npm run provision`) when the runtime is not installed.
  emulator.resolveRuntime(RUNTIME);
}

let currentStep = 'starting';
const cleanups = [];
let lambdaAt = '';
let debuggerAt = '';
let secret = '';

function log(message) {
  console.error(`verify-session: ${message}`);
}

/** Runs one step with a time limit, naming it in any failure. */
async function step(name, action) {
  currentStep = name;
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([action(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the repository's CLI as a user would, with the broker's secret in its environment. */
async function cli(...cliArgs) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(repoRoot, 'packages/cli/dist/bin.js'), ...cliArgs],
    { env: { ...process.env, LAMBDA_DEBUG_SECRET: secret } },
  );
  return JSON.parse(stdout);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  checkPrerequisites();
  if (args.check) return;
  for (const name of ['lambda-port', 'debugger-port', 'secret-file']) {
    if (args[name] === undefined) {
      console.error(`verify-session: --${name} is required (or --check)`);
      process.exit(2);
    }
  }
  lambdaAt = `127.0.0.1:${args['lambda-port']}`;
  debuggerAt = `127.0.0.1:${args['debugger-port']}`;
  secret = readFileSync(args['secret-file'], 'utf8').trim();
  const { startLocalLambda } = require('@lambda-debug/lambda-emulator');
  const CDP = require('chrome-remote-interface');

  const functionEnv = await step('printing the function environment (lambda-debug env)', () =>
    cli('env', '--fn', FUNCTION_ID, '--broker', lambdaAt, '--json'),
  );
  const attach = await step('printing the debugger URL (lambda-debug url)', () =>
    cli('url', '--fn', FUNCTION_ID, '--broker', debuggerAt, '--json'),
  );
  const token = new URL(attach.ws).searchParams.get('token');
  check(token, `the debugger URL carries no token: ${attach.ws}`);

  const lambdaLog = [];
  const lambda = await step('starting the local Lambda with the proxy on', () =>
    startLocalLambda({
      runtime: RUNTIME,
      taskRoot: TASK_ROOT,
      handler: 'index.handler',
      functionName: FUNCTION_ID,
      timeoutMs: FUNCTION_TIMEOUT_MS,
      env: { ...functionEnv, DEBUGGER_WAIT_MS: String(DEBUGGER_WAIT_MS) },
      onLog: (line) => lambdaLog.push(line),
    }),
  );
  cleanups.push(() => lambda.close());
  cleanups.push(() => {
    if (process.exitCode) log(`function log:\n${lambdaLog.join('\n')}`);
  });
  const invocation = lambda.invoke(EVENT);
  invocation.catch(() => undefined);

  const target = await step('waiting for the invocation in /json/list', async () => {
    for (;;) {
      const response = await fetch(
        `http://${debuggerAt}/json/list?token=${encodeURIComponent(token)}&fn=${FUNCTION_ID}`,
      );
      check(response.status === 200, `GET /json/list with the debugger token answered ${response.status}`);
      const targets = await response.json();
      if (targets.length > 0) return targets[0];
      await sleep(POLL_INTERVAL_MS);
    }
  });
  log(`registered: ${target.title} (${target.type})`);

  const client = await step('attaching chrome-remote-interface through the broker', () =>
    CDP({ target: attach.ws, local: true }),
  );
  cleanups.push(() => client.close());
  const scripts = new Map();
  client.on('Debugger.scriptParsed', ({ scriptId, url }) => scripts.set(scriptId, url));
  const paused = new Promise((resolve) => client.once('Debugger.paused', resolve));

  const pause = await step('pausing before the handler’s first statement', async () => {
    await Promise.all([client.send('Runtime.enable'), client.send('Debugger.enable')]);
    await client.send('Runtime.runIfWaitingForDebugger');
    return paused;
  });
  const frame = pause.callFrames[0];
  // Paused frames carry an empty url on Node 20 to 24: the file comes from Debugger.scriptParsed, as in DevTools.
  const file = frame.url || scripts.get(frame.location.scriptId) || '';
  check(
    file.endsWith('/examples/hello/index.js'),
    `paused in ${file || 'an unknown script'} instead of the handler`,
  );
  log(`paused: ${pause.reason} at ${path.basename(file)}:${frame.location.lineNumber + 1}`);

  const evaluated = await step('evaluating event.name in the paused frame', () =>
    client.send('Debugger.evaluateOnCallFrame', {
      callFrameId: frame.callFrameId,
      expression: 'event.name',
      returnByValue: true,
    }),
  );
  check(evaluated.result.value === EVENT.name, `event.name evaluated to ${JSON.stringify(evaluated.result)}`);

  const result = await step('resuming until the invocation returns', async () => {
    await client.send('Debugger.resume');
    return invocation;
  });
  check(result.status === 'success', `the invocation ended ${result.status}: ${result.payload}`);
  const payload = JSON.parse(result.payload);
  check(
    payload.greeting === 'Hello, image!' && payload.total === 6,
    `the invocation returned ${result.payload} instead of the handler's result`,
  );
  log(`returned: ${result.payload}`);
  // One line for verify.sh: what it checks in the broker's log.
  console.log(
    JSON.stringify({ functionId: FUNCTION_ID, requestId: result.requestId, status: result.status }),
  );
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  log(`FAILED while ${currentStep}: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      log(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
