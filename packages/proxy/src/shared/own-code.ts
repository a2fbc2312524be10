import path from 'node:path';

/**
 * The root of the proxy's own compiled files (`dist/`, or `src/` when run from source). Stack frames and scripts
 * under it are the proxy's, not the handler's: they are dropped from call sites and caller frames, and skipped
 * when looking for the module that required the package.
 */
export const PROXY_CODE_DIR = path.resolve(__dirname, '..');

/** True for an absolute file path inside the proxy's own code. */
export function isProxyFile(file: string): boolean {
  return file.startsWith(`${PROXY_CODE_DIR}${path.sep}`);
}
