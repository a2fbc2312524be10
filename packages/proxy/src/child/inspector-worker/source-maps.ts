/**
 * External source maps made reachable for a remote debugger. A bundle deployed with `//# sourceMappingURL=index.js.map`
 * names a file in the Lambda's file system, which DevTools or VS Code on the developer's machine cannot open; the
 * bridge reads it (only under the function's task root and the layers' `/opt`) and hands the debugger the same
 * map as a `data:` URL, with the original sources embedded when the map lacks `sourcesContent` and they are
 * deployed beside it.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MAX_INLINED_SOURCE_MAP_BYTES } from '../../shared/limits.js';

const DATA_URL_PREFIX = 'data:application/json;charset=utf-8;base64,';

/** What became of a script's source map URL. */
export type SourceMapResolution =
  /**
   * Nothing to do: no map, already inline, a URL the debugger can fetch itself (http, https), or a script that is
   * not the function's own code (outside the roots, or in `node_modules`).
   */
  | { readonly kind: 'unchanged' }
  | {
      readonly kind: 'inlined';
      readonly url: string;
      readonly bytes: number;
      readonly embeddedSources: number;
    }
  /** The map stays out of reach; `reason` is shown in the debugger's console. */
  | { readonly kind: 'refused'; readonly reason: string };

export interface SourceMapRules {
  /** Folders whose files may be read (real paths). */
  readonly roots: readonly string[];
  readonly maxBytes: number;
}

/** The function's task root and the layers' folder, as the runtime sets them. */
export function defaultSourceMapRules(environment: NodeJS.ProcessEnv = process.env): SourceMapRules {
  const roots = [environment.LAMBDA_TASK_ROOT, '/opt']
    .filter((root): root is string => typeof root === 'string' && root !== '')
    .flatMap((root) => {
      try {
        return [realpathSync(root)];
      } catch {
        return [];
      }
    });
  return { roots, maxBytes: MAX_INLINED_SOURCE_MAP_BYTES };
}

function isUnder(file: string, roots: readonly string[]): boolean {
  return roots.some((root) => file === root || file.startsWith(`${root}${path.sep}`));
}

/** The real path of `file` if it is a regular file under one of `roots`. */
function allowedFile(file: string, rules: SourceMapRules): string | undefined {
  try {
    const real = realpathSync(file);
    return isUnder(real, rules.roots) && statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

interface SourceMapJson {
  sources?: unknown;
  sourceRoot?: unknown;
  sourcesContent?: unknown;
}

/** Fills `sourcesContent` from deployed source files where the map has none; returns how many it embedded. */
function embedSources(map: SourceMapJson, mapFile: string, rules: SourceMapRules, budget: number): number {
  if (!Array.isArray(map.sources)) return 0;
  const contents: unknown[] = Array.isArray(map.sourcesContent) ? [...map.sourcesContent] : [];
  const sourceRoot = typeof map.sourceRoot === 'string' ? map.sourceRoot : '';
  let embedded = 0;
  let left = budget;
  for (const [index, source] of map.sources.entries()) {
    if (typeof contents[index] === 'string' || typeof source !== 'string') continue;
    let file: string;
    try {
      const joined = `${sourceRoot}${sourceRoot && !sourceRoot.endsWith('/') ? '/' : ''}${source}`;
      file = joined.startsWith('file:')
        ? fileURLToPath(joined)
        : path.resolve(path.dirname(mapFile), decodeURIComponent(joined));
    } catch {
      continue;
    }
    const real = allowedFile(file, rules);
    if (!real) continue;
    const size = statSync(real).size;
    if (size > left) break;
    contents[index] = readFileSync(real, 'utf8');
    left -= size;
    embedded += 1;
  }
  if (embedded > 0) {
    while (contents.length < map.sources.length) contents.push(null);
    map.sourcesContent = contents.map((content) => (typeof content === 'string' ? content : null));
  }
  return embedded;
}

/** Resolves a `Debugger.scriptParsed` event's `sourceMapURL` for a debugger that is not on this machine. */
export function resolveSourceMap(
  scriptUrl: string,
  sourceMapUrl: string,
  rules: SourceMapRules,
): SourceMapResolution {
  if (sourceMapUrl === '' || /^(data|https?):/i.test(sourceMapUrl)) return { kind: 'unchanged' };
  let mapFile: string;
  let scriptFile: string;
  try {
    const base = scriptUrl.startsWith('file:') ? scriptUrl : pathToFileURL(scriptUrl).href;
    scriptFile = fileURLToPath(base);
    mapFile = fileURLToPath(new URL(sourceMapUrl, base));
  } catch {
    return { kind: 'unchanged' };
  }
  // The function's own code only: dependencies' maps (which debuggers ignore-list by default) would cost a read
  // each at every attach, and code outside the roots is not the function's.
  const realScript = allowedFile(scriptFile, rules);
  if (!realScript || realScript.split(path.sep).includes('node_modules')) return { kind: 'unchanged' };
  const real = allowedFile(mapFile, rules);
  if (!real) {
    return {
      kind: 'refused',
      reason: `the source map ${mapFile} is not served: only files under the function's task root and /opt are, and it is not a readable file there`,
    };
  }
  const size = statSync(real).size;
  if (size > rules.maxBytes) {
    return {
      kind: 'refused',
      reason: `the source map ${mapFile} is ${size} bytes, more than the ${rules.maxBytes} bytes the debugger can be sent in one message; build with smaller maps (one per entry point) or inline sources selectively`,
    };
  }
  const bytes = readFileSync(real);
  // A map that carries its sources (what bundlers write by default) goes as it is: parsing 15 MB only to find
  // that out would cost more than sending it.
  if (bytes.includes('"sourcesContent"')) {
    return {
      kind: 'inlined',
      url: `${DATA_URL_PREFIX}${bytes.toString('base64')}`,
      bytes: size,
      embeddedSources: 0,
    };
  }
  const text = bytes.toString('utf8');
  let map: SourceMapJson;
  try {
    map = JSON.parse(text) as SourceMapJson;
  } catch (error) {
    return {
      kind: 'refused',
      reason: `the source map ${mapFile} is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  if (typeof map !== 'object' || map === null) {
    return { kind: 'refused', reason: `the source map ${mapFile} is not a JSON object` };
  }
  const embeddedSources = embedSources(map, real, rules, rules.maxBytes - size);
  const json = embeddedSources > 0 ? JSON.stringify(map) : text;
  const url = `${DATA_URL_PREFIX}${Buffer.from(json, 'utf8').toString('base64')}`;
  return { kind: 'inlined', url, bytes: Buffer.byteLength(json), embeddedSources };
}
