/**
 * Environment variables debuggers are known to edit in their target, put back as each invocation ends (before its
 * result is reported) so one debugger's edits never reach the next invocation. VS Code's js-debug (unless
 * `"autoAttachChildProcesses": false`) evaluates code that appends `--require <a bootloader path on the developer's
 * machine>` to `NODE_OPTIONS` and sets `VSCODE_INSPECTOR_OPTIONS`, so that child processes attach too. In a reused
 * child the edit would pile up with every session, and any process the handler starts in Lambda would fail to load a
 * file that exists only on the developer's machine. The handler's own changes to these two are reverted too
 * (documented under "What differs").
 */
const DEBUGGER_EDITED_VARIABLES = ['NODE_OPTIONS', 'VSCODE_INSPECTOR_OPTIONS'] as const;

/** Remembers those variables as they are now; the returned function puts them back. */
export function rememberDebuggerEditedVariables(environment: NodeJS.ProcessEnv = process.env): () => void {
  const saved = DEBUGGER_EDITED_VARIABLES.map((name) => [name, environment[name]] as const);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete environment[name];
      else if (environment[name] !== value) environment[name] = value;
    }
  };
}
