/** Why a frame or message was refused. Each code is distinct so callers and tests can tell them apart. */
export type ProtocolErrorCode =
  | 'frame-too-large'
  | 'truncated-frame'
  | 'malformed-frame'
  | 'malformed-json'
  | 'not-an-object'
  | 'unknown-type'
  | 'missing-field'
  | 'invalid-field'
  | 'unsupported-version';

/** A frame or message that does not follow the protocol. Decoders return it; they never throw. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  /** The offending field, for `missing-field` and `invalid-field`. */
  readonly field: string | undefined;

  constructor(code: ProtocolErrorCode, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

/** The result of every decoder: a typed value or a typed error, never an exception. */
export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ProtocolError };

export function decodedOk<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

export function decodedError<T>(code: ProtocolErrorCode, message: string, field?: string): Decoded<T> {
  return { ok: false, error: new ProtocolError(code, message, field) };
}

/** Exhaustiveness guard for switches over discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}
