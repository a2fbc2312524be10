// The function `npm start` (`lambda-debug demo`) runs in the local Lambda.
//
// It turns the proxy on the explicit way: the handler is wrapped with `debuggable` from @lambda-debug/proxy.
// With DEBUGGER_ACTIVE off (as in a normal deployment) `debuggable` returns the handler untouched. The two
// other setups are a `require('@lambda-debug/proxy')` as the file's last line, and the wrapper handler with
// DEBUGGER_HANDLER, which `lambda-debug local` uses so that your own handler needs no change.
const { debuggable } = require('@lambda-debug/proxy');

/** Adds the numbers one at a time: a loop worth stepping through and watching `total` grow. */
function sum(numbers) {
  let total = 0;
  for (const number of numbers) {
    total += number;
  }
  return total;
}

async function handler(event, context) {
  const name = typeof event.name === 'string' ? event.name : 'world';
  const numbers = Array.isArray(event.numbers) ? event.numbers : [];
  const total = sum(numbers);
  console.log(`adding ${numbers.length} numbers for ${name}`);
  return {
    greeting: `Hello, ${name}!`,
    total,
    requestId: context.awsRequestId,
    remainingMs: context.getRemainingTimeInMillis(),
  };
}

exports.handler = debuggable(handler);
