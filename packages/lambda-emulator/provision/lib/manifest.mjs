/**
 * The manifest in the cache folder: which runtime is installed where. `resolveRuntime` in
 * `@lambda-debug/lambda-emulator` reads it (schema version and field names must stay in step with
 * `packages/lambda-emulator/src/runtimes.ts`).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Format version of the manifest; `resolveRuntime` ignores any other. */
export const MANIFEST_SCHEMA_VERSION = 1;

/** The manifest's path in a cache folder. */
export function manifestPath(cacheDir) {
  return join(cacheDir, 'manifest.json');
}

function readManifest(cacheDir) {
  try {
    const json = JSON.parse(readFileSync(manifestPath(cacheDir), 'utf8'));
    if (json?.schemaVersion === MANIFEST_SCHEMA_VERSION && typeof json.runtimes === 'object') return json;
  } catch {
    // Missing or unreadable: start a new one.
  }
  return { schemaVersion: MANIFEST_SCHEMA_VERSION, runtimes: {} };
}

/** Adds or replaces runtime entries, keeping the others, and writes the file atomically. */
export function updateManifest(cacheDir, entries) {
  const manifest = readManifest(cacheDir);
  for (const [runtime, entry] of Object.entries(entries)) manifest.runtimes[runtime] = entry;
  manifest.updatedAt = new Date().toISOString();
  const file = manifestPath(cacheDir);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temporary, file);
  return file;
}
