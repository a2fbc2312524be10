/** The environment variables that turn the proxy on in a function, in the format they are about to be pasted into. */
import { shellQuote } from './shell.js';

/** Output formats of `env`. */
export const ENV_FORMATS = ['dotenv', 'shell', 'json', 'aws-cli'] as const;
/** One of `ENV_FORMATS`. */
export type EnvFormat = (typeof ENV_FORMATS)[number];

/** The longest timeout Lambda allows, in seconds: the most debugging time one invocation can have. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/** The variables `env` prints, in the order it prints them. `DEBUGGER_TOKEN` is absent for `--no-auth`. */
export interface FunctionEnvironment {
  readonly DEBUGGER_ACTIVE: 'true';
  readonly DEBUGGER_BROKER_ADDRESS: string;
  readonly DEBUGGER_FUNCTION_ID: string;
  readonly DEBUGGER_TOKEN?: string;
}

/** The variables for `functionId`, reaching the broker at `brokerAddress` (already normalised). */
export function buildFunctionEnvironment(
  functionId: string,
  brokerAddress: string,
  token: string | undefined,
): FunctionEnvironment {
  return {
    DEBUGGER_ACTIVE: 'true',
    DEBUGGER_BROKER_ADDRESS: brokerAddress,
    DEBUGGER_FUNCTION_ID: functionId,
    ...(token === undefined ? {} : { DEBUGGER_TOKEN: token }),
  };
}

function timeoutCommand(functionName: string): string {
  return `aws lambda update-function-configuration --function-name ${shellQuote(functionName)} --timeout ${LAMBDA_MAX_TIMEOUT_SECONDS}`;
}

function timeoutReminder(functionName: string): string[] {
  return [
    `# Raise the function's timeout too (up to ${LAMBDA_MAX_TIMEOUT_SECONDS} s): a paused invocation keeps running until it.`,
    `#   ${timeoutCommand(functionName)}`,
  ];
}

/**
 * `env` output in `format`. `functionName` is the Lambda function's name for the `aws` commands (it need not
 * equal the function id). Only `json` leaves out the reminder to raise the timeout, so it stays pure data.
 */
export function formatFunctionEnvironment(
  variables: FunctionEnvironment,
  format: EnvFormat,
  functionName: string,
): string {
  const entries = Object.entries(variables);
  switch (format) {
    case 'json':
      return JSON.stringify(variables, null, 2);
    case 'dotenv':
      return [
        ...entries.map(([key, value]) => `${key}=${shellQuote(value)}`),
        ...timeoutReminder(functionName),
      ].join('\n');
    case 'shell':
      return [
        ...entries.map(([key, value]) => `export ${key}=${shellQuote(value)}`),
        ...timeoutReminder(functionName),
      ].join('\n');
    case 'aws-cli': {
      const name = shellQuote(functionName);
      const environment = shellQuote(JSON.stringify({ Variables: variables }));
      return [
        "# Careful: this REPLACES the function's whole environment with these variables.",
        '# To keep the variables it already has, merge them instead (needs jq):',
        `#   aws lambda get-function-configuration --function-name ${name} --query 'Environment.Variables || \`{}\`' --output json > current-env.json`,
        `#   lambda-debug env --fn ${variables.DEBUGGER_FUNCTION_ID} --broker ${shellQuote(variables.DEBUGGER_BROKER_ADDRESS)}${variables.DEBUGGER_TOKEN === undefined ? ' --no-auth' : ''} --json > debug-env.json`,
        `#   jq -s '{Variables: (.[0] + .[1])}' current-env.json debug-env.json > merged-env.json`,
        `#   aws lambda update-function-configuration --function-name ${name} --environment file://merged-env.json`,
        ...timeoutReminder(functionName),
        `aws lambda update-function-configuration --function-name ${name} --environment ${environment}`,
      ].join('\n');
    }
  }
}
