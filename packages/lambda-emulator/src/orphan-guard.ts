/**
 * Runtime processes live in their own process groups (so a sandbox reset can end everything they started), which
 * also means nothing ends them when this process dies without closing its local Lambdas: Ctrl+C's default
 * action and SIGKILL skip `exit` handlers, and aws-lambda-ric 4.x retries a lost Runtime API for 15 minutes.
 * The guard is a small Node process, started once and detached from the terminal's signals, that learns each
 * runtime process group over its stdin and kills the ones still alive when that stdin closes, that is when this
 * process is gone.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const GUARD_SOURCE = `
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => undefined);
const groups = new Set();
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  for (let end = pending.indexOf('\\n'); end >= 0; end = pending.indexOf('\\n')) {
    const line = pending.slice(0, end);
    pending = pending.slice(end + 1);
    const pid = Number(line.slice(1));
    if (line[0] === '+') groups.add(pid);
    else groups.delete(pid);
  }
});
process.stdin.on('close', () => {
  for (const pid of groups) {
    try { process.kill(-pid, 'SIGKILL'); } catch {}
  }
  process.exit(0);
});
`;

let guard: ChildProcess | undefined;

function guardProcess(): ChildProcess | undefined {
  if (guard && guard.exitCode === null && guard.signalCode === null) return guard;
  const started = spawn(process.execPath, ['-e', GUARD_SOURCE], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
    env: {},
  });
  // Neither the guard nor the pipe to it may keep this process running.
  started.unref();
  started.stdin?.on('error', () => undefined);
  (started.stdin as { unref?: () => void } | null)?.unref?.();
  started.once('error', () => undefined);
  guard = started;
  return started;
}

/** Has the guard kill this process group if this process dies first. */
export function guardProcessGroup(pid: number): void {
  guardProcess()?.stdin?.write(`+${pid}\n`);
}

/** The process group ended normally: the guard forgets it. */
export function releaseProcessGroup(pid: number): void {
  if (guard?.stdin?.writable) guard.stdin.write(`-${pid}\n`);
}
