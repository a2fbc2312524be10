/**
 * CPU time per process from Linux's /proc, to show where a figure's time goes (which hop of the chain is busy).
 * Best effort: on a system without /proc the readings are empty and the figures say so.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux this runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces; the fields after it are fixed.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function readCommand(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Every live descendant of `pid`, with its parent and command line. */
export function descendants(pid) {
  let entries;
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children = new Map();
  for (const entry of entries) {
    const stat = readStat(entry);
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const found = [];
  const queue = (children.get(pid) ?? []).map((child) => ({ pid: child, ppid: pid }));
  while (queue.length > 0) {
    const next = queue.shift();
    found.push({ ...next, command: readCommand(next.pid) });
    queue.push(...(children.get(next.pid) ?? []).map((child) => ({ pid: child, ppid: next.pid })));
  }
  return found;
}

/** CPU seconds (user + system) a process has used so far, or undefined when it cannot be read. */
export function cpuSeconds(pid) {
  const stat = readStat(pid);
  return stat ? stat.cpuTicks / CLOCK_TICKS_PER_SECOND : undefined;
}
