/**
 * `lambda-debug url --fn ID`: everything needed to attach a debugger to a function through the broker, computed
 * offline from the secret.
 */
import type { Command } from 'commander';
import { parseFunctionId } from '../arguments.js';
import { buildAttachInstructions, formatAttachInstructions } from '../attach-instructions.js';
import { resolveDebuggerBroker } from '../broker-address.js';
import { CA_OPTION_HELP, readCaFile } from '../broker-trust.js';
import type { CommandContext } from '../context.js';
import { tokenFor } from '../credentials.js';

interface UrlOptions {
  readonly fn: string;
  readonly broker?: string;
  readonly json?: boolean;
  readonly auth: boolean;
  readonly ca?: string;
}

/** Adds `url` to the program. */
export function registerUrlCommand(program: Command, context: CommandContext): void {
  program
    .command('url')
    .summary('print the DevTools URL and how to attach VS Code or chrome://inspect')
    .description(
      'Print how to attach a debugger to a function: the DevTools URL for Chrome, the raw WebSocket URL, the ' +
        'chrome://inspect target (through `lambda-debug tunnel`) and a VS Code launch.json snippet. Computed offline ' +
        "from LAMBDA_DEBUG_SECRET; the URLs carry the function's debugger token.",
    )
    .requiredOption('--fn <id>', "the function's DEBUGGER_FUNCTION_ID")
    .option(
      '--broker <host[:port]>',
      "the broker's debugger port (default: $LAMBDA_DEBUG_BROKER or localhost:9229)",
    )
    .option('--json', 'print { ws, devtools, inspect, vscode } as JSON')
    .option('--ca <file>', `${CA_OPTION_HELP}; passed on to the tunnel command`)
    .option('--no-auth', 'for a broker started with --no-auth: URLs without a token, no secret needed')
    .addHelpText(
      'after',
      `
Examples:
  $ lambda-debug url --fn orders-api --broker broker.example.com
  $ lambda-debug url --fn orders-api --broker wss://debug.example.com:9229 --json | jq -r .devtools`,
    )
    .action(async (options: UrlOptions) => {
      const functionId = parseFunctionId(options.fn);
      const broker = resolveDebuggerBroker(options.broker, context.env);
      // Read only to catch a wrong path now; url itself connects to nothing.
      if (options.ca !== undefined) await readCaFile(options.ca);
      const token = tokenFor('debugger', functionId, { auth: options.auth, env: context.env });
      const instructions = buildAttachInstructions(functionId, broker, token, options.ca);
      if (options.json) context.output.json(instructions);
      else
        context.output.line(
          formatAttachInstructions(instructions, functionId, broker, context.output.style, options.ca),
        );
    });
}
