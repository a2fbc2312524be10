/**
 * One provisioning run at a time per cache folder: several test runs may start `npm run provision` together,
 * and two builds of the same runtime client in one folder would corrupt each other.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProvisionError } from './commands.mjs';

/** How often a waiting run checks whether the lock is free. */
const LOCK_POLL_MS = 1_000;
/** How long a run waits for another one before giving up: longer than a full provisioning from scratch. */
const LOCK_WAIT_MS = 20 * 60_000;

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return error.code === 'EPERM';
  }
}

function lockOwner(lockDir) {
  try {
    return Number.parseInt(readFileSync(join(lockDir, 'pid'), 'utf8'), 10);
  } catch {
    return Number.NaN;
  }
}

/**
 * Takes the cache lock (a folder, created atomically), waiting while another live run holds it and taking over
 * a lock whose owner died. Returns a function that releases it.
 */
export async function acquireCacheLock(cacheDir, report) {
  const lockDir = join(cacheDir, '.provision.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const owner = lockOwner(lockDir);
    if (Number.isInteger(owner) && !isAlive(owner)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      report(`waiting for another provisioning run (pid ${Number.isInteger(owner) ? owner : 'unknown'})`);
      announced = true;
    }
    if (Date.now() > deadline) {
      throw new ProvisionError(
        `another provisioning run has held ${lockDir} for over ${LOCK_WAIT_MS / 60_000} minutes. ` +
          'If no provisioning is running, delete that folder and run again.',
      );
    }
    await sleep(LOCK_POLL_MS);
  }
}
