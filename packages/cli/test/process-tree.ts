/**
 * The processes a CLI run started, read from /proc, so a test can check that stopping the CLI left none behind:
 * the runtime processes run in their own process groups, so ending the CLI alone would not end them.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** How long a test waits for stopped processes to disappear before it fails naming them. */
export const GONE_BOUND_MS = 10_000;

/** How often /proc is read while waiting: processes give no event when they end unless they are our children. */
const POLL_INTERVAL_MS = 25;

interface ProcessInfo {
  readonly pid: number;
  readonly parent: number;
  readonly state: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces: the fields after it are what we need.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0] ?? '?', parent: Number(fields[1]) };
}

/** The command line of a process, for failure messages. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '(gone)';
  }
}

/** The environment variable names of a process (empty once it is gone). */
export function environmentNames(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter((entry) => entry !== '')
      .map((entry) => entry.slice(0, entry.indexOf('=')));
  } catch {
    return [];
  }
}

/** Every live descendant of `root` (children, their children, ...). */
export function descendantsOf(root: number): number[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((info): info is ProcessInfo => info !== undefined && info.state !== 'Z');
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const info of all) {
      if (info.parent === parent) {
        found.push(info.pid);
        queue.push(info.pid);
      }
    }
  }
  return found;
}

/** True while `pid` is a running process (a zombie waiting to be reaped counts as gone). */
export function isRunning(pid: number): boolean {
  const info = readProcess(pid);
  return info !== undefined && info.state !== 'Z';
}

/** Resolves once none of `pids` runs; fails naming the ones still running after `GONE_BOUND_MS`. */
export async function waitUntilGone(pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + GONE_BOUND_MS;
  for (;;) {
    const running = pids.filter(isRunning);
    if (running.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`still running: ${running.map((pid) => `${pid} (${commandLine(pid)})`).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
