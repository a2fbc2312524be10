/**
 * Checks for command-line values that commander leaves as strings. Each failure is a `UsageError` that names
 * the option and says what a valid value looks like.
 */
import { FUNCTION_ID_PATTERN } from '@lambda-debug/shim-protocol';
import { UsageError } from './errors.js';

/** A `--fn` value, checked against the contract's function id rule. */
export function parseFunctionId(value: string): string {
  if (FUNCTION_ID_PATTERN.test(value)) return value;
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  throw new UsageError(
    `invalid function id "${shown}"`,
    "Use 1 to 128 characters of A-Z a-z 0-9 . _ -, the same value as the function's DEBUGGER_FUNCTION_ID",
  );
}

/** A TCP port option; `allowZero` lets the system pick a free port. */
export function parsePort(value: string, option: string, allowZero: boolean): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  const min = allowZero ? 0 : 1;
  if (port >= min && port <= 65535) return port;
  throw new UsageError(
    `${option} "${value}" is not a port number`,
    `Use a number from ${min} to 65535${allowZero ? ' (0 picks a free port)' : ''}`,
  );
}

/** A value that must be one of a fixed set, such as `--log-format`. */
export function parseChoice<T extends string>(value: string, option: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option} "${value}" is not supported`, `Use one of: ${choices.join(', ')}`);
}

/** Collects a repeatable option's values, for commander's `option(flags, description, collectRepeated)`. */
export function collectRepeated(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
