/**
 * `lambda-debug env --fn ID --broker HOST[:PORT]`: the environment variables that turn the proxy on in a
 * function, in the format the user is about to paste them into.
 */
import type { Command } from 'commander';
import { parseChoice, parseFunctionId } from '../arguments.js';
import { lambdaBrokerAddress } from '../broker-address.js';
import type { CommandContext } from '../context.js';
import { tokenFor } from '../credentials.js';
import { UsageError } from '../errors.js';
import {
  buildFunctionEnvironment,
  ENV_FORMATS,
  type EnvFormat,
  formatFunctionEnvironment,
} from '../function-environment.js';

interface EnvOptions {
  readonly fn: string;
  readonly broker: string;
  readonly json?: boolean;
  readonly format?: string;
  readonly functionName?: string;
  readonly auth: boolean;
}

function chooseFormat(options: EnvOptions): EnvFormat {
  const format =
    options.format === undefined ? undefined : parseChoice(options.format, '--format', ENV_FORMATS);
  if (options.json && format !== undefined && format !== 'json') {
    throw new UsageError(`--json and --format ${format} ask for different outputs`, 'Pass one of them');
  }
  return options.json ? 'json' : (format ?? 'dotenv');
}

/** Adds `env` to the program. */
export function registerEnvCommand(program: Command, context: CommandContext): void {
  program
    .command('env')
    .summary('print the environment variables to set on a function')
    .description(
      'Print the environment variables that turn debugging on in a function: DEBUGGER_ACTIVE, ' +
        "DEBUGGER_BROKER_ADDRESS, DEBUGGER_FUNCTION_ID and DEBUGGER_TOKEN (the function's token, derived from " +
        "LAMBDA_DEBUG_SECRET). --broker is the address the function reaches the broker's Lambda port at.",
    )
    .requiredOption('--fn <id>', 'the function id to pair debuggers with (1-128 of A-Z a-z 0-9 . _ -)')
    .requiredOption(
      '--broker <host[:port]>',
      "the broker's Lambda port as the function reaches it (port 8080 by default; ws:// or wss:// URLs too)",
    )
    .option('--format <format>', `output format: ${ENV_FORMATS.join(', ')} (default: dotenv)`)
    .option('--json', 'same as --format json: only the variables, as an object')
    .option(
      '--function-name <name>',
      'the Lambda function name for the aws commands (default: the --fn value)',
    )
    .option('--no-auth', 'for a broker started with --no-auth: no DEBUGGER_TOKEN, no secret needed')
    .addHelpText(
      'after',
      `
Examples:
  $ lambda-debug env --fn orders-api --broker broker.example.com
  $ lambda-debug env --fn orders-api --broker wss://debug.example.com:443 --format aws-cli --function-name orders
  $ lambda-debug env --fn orders-api --broker 10.0.1.5:8080 --json`,
    )
    .action((options: EnvOptions) => {
      const format = chooseFormat(options);
      const functionId = parseFunctionId(options.fn);
      const brokerAddress = lambdaBrokerAddress(options.broker);
      const token = tokenFor('lambda', functionId, { auth: options.auth, env: context.env });
      const variables = buildFunctionEnvironment(functionId, brokerAddress, token);
      context.output.line(formatFunctionEnvironment(variables, format, options.functionName ?? functionId));
    });
}
