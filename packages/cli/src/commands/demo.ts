/** `lambda-debug demo` (`npm start`): the example function in a local Lambda, ready for a debugger. */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import type { DemoOptions } from '../local-setup.js';

/** Adds `demo` to the program. */
export function registerDemoCommand(program: Command, context: CommandContext): void {
  program
    .command('demo')
    .summary('run an example function in a local Lambda and debug it (npm start)')
    .description(
      'Start a broker on free local ports, a tunnel for chrome://inspect and node inspect, and a local Lambda ' +
        '(the real Node runtime client) running an example function with the debugger proxy on; invoke it and ' +
        'print how to attach Chrome DevTools, chrome://inspect, node inspect or VS Code. The invocation waits for ' +
        'a debugger; when the handler returns, its response is printed and Enter invokes it again. Everything ' +
        'runs on this machine: no cloud account is needed.',
    )
    .option('--once', 'invoke once, print the response and exit (exit 1 if the invocation failed)')
    .option('--json', 'print JSON lines: ready (with the URLs), then invoke and result for each invocation')
    .option('--runtime <runtime>', 'Lambda runtime, such as nodejs22.x (default: the one matching this Node)')
    .option(
      '--inspect-port <port>',
      'port of the chrome://inspect and node inspect target (0 picks a free one)',
      '0',
    )
    .option(
      '--print-runtime',
      'print the runtime the demo uses on this machine and exit (npm start provisions it)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ npm start                              # in the lambda-debug repository: provisions, builds, runs this
  $ lambda-debug demo
  $ lambda-debug demo --once --json        # for scripts: one invocation, machine-readable lines`,
    )
    .action(async (options: DemoOptions) => {
      // Loaded here: the local Lambda and the broker are needed only once the demo runs.
      if (options.printRuntime) {
        const { runtimeForNode } = await import('../local-runtime.js');
        context.output.line(runtimeForNode(process.versions.node));
        return;
      }
      const { demoSettings } = await import('../local-setup.js');
      const { runLocalDebug } = await import('../local-debug-run.js');
      await runLocalDebug(context, await demoSettings(options, context));
    });
}
