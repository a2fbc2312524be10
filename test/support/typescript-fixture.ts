/**
 * A TypeScript handler compiled the way the docs tell users to compile one for debugging in Lambda: CommonJS,
 * with an inline source map that carries the sources (`inlineSourceMap` + `inlineSources`), so any debugger finds
 * the `.ts` text without access to the Lambda's disk. Line mapping uses Node's own `SourceMap`.
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

/** Compiles `tsSource` into `outDir` (created), as `handler.js` with its `handler.ts` beside it. */
export function compileTypeScriptHandler(tsSource: string, outDir: string): CompiledHandler {
  mkdirSync(outDir, { recursive: true });
  const tsFile = path.join(outDir, 'handler.ts');
  copyFileSync(tsSource, tsFile);
  const output = ts.transpileModule(readFileSync(tsSource, 'utf8'), {
    compilerOptions: DEBUG_COMPILER_OPTIONS,
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
  return { taskRoot: outDir, jsFile, tsFile };
}

/** Reads the inline source map of a compiled file. */
function inlineSourceMap(jsFile: string): SourceMap {
  const text = readFileSync(jsFile, 'utf8');
  const match = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(text);
  if (!match) throw new Error(`${jsFile} has no inline source map`);
  return new SourceMap(JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8')));
}

/**
 * The 1-based line of `jsFile` where code of the 1-based TypeScript line `tsLine` starts: what a debugger
 * computes from the source map when a person sets a breakpoint in the `.ts` file.
 */
export function generatedLineFor(jsFile: string, tsLine: number): number {
  const map = inlineSourceMap(jsFile);
  const lines = readFileSync(jsFile, 'utf8').split('\n');
  for (let line = 0; line < lines.length; line++) {
    for (let column = 0; column < lines[line]!.length; column++) {
      const entry = map.findEntry(line, column) as { originalLine?: number; generatedLine?: number };
      if (entry.generatedLine === line && entry.originalLine === tsLine - 1) return line + 1;
    }
  }
  throw new Error(`no code of ${path.basename(jsFile)} maps to line ${tsLine} of the TypeScript source`);
}
