/** Writing a broker secret to a file only its owner can read. */
import { open, unlink } from 'node:fs/promises';
import { RuntimeFailure, systemErrorCode, UsageError } from './errors.js';

/** File mode of a secret written with `--out`: readable and writable by its owner only. */
export const SECRET_FILE_MODE = 0o600;

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
