/**
 * Loads a handler from a Lambda handler string (`file.export`, `dir/file.nested.export`) by the same rules, and
 * with the same errors, as the runtime client of this Lambda:
 * - 3.x (nodejs20.x, nodejs22.x): `require` the extensionless path, then `.js` unless the nearest package.json
 *   says `"type": "module"`, then `import()` of `.js` (module packages) or `.mjs`, then `require` of `.cjs`,
 *   then Node's own resolution from the task root;
 * - 4.x (nodejs24.x): `import()` of the extensionless path, `.js`, `.mjs`, `.cjs`, then Node's resolution; a
 *   handler found on neither the module nor its `default` export is not found; a callback-style handler
 *   (three or more parameters) is refused.
 * Used by the no-code-change wrapper and by the child process, so both resolve modules exactly as Lambda does.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CALLBACK_HANDLER_REFUSED_MESSAGE,
  createRuntimeError,
  type RuntimeGeneration,
} from './runtime-errors.js';

/** Any function a runtime can call as a handler. */
export type HandlerFunction = (...args: never[]) => unknown;

const FUNCTION_EXPR = /^([^.]*)\.(.*)$/;
const RELATIVE_PATH_SUBSTRING = '..';
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

// ---- 3.x rules ---------------------------------------------------------------------------------------------

function tryRequireFile(file: string, extension = ''): unknown {
  const candidate = file + extension;
  return existsSync(candidate) ? require(candidate) : undefined;
}

async function tryImport(file: string, extension = ''): Promise<unknown> {
  const candidate = file + extension;
  // A plain absolute path, as the runtime passes it, so odd characters fail the same way.
  return existsSync(candidate) ? await import(candidate) : undefined;
}

function folderHasTypeModule(folder: string): boolean {
  if (folder.endsWith('/node_modules')) return false;
  const manifest = path.join(folder, '/package.json');
  if (existsSync(manifest)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (parsed) return (parsed as { type?: unknown }).type === 'module';
    } catch {
      return false;
    }
  }
  if (folder === '/') return false;
  return folderHasTypeModule(path.resolve(folder, '..'));
}

function hasPackageJsonTypeModule(file: string): boolean {
  const jsPath = `${file}.js`;
  return existsSync(jsPath) ? folderHasTypeModule(path.resolve(path.dirname(jsPath))) : false;
}

async function requireFirst(appRoot: string, moduleRoot: string, moduleName: string): Promise<unknown> {
  const lambdaStylePath = path.resolve(appRoot, moduleRoot, moduleName);
  const extensionless = tryRequireFile(lambdaStylePath);
  if (extensionless) return extensionless;
  const typeModule = hasPackageJsonTypeModule(lambdaStylePath);
  if (!typeModule) {
    const loaded = tryRequireFile(lambdaStylePath, '.js');
    if (loaded) return loaded;
  }
  const loaded =
    (typeModule && (await tryImport(lambdaStylePath, '.js'))) ||
    (await tryImport(lambdaStylePath, '.mjs')) ||
    tryRequireFile(lambdaStylePath, '.cjs');
  if (loaded) return loaded;
  return require(require.resolve(moduleName, { paths: [appRoot, moduleRoot] }));
}

function resolveNested(object: unknown, nestedProperty: string): unknown {
  return nestedProperty.split('.').reduce<unknown>((nested, key) => {
    return nested && (nested as Record<string, unknown>)[key];
  }, object);
}

async function loadRic3(appRoot: string, fullHandlerString: string): Promise<HandlerFunction> {
  if (fullHandlerString.includes(RELATIVE_PATH_SUBSTRING)) {
    throw createRuntimeError(
      'ric3',
      'MalformedHandlerName',
      `'${fullHandlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandlerString);
  const moduleRoot = fullHandlerString.substring(0, fullHandlerString.indexOf(handlerString));
  const match = handlerString.match(FUNCTION_EXPR);
  if (match?.length !== 3) throw createRuntimeError('ric3', 'MalformedHandlerName', 'Bad handler');
  const [, moduleName = '', handlerPath = ''] = match;
  let userApp: unknown;
  try {
    userApp = await requireFirst(appRoot, moduleRoot, moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) throw createRuntimeError('ric3', 'UserCodeSyntaxError', error);
    if (hasCode(error, 'MODULE_NOT_FOUND')) throw createRuntimeError('ric3', 'ImportModuleError', error);
    throw error;
  }
  const handler = resolveNested(userApp, handlerPath);
  if (!handler) {
    throw createRuntimeError('ric3', 'HandlerNotFound', `${fullHandlerString} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw createRuntimeError('ric3', 'HandlerNotFound', `${fullHandlerString} is not a function`);
  }
  return handler as HandlerFunction;
}

// ---- 4.x rules ---------------------------------------------------------------------------------------------

async function importFirst(appRoot: string, moduleRoot: string, moduleName: string): Promise<unknown> {
  const fullPathWithoutExtension = path.resolve(appRoot, moduleRoot, moduleName);
  try {
    for (const extension of ['', '.js', '.mjs', '.cjs']) {
      const loaded = await tryImport(fullPathWithoutExtension, extension);
      if (loaded) return loaded;
    }
    const resolved = require.resolve(moduleName, { paths: [appRoot, path.join(appRoot, moduleRoot)] });
    return require(resolved);
  } catch (error) {
    if (error instanceof SyntaxError) throw createRuntimeError('ric4', 'UserCodeSyntaxError', error);
    if (error instanceof Error && hasCode(error, 'MODULE_NOT_FOUND')) {
      throw createRuntimeError('ric4', 'ImportModuleError', error);
    }
    throw error;
  }
}

function findIn(handlerName: string, container: unknown): unknown {
  return handlerName.split('.').reduce<unknown>((nested, key) => {
    return nested && typeof nested === 'object' ? (nested as Record<string, unknown>)[key] : undefined;
  }, container);
}

async function loadRic4(appRoot: string, fullHandlerString: string): Promise<HandlerFunction> {
  if (fullHandlerString.includes(RELATIVE_PATH_SUBSTRING)) {
    throw createRuntimeError(
      'ric4',
      'MalformedHandlerName',
      `'${fullHandlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandlerString);
  const moduleRoot = fullHandlerString
    .substring(0, fullHandlerString.indexOf(handlerString))
    .replace(/\/$/, '');
  const match = handlerString.match(FUNCTION_EXPR);
  if (match?.length !== 3) throw createRuntimeError('ric4', 'MalformedHandlerName', 'Bad handler');
  const [, moduleName = '', handlerName = ''] = match;
  const loaded = await importFirst(appRoot, moduleRoot, moduleName);
  let handler = findIn(handlerName, loaded);
  if (!handler && typeof loaded === 'object' && loaded !== null && 'default' in loaded) {
    handler = findIn(handlerName, (loaded as { default: unknown }).default);
  }
  if (!handler) {
    throw createRuntimeError('ric4', 'HandlerNotFound', `${fullHandlerString} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw createRuntimeError('ric4', 'HandlerNotFound', `${fullHandlerString} is not a function`);
  }
  const streaming = Boolean((handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING]);
  if (handler.length >= 3 && !streaming) {
    throw createRuntimeError('ric4', 'CallbackHandlerDeprecated', CALLBACK_HANDLER_REFUSED_MESSAGE);
  }
  return handler as HandlerFunction;
}

/**
 * Loads the handler named by `handlerString` relative to `appRoot` (the task root). Throws the runtime's own
 * errors (`Runtime.ImportModuleError`, `Runtime.HandlerNotFound`, `Runtime.MalformedHandlerName`,
 * `Runtime.UserCodeSyntaxError`, `Runtime.CallbackHandlerDeprecated`), or whatever the module itself threw.
 */
export function loadHandler(
  appRoot: string,
  handlerString: string,
  generation: RuntimeGeneration,
): Promise<HandlerFunction> {
  return generation === 'ric3' ? loadRic3(appRoot, handlerString) : loadRic4(appRoot, handlerString);
}

/** True when the handler was marked with `awslambda.streamifyResponse` (response streaming). */
export function isStreamingHandler(handler: unknown): boolean {
  return (
    typeof handler === 'function' &&
    Boolean((handler as unknown as Record<symbol, unknown>)[HANDLER_STREAMING])
  );
}
