// The no-code-change handler: set the function's handler to
//   node_modules/@lambda-debug/proxy/wrapper.handler
// and DEBUGGER_HANDLER to the function's own handler (for example index.handler). The handler is loaded during
// init with the runtime's own rules, so a bad DEBUGGER_HANDLER fails init with the runtime's own error.
import wrapper from './dist/wrapper.js';

export const handler = await wrapper.loadWrappedHandler();
