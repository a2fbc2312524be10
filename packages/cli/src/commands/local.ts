/** `lambda-debug local --handler file.export`: the user's own function in a local Lambda, ready for a debugger. */
import type { Command } from 'commander';
import { collectRepeated } from '../arguments.js';
import type { CommandContext } from '../context.js';
import type { LocalOptions } from '../local-setup.js';

/** Adds `local` to the program. */
export function registerLocalCommand(program: Command, context: CommandContext): void {
  program
    .command('local')
    .summary('run your handler in a local Lambda and debug it')
    .description(
      'Run your own handler in a local Lambda (the real Node runtime client) through the whole debug chain: a ' +
        'broker on free local ports, a tunnel for chrome://inspect and node inspect, and the proxy turned on ' +
        'through its wrapper handler, so your code needs no change and your project needs no dependency. ' +
        'Invokes the handler with the event, waits for a debugger, prints the response, and invokes again on ' +
        'Enter until Ctrl+C.',
    )
    .requiredOption(
      '--handler <file.export>',
      'the handler, relative to --dir: index.handler, src/app.main, ...',
    )
    .option('--dir <folder>', 'the folder with the function code (LAMBDA_TASK_ROOT)', '.')
    .option('--event <file>', 'a JSON file with the event (default: {})')
    .option('--runtime <runtime>', 'Lambda runtime, such as nodejs22.x (default: the one matching this Node)')
    .option('--fn <id>', "the function id in URLs and sessions (default: from the folder's name)")
    .option('--env <KEY=VALUE>', 'an environment variable for the function (repeatable)', collectRepeated)
    .option(
      '--layer <zip|folder>',
      'a Lambda layer, extracted into the local /opt (repeatable, in order)',
      collectRepeated,
    )
    .option('--timeout <seconds>', "the function's timeout (1 to 900)", '900')
    .option('--wait <seconds>', 'how long each invocation waits for a debugger (1 to 900)', '600')
    .option('--memory <MB>', "the function's memory size (128 to 10240)", '128')
    .option(
      '--inspect-port <port>',
      'port of the chrome://inspect and node inspect target (0 picks a free one)',
      '0',
    )
    .option('--once', 'invoke once, print the response and exit (exit 1 if the invocation failed)')
    .option('--json', 'print JSON lines: ready (with the URLs), then invoke and result for each invocation')
    .addHelpText(
      'after',
      `
Examples:
  $ lambda-debug local --handler index.handler
  $ lambda-debug local --handler src/orders.main --dir ./orders --event events/order.json --runtime nodejs22.x
  $ lambda-debug local --handler index.handler --env TABLE_NAME=orders --env AWS_PROFILE=dev
  $ lambda-debug local --handler index.handler --once --json   # for scripts`,
    )
    .action(async (options: LocalOptions) => {
      // Loaded here: the local Lambda and the broker are needed only once the function runs.
      const { localSettings } = await import('../local-setup.js');
      const settings = await localSettings(options, context);
      const { runLocalDebug } = await import('../local-debug-run.js');
      await runLocalDebug(context, settings);
    });
}
