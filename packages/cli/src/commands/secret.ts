import { generateSecret } from '@lambda-debug/broker/tokens';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { writeSecretFile } from '../secret-file.js';
import { shellQuote } from '../shell.js';

interface SecretOptions {
  readonly out?: string;
  readonly force?: boolean;
}

/** Adds `secret` to the program. */
export function registerSecretCommand(program: Command, context: CommandContext): void {
  program
    .command('secret')
    .summary('create a strong broker secret')
    .description(
      'Create a strong random broker secret. Tokens for functions, debuggers and `sessions` are derived from it, so ' +
        'keep it private: whoever holds it can debug every function on the broker.',
    )
    .option('-o, --out <file>', 'write the secret to <file> (mode 0600) instead of printing it')
    .option('-f, --force', 'with --out: replace an existing file')
    .addHelpText(
      'after',
      `
Examples:
  $ export LAMBDA_DEBUG_SECRET="$(lambda-debug secret)"
  $ lambda-debug secret --out broker.secret && lambda-debug broker start --secret-file broker.secret`,
    )
    .action(async (options: SecretOptions) => {
      const { output } = context;
      const secret = generateSecret();
      if (options.out === undefined) {
        if (options.force)
          throw new UsageError('--force only applies with --out', 'Add --out <file>, or drop --force');
        output.line(secret);
        if (output.isInteractive) {
          output.note(
            output.errStyle.dim(
              'Keep it private. Use it with: export LAMBDA_DEBUG_SECRET=<the secret above>',
            ),
          );
        }
        return;
      }
      await writeSecretFile(options.out, secret, options.force === true);
      output.line(`Wrote a new broker secret to ${options.out} (mode 600).`);
      const file = shellQuote(options.out);
      output.line(`Start the broker with:  lambda-debug broker start --secret-file ${file}`);
      output.line(`Use it in this shell:   export LAMBDA_DEBUG_SECRET="$(cat ${file})"`);
    });
}
