/**
 * Seed-style activation: `require('@lambda-debug/proxy')` as the last line of a CommonJS handler file swaps that
 * file's exported handlers for wrapped ones.
 *
 * The requiring file is found from the call stack (the first frame outside this package whose file is a loading
 * CommonJS module), with the deprecated `module.parent` only as a fallback. Each require of the package must run
 * this again, but Node runs a cached module's body only once; so, when debugging is on, the package's entry
 * module removes itself from `require.cache` after running (see index.ts) and every handler file that requires
 * it gets its own turn.
 *
 * Exports are swapped in place when their property allows it (writable or configurable). Getter-only,
 * non-configurable exports (TypeScript's and bundlers' re-exports) cannot be changed in place, so the file's
 * `module.exports` is replaced by a copy with the handlers wrapped, which is what the runtime then loads. When the
 * package was bundled into the handler file, the file's exports cannot be reached at all: one log line says so
 * and what to do instead.
 */
import Module from 'node:module';
import { ProxyLogger } from '../parent/proxy-log.js';
import { PROXY_CODE_DIR } from '../shared/own-code.js';
import { isWrappedHandler, wrapHandler } from './handler-proxy.js';

/** The CommonJS module objects the proxy works with. */
type CommonJsModule = NodeJS.Module & { loaded: boolean; exports: unknown };

/** What happened to a file's exports. */
export interface SwapReport {
  /** Export names now wrapped. */
  readonly swapped: readonly string[];
  /** True when `module.exports` had to be replaced by a copy. */
  readonly replacedExports: boolean;
}

function isCommonJsModule(value: unknown): value is CommonJsModule {
  return value instanceof Module && typeof (value as { filename?: unknown }).filename === 'string';
}

/** Files on the current call stack, innermost first. */
function stackFiles(): string[] {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = 64;
    Error.prepareStackTrace = (_error, sites) => sites;
    Error.captureStackTrace(holder);
    const sites = holder.stack as NodeJS.CallSite[] | undefined;
    return Array.isArray(sites)
      ? sites.map((site) => site.getFileName() ?? '').filter((file) => file !== '')
      : [];
  } catch {
    return [];
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
}

/** The CommonJS module that is requiring the package right now, if there is one. */
export function findRequiringModule(
  ownModule: NodeJS.Module,
  ownDir: string = PROXY_CODE_DIR,
): CommonJsModule | undefined {
  for (const file of stackFiles()) {
    if (file.startsWith('node:') || file.startsWith(`${ownDir}/`)) continue;
    const candidate = require.cache[file];
    if (isCommonJsModule(candidate) && !candidate.loaded) return candidate;
  }
  // Fallback only: `module.parent` is deprecated and names the first requirer, not the current one.
  const parent = Reflect.get(ownModule, 'parent') as unknown;
  if (isCommonJsModule(parent) && !parent.loaded && !parent.filename.startsWith(`${ownDir}/`)) return parent;
  return undefined;
}

function readExport(target: object, descriptor: PropertyDescriptor): unknown {
  if ('value' in descriptor) return descriptor.value;
  try {
    return descriptor.get ? descriptor.get.call(target) : undefined;
  } catch {
    return undefined;
  }
}

/** Wraps every exported function of `requirer` (in place where possible, else in a replacement exports object). */
export function swapExports(requirer: CommonJsModule): SwapReport {
  const exportsObject = requirer.exports;
  if (typeof exportsObject !== 'object' || exportsObject === null)
    return { swapped: [], replacedExports: false };
  const swapped: string[] = [];
  const replacements = new Map<string, unknown>();
  let needsCopy = false;
  for (const key of Object.getOwnPropertyNames(exportsObject)) {
    const descriptor = Object.getOwnPropertyDescriptor(exportsObject, key);
    if (!descriptor) continue;
    const value = readExport(exportsObject, descriptor);
    if (typeof value !== 'function' || isWrappedHandler(value)) continue;
    const wrapped = wrapHandler(value, 'seed');
    swapped.push(key);
    replacements.set(key, wrapped);
    if ('value' in descriptor && descriptor.writable) {
      (exportsObject as Record<string, unknown>)[key] = wrapped;
    } else if (descriptor.configurable) {
      Object.defineProperty(exportsObject, key, {
        value: wrapped,
        writable: 'value' in descriptor ? descriptor.writable : true,
        enumerable: descriptor.enumerable,
        configurable: true,
      });
    } else {
      needsCopy = true;
    }
  }
  if (!needsCopy) return { swapped, replacedExports: false };
  const copy = Object.create(Object.getPrototypeOf(exportsObject)) as Record<string, unknown>;
  for (const key of Reflect.ownKeys(exportsObject)) {
    const descriptor = Object.getOwnPropertyDescriptor(exportsObject, key);
    if (!descriptor) continue;
    if (typeof key === 'string' && replacements.has(key)) {
      Object.defineProperty(copy, key, {
        value: replacements.get(key),
        writable: false,
        enumerable: descriptor.enumerable,
        configurable: false,
      });
    } else {
      Object.defineProperty(copy, key, descriptor);
    }
  }
  requirer.exports = copy;
  return { swapped, replacedExports: true };
}

/** Runs seed-style activation for the module that is requiring the package. Never throws. */
export function activateSeed(
  ownModule: NodeJS.Module,
  logger: ProxyLogger = new ProxyLogger(),
): SwapReport | undefined {
  try {
    if (!isCommonJsModule(ownModule)) {
      logger.error(
        "require('@lambda-debug/proxy') was bundled into the handler file, so it cannot reach the file's exports and debugging stays off. Mark @lambda-debug/proxy as external in the bundler, or wrap the handler with debuggable(), or use the wrapper handler (see the package README).",
      );
      return undefined;
    }
    const requirer = findRequiringModule(ownModule);
    // Nothing to do: imported from ESM (whose exports cannot be swapped; use debuggable()), or from a file that
    // only wants `debuggable`.
    if (!requirer) return undefined;
    if (typeof requirer.exports === 'function') {
      logger.error(
        `${requirer.filename} exports a function as module.exports, which seed-style activation cannot swap; wrap it with debuggable() instead.`,
      );
      return undefined;
    }
    return swapExports(requirer);
  } catch (error) {
    logger.error(`seed-style activation failed, debugging stays off for this file: ${String(error)}`);
    return undefined;
  }
}
