/**
 * The `lambda-debug` program: the command registry, commander's settings, and the one place where errors become
 * a line on stderr and an exit code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerBrokerCommand } from './commands/broker-start.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerEnvCommand } from './commands/env.js';
import { registerLocalCommand } from './commands/local.js';
import { registerProvisionCommand } from './commands/provision.js';
import { registerSecretCommand } from './commands/secret.js';
import { registerSessionsCommand } from './commands/sessions.js';
import { registerTunnelCommand } from './commands/tunnel.js';
import { registerUrlCommand } from './commands/url.js';
import type { CliEnv, CommandContext, InputStream, StopListener } from './context.js';
import { describeError, ExitCode, type ExitCodeValue, errorDetails, exitCodeOf } from './errors.js';
import { Output, type OutputStream } from './output.js';

/** This package's version, from its package.json (next to `src/` and `dist/`). */
export const CLI_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;

/** Adds one command (and its subcommands) to the program. */
export type CommandRegistration = (program: Command, context: CommandContext) => void;

/**
 * Every command, in the order `--help` lists them. Registering a command loads only its options and help: each
 * command loads what it runs (the broker, the local Lambda, the WebSocket client) when it runs, so a one-shot
 * command such as `url` starts fast.
 */
export const COMMANDS: readonly CommandRegistration[] = [
  registerBrokerCommand,
  registerUrlCommand,
  registerTunnelCommand,
  registerEnvCommand,
  registerSessionsCommand,
  registerSecretCommand,
  registerLocalCommand,
  registerDemoCommand,
  registerProvisionCommand,
];

/** Where the CLI runs: its streams, its environment, and how it learns that the user wants it to stop. */
export interface CliHost {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: CliEnv;
  /** Standard input, opened only by interactive commands (`demo`, `local`); absent means no input. */
  readonly stdin?: () => InputStream;
  /** Starts listening for Ctrl+C / SIGTERM; the binary listens to the process's signals. */
  readonly listenForStop: () => StopListener;
  /** Reload requests (SIGHUP), for `broker start`'s certificates; absent means none can arrive. */
  readonly listenForReload?: (listener: () => void) => () => void;
}

/** Listens for SIGINT and SIGTERM on this process. After `dispose`, a second Ctrl+C stops the process at once. */
export function listenForProcessSignals(): StopListener {
  let onSignal: (signal: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    onSignal = resolve;
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Calls `listener` on every SIGHUP to this process until the returned function is called. */
export function listenForProcessReload(listener: () => void): () => void {
  process.on('SIGHUP', listener);
  return () => {
    process.off('SIGHUP', listener);
  };
}

/** A commander usage error, remembered with the command it happened in so the hint names the right `--help`. */
class CommandLineError extends Error {
  readonly commandPath: string;

  constructor(error: CommanderError, commandPath: string) {
    super(error.message, { cause: error });
    this.commandPath = commandPath;
  }
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) {
    names.unshift(current.name());
  }
  return names.join(' ');
}

/** Makes every command throw instead of exiting, so errors are reported here, once, in one format. */
function throwInsteadOfExiting(command: Command): void {
  const path = commandPath(command);
  command.exitOverride((error) => {
    if (error.exitCode === 0 || error.code === 'commander.help') throw error;
    throw new CommandLineError(error, path);
  });
  for (const sub of command.commands) throwInsteadOfExiting(sub);
}

/** Commander's message as one line: `error: unknown option '--fo'\n(Did you mean --fn?)` → one sentence. */
export function commanderLine(message: string, path: string): string {
  const text = message
    .replace(/^error:\s*/i, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
  return `${text}. Run \`${path} --help\` for usage.`;
}

/** Builds the program for one run. */
export function createProgram(context: CommandContext): Command {
  const { output } = context;
  const program = new Command('lambda-debug')
    .description(
      'Step through Node.js code running live in AWS Lambda with Chrome DevTools, VS Code or node inspect.',
    )
    .version(CLI_VERSION, '-V, --version', 'print the version')
    .option('--verbose', 'print details (stack traces) with errors')
    .helpOption('-h, --help', 'print help for a command')
    .helpCommand('help [command]', 'print help for a command')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => output.writeOut(text),
      writeErr: (text) => output.writeErr(text),
      // Usage errors are printed by runCli, in the CLI's own one-line format.
      outputError: () => {},
    })
    .addHelpText(
      'after',
      `
Try it on this machine:
  $ lambda-debug demo                                           # an example function, ready to debug
  $ lambda-debug local --handler index.handler --dir ./my-function

Quick start:
  $ export LAMBDA_DEBUG_SECRET="$(lambda-debug secret)"
  $ lambda-debug broker start                                   # in one terminal
  $ lambda-debug env --fn my-function --broker broker.example.com   # set these on the function
  $ lambda-debug url --fn my-function                           # open the printed URL in Chrome

Exit codes: 0 success, 1 run-time failure, 2 bad arguments or configuration.
Colour only on a terminal; NO_COLOR turns it off, FORCE_COLOR on.`,
    );
  for (const register of COMMANDS) register(program, context);
  throwInsteadOfExiting(program);
  return program;
}

/**
 * Runs the CLI with `argv` (the arguments after the program name) and resolves with the exit code. Never
 * throws: every failure is one line on stderr (with details under `--verbose`).
 */
export async function runCli(argv: readonly string[], host: CliHost): Promise<ExitCodeValue> {
  const output = new Output(host.stdout, host.stderr, host.env);
  const verbose = argv.includes('--verbose');
  const context: CommandContext = {
    output,
    env: host.env,
    ...(host.stdin === undefined ? {} : { stdin: host.stdin }),
    listenForStop: host.listenForStop,
    ...(host.listenForReload === undefined ? {} : { listenForReload: host.listenForReload }),
  };
  try {
    await createProgram(context).parseAsync([...argv], { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help or version on request exits 0; help shown because a subcommand was missing is a usage error.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (error instanceof CommandLineError) {
      output.error(
        commanderLine(error.message, error.commandPath),
        verbose ? errorDetails(error) : undefined,
      );
      return ExitCode.USAGE;
    }
    output.error(describeError(error), verbose ? errorDetails(error) : undefined);
    return exitCodeOf(error);
  }
}
