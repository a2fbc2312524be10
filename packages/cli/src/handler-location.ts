/**
 * Where a function's handler is, and how `lambda-debug local` runs it through the proxy without a code change:
 * the runtime client is given the proxy's wrapper handler and the proxy loads the user's handler from
 * `DEBUGGER_HANDLER`.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RuntimeFailure, UsageError } from './errors.js';

/**
 * The runtime client refuses any handler string containing `..` (`Runtime.MalformedHandlerName`: "Use absolute
 * paths when specifying root directories in handler names"), so paths outside the task root must be absolute.
 */
const RELATIVE_PATH_MARK = '..';

/** The extensions the runtime client tries for a handler module, in its order. */
const HANDLER_EXTENSIONS = ['', '.js', '.mjs', '.cjs'] as const;

/** A handler string (`file.export`, `src/app.handlers.main`) taken apart as the runtime client reads it. */
export interface HandlerString {
  /** Folder of the module relative to the task root, `''` for the task root itself. */
  readonly moduleFolder: string;
  /** Module file name without its extension. */
  readonly moduleName: string;
  /** The export, possibly nested (`handlers.main`). */
  readonly exportPath: string;
}

/** Splits a handler string like the runtime client: the last path segment is `module.export`. */
export function parseHandlerString(handler: string): HandlerString {
  const trimmed = handler.trim();
  if (trimmed.includes(RELATIVE_PATH_MARK)) {
    throw new UsageError(
      `--handler "${handler}" contains "..", which Lambda refuses in handler names`,
      'Pass --dir with the folder that holds the code and a handler relative to it, such as index.handler',
    );
  }
  const last = basename(trimmed);
  const dot = last.indexOf('.');
  if (dot <= 0 || dot === last.length - 1) {
    throw new UsageError(
      `--handler "${handler}" is not of the form file.export`,
      'Pass the file (without extension) and the exported function, such as index.handler or src/app.main',
    );
  }
  return {
    moduleFolder: trimmed.slice(0, trimmed.length - last.length),
    moduleName: last.slice(0, dot),
    exportPath: last.slice(dot + 1),
  };
}

/**
 * Checks `--dir`: it must be a folder. Returns its real absolute path: Node names loaded files by their real
 * paths, so breakpoints and VS Code's path mapping must use the same.
 */
export function resolveTaskRoot(dir: string): string {
  const absolute = resolve(dir);
  let isFolder = false;
  try {
    isFolder = statSync(absolute).isDirectory();
  } catch {
    isFolder = false;
  }
  if (!isFolder) {
    throw new UsageError(`--dir ${dir} is not a folder`, 'Pass the folder that holds the handler file');
  }
  return realpathSync(absolute);
}

/**
 * The file the runtime client will load for `handler` in `taskRoot`, found as it looks for it (no extension,
 * then `.js`, `.mjs`, `.cjs`). A missing file is a usage error naming what was tried, rather than an init error
 * in the middle of an invocation.
 */
export function findHandlerFile(taskRoot: string, handler: string): string {
  const parsed = parseHandlerString(handler);
  const base = join(taskRoot, parsed.moduleFolder, parsed.moduleName);
  for (const extension of HANDLER_EXTENSIONS) {
    const candidate = base + extension;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  const tried = HANDLER_EXTENSIONS.filter((extension) => extension !== '')
    .map((extension) => `${join(parsed.moduleFolder, parsed.moduleName)}${extension}`)
    .join(', ');
  throw new UsageError(
    `no handler file for "${handler}" in ${taskRoot} (looked for ${tried})`,
    'Check --handler (file.export, relative to --dir) and --dir',
  );
}

/**
 * The handler string of the proxy's wrapper, as an absolute path. The proxy is installed with this CLI, not in
 * the user's project, and the runtime client resolves a handler string against the task root unless it is
 * absolute (relative `..` paths it refuses), so the wrapper is named by its real location.
 */
export function wrapperHandlerString(proxyPackageJson: string): string {
  const proxyFolder = realpathSync(dirname(proxyPackageJson));
  if (proxyFolder.includes(RELATIVE_PATH_MARK)) {
    throw new RuntimeFailure(
      `the proxy is installed in ${proxyFolder}, a path containing "..", which the runtime client refuses in handler names`,
      'Install lambda-debug in a folder whose path has no ".." in it',
    );
  }
  return `${proxyFolder}/wrapper.handler`;
}
