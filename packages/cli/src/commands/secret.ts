/** `lambda-debug secret`: makes a strong broker secret and prints it or writes it to a private file. */
import { open, unlink } from 'node:fs/promises';
import { generateSecret } from '@lambda-debug/broker/tokens';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { RuntimeFailure, systemErrorCode, UsageError } from '../errors.js';
import { shellQuote } from '../shell.js';

/** File mode of a secret written with `--out`: readable and writable by its owner only. */
export const SECRET_FILE_MODE = 0o600;

interface SecretOptions {
  readonly out?: string;
  readonly force?: boolean;
}

/**
 * Writes the secret to a new file created with mode 0600, so it is never readable by others, not even for a
 * moment. With `force`, an existing file is removed first rather than rewritten in place, which would keep its
 * old (possibly wider) mode.
 */
export async function writeSecretFile(path: string, secret: string, force: boolean): Promise<void> {
  if (force) {
    await unlink(path).catch((error: unknown) => {
      if (systemErrorCode(error) !== 'ENOENT') throw error;
    });
  }
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'wx', SECRET_FILE_MODE);
  } catch (error) {
    if (systemErrorCode(error) === 'EEXIST') {
      throw new UsageError(
        `${path} already exists`,
        'Pass --force to replace it, or choose another --out path',
        {
          cause: error,
        },
      );
    }
    throw new RuntimeFailure(
      `cannot create ${path} (${systemErrorCode(error)})`,
      'Check that the folder exists and is writable',
      {
        cause: error,
      },
    );
  }
  try {
    await file.writeFile(`${secret}\n`, 'utf8');
  } finally {
    await file.close();
  }
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
