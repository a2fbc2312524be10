/** Quoting for the shell commands the CLI prints for people to copy. */

const SHELL_SAFE = /^[A-Za-z0-9_./:@%+=,-]+$/;

/** A POSIX shell word for `value`: left bare when that is safe, otherwise in single quotes. */
export function shellQuote(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
