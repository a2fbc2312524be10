// The no-code-change handler: set the function's handler to
//   node_modules/@lambda-debug/proxy/wrapper.handler
// and DEBUGGER_HANDLER to the function's own handler (for example index.handler). The handler is loaded during
// init with the runtime's own rules, so a bad DEBUGGER_HANDLER fails init with the runtime's own error.
// The CommonJS loader is required directly rather than imported: an ES import of a CommonJS file also parses it
// for its export names, which costs the cold start time for nothing.
import { createRequire } from 'node:module';

const { loadWrappedHandler } = createRequire(import.meta.url)('./dist/entry/wrapper.js');

export const handler = await loadWrappedHandler();
