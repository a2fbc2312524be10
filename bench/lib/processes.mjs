/**
 * Child processes started by the benchmarks. Every one is tracked and killed when the run ends, however it
 * ends (normal exit, an error, Ctrl-C), so a benchmark never leaves a process or a port behind.
 */
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';

/** How long a child may take to print its inspector URL or report ready. */
export const CHILD_START_TIMEOUT_MS = 30_000;

/** How long a child may take to exit after being asked to, before it is killed. */
export const CHILD_EXIT_TIMEOUT_MS = 5_000;

const live = new Set();

function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Kills every child still running (used on exit and between figures). */
export function killAll() {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}
process.once('exit', killAll);

/** Spawns `node` with `args`, tracked. */
export function spawnNode(args, options = {}) {
  return track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], ...options }));
}

/** Forks a module with an IPC channel, tracked. */
export function forkModule(modulePath, args = [], options = {}) {
  return track(fork(modulePath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options }));
}

/**
 * Starts `node --inspect[-brk]=127.0.0.1:0 <script>` and resolves with the child and its inspector WebSocket URL,
 * read from the `Debugger listening on ws://...` line Node prints on stderr.
 */
export async function spawnInspected(scriptArgs, { brk = false, env, execArgv = [] } = {}) {
  const flag = `${brk ? '--inspect-brk' : '--inspect'}=127.0.0.1:0`;
  const child = spawnNode([...execArgv, flag, ...scriptArgs], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error('the inspected child printed no inspector URL in time')),
      CHILD_START_TIMEOUT_MS,
    );
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      text += chunk;
      const match = /Debugger listening on (ws:\/\/\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`the inspected child exited (${code}) before printing its inspector URL: ${text.trim()}`),
      );
    });
  });
  return { child, url };
}

/** Asks a child to stop (SIGTERM), kills it if it does not, and waits until it is gone. */
export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_EXIT_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the first IPC message from `child` that satisfies `accept`. */
export function nextMessage(child, accept = () => true, timeoutMs = CHILD_START_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (!accept(message)) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${code ?? signal}) while a message was awaited`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child ${child.pid} sent no awaited message within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

let nextRequestId = 1;

/** Sends a request over IPC and resolves with the reply carrying the same `requestId`. */
export async function request(child, message, timeoutMs = CHILD_START_TIMEOUT_MS) {
  const requestId = nextRequestId++;
  const reply = nextMessage(child, (m) => m?.requestId === requestId, timeoutMs);
  child.send({ ...message, requestId });
  const answer = await reply;
  if (answer.error) throw new Error(`${message.type} failed in child ${child.pid}: ${answer.error}`);
  return answer;
}
