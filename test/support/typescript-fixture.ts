/**
 * A TypeScript handler compiled the way users compile one for Lambda: CommonJS, with either an inline source map
 * that carries the sources (`inlineSourceMap` + `inlineSources`), or an external `handler.js.map` without
 * `sourcesContent` beside the `.ts` file (what `tsc --sourceMap` deploys; the proxy serves both to the debugger).
 * Line mapping uses Node's own `SourceMap`.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/** A compiled TypeScript handler. */
export interface CompiledHandler {
  /** The folder to use as the Lambda task root. */
  readonly taskRoot: string;
  /** The compiled file, `<taskRoot>/handler.js`. */
  readonly jsFile: string;
  /** The TypeScript source copied beside it. */
  readonly tsFile: string;
}

/** The compiler options the "Use it with" docs recommend for debugging compiled handlers. */
export const DEBUG_COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  inlineSourceMap: true,
  inlineSources: true,
  esModuleInterop: true,
};

/** The compiler options for an external map: `handler.js.map` beside the output, sources not embedded. */
export const EXTERNAL_MAP_COMPILER_OPTIONS: ts.CompilerOptions = {
  ...DEBUG_COMPILER_OPTIONS,
  inlineSourceMap: false,
  inlineSources: false,
  sourceMap: true,
};

/** Compiles `tsSource` into `outDir` (created), as `handler.js` with its `handler.ts` beside it. */
export function compileTypeScriptHandler(
  tsSource: string,
  outDir: string,
  sourceMap: 'inline' | 'external' = 'inline',
): CompiledHandler {
  mkdirSync(outDir, { recursive: true });
  const tsFile = path.join(outDir, 'handler.ts');
  copyFileSync(tsSource, tsFile);
  const output = ts.transpileModule(readFileSync(tsSource, 'utf8'), {
    compilerOptions: sourceMap === 'inline' ? DEBUG_COMPILER_OPTIONS : EXTERNAL_MAP_COMPILER_OPTIONS,
    fileName: 'handler.ts',
    reportDiagnostics: true,
  });
  const errors = output.diagnostics?.filter((d) => d.category === ts.DiagnosticCategory.Error) ?? [];
  if (errors.length > 0) {
    throw new Error(
      `compiling ${tsSource} failed: ${errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; ')}`,
    );
  }
  const jsFile = path.join(outDir, 'handler.js');
  writeFileSync(jsFile, output.outputText);
  if (sourceMap === 'external') {
    if (output.sourceMapText === undefined) throw new Error(`compiling ${tsSource} produced no source map`);
    writeFileSync(`${jsFile}.map`, output.sourceMapText);
  }
  return { taskRoot: outDir, jsFile, tsFile };
}

/** Reads the source map of a compiled file, inline or in the file its `sourceMappingURL` names. */
function sourceMapOf(jsFile: string): SourceMap {
  const text = readFileSync(jsFile, 'utf8');
  const inline = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(text);
  if (inline) return new SourceMap(JSON.parse(Buffer.from(inline[1]!, 'base64').toString('utf8')));
  const external = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text);
  if (!external) throw new Error(`${jsFile} has no source map`);
  return new SourceMap(JSON.parse(readFileSync(path.resolve(path.dirname(jsFile), external[1]!), 'utf8')));
}

/**
 * The 1-based line of `jsFile` where code of the 1-based TypeScript line `tsLine` starts: what a debugger
 * computes from the source map when a person sets a breakpoint in the `.ts` file.
 */
export function generatedLineFor(jsFile: string, tsLine: number): number {
  const map = sourceMapOf(jsFile);
  const lines = readFileSync(jsFile, 'utf8').split('\n');
  for (let line = 0; line < lines.length; line++) {
    for (let column = 0; column < lines[line]!.length; column++) {
      const entry = map.findEntry(line, column) as { originalLine?: number; generatedLine?: number };
      if (entry.generatedLine === line && entry.originalLine === tsLine - 1) return line + 1;
    }
  }
  throw new Error(`no code of ${path.basename(jsFile)} maps to line ${tsLine} of the TypeScript source`);
}
