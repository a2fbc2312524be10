/** The machine a run measured, read at run time (never typed in), for the report and BENCHMARKS.md. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

function openFileLimit() {
  try {
    return execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Cores, CPU model, memory, OS, Node and npm versions, and the per-process open-file limit. */
export function describeMachine() {
  const cpus = os.cpus();
  let npmVersion = 'unknown';
  try {
    npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // npm is not on PATH when the bench is started with plain `node bench/run.mjs` in some shells.
  }
  return {
    cores: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    npm: npmVersion,
    openFileLimit: openFileLimit(),
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}
