/** `lambda-debug provision`: installs the runtimes the local Lambda runs (`local`, `demo`) on this machine. */
import type { Command } from 'commander';
import { collectRepeated } from '../arguments.js';
import type { CommandContext } from '../context.js';
import type { ProvisionOptions } from '../provision-run.js';

/** Adds `provision` to the program. */
export function registerProvisionCommand(program: Command, context: CommandContext): void {
  program
    .command('provision')
    .summary('install the runtimes local and demo run, on this machine')
    .description(
      'Install what the local Lambda needs into $LAMBDA_DEBUG_CACHE_DIR (default ~/.cache/lambda-debug): the ' +
        "Debian build toolchain, each runtime's Node, and aws-lambda-ric built for it. What is there already " +
        'is reported as cached, so running it again is cheap. Prints one line per item; exits 1 when something ' +
        'could not be installed, saying why and how to fix it.',
    )
    .option(
      '--runtime <runtime>',
      'a Lambda runtime, such as nodejs22.x (repeatable; default: all)',
      collectRepeated,
    )
    .option('--with-browser', "also install Debian's chromium (for the browser tests)")
    .addHelpText(
      'after',
      `
Examples:
  $ lambda-debug provision --runtime nodejs20.x
  $ lambda-debug provision                       # every runtime: nodejs20.x, nodejs22.x, nodejs24.x`,
    )
    .action(async (options: ProvisionOptions) => {
      // Loaded here: the runtime matrix and the child process are needed only once provisioning runs.
      const { runProvision } = await import('../provision-run.js');
      await runProvision(context, options);
    });
}
