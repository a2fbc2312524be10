import { type Decoded, decodedError, decodedOk } from './errors.js';

/** A plain JSON object as it arrives from the wire, before validation. */
export type UnknownRecord = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads fields off an untrusted record and remembers the first problem. Validators read every field they need
 * and then ask `result()`: one code path, and the first missing or invalid field names the error.
 */
export class FieldReader {
  #record: UnknownRecord;
  #context: string;
  #problem: Decoded<never> | undefined;

  constructor(record: UnknownRecord, context: string) {
    this.#record = record;
    this.#context = context;
  }

  #fail(kind: 'missing-field' | 'invalid-field', field: string, expected: string): void {
    if (this.#problem) return;
    const message =
      kind === 'missing-field'
        ? `${this.#context}: missing field "${field}" (${expected})`
        : `${this.#context}: field "${field}" must be ${expected}`;
    this.#problem = decodedError(kind, message, field);
  }

  #read<T>(field: string, expected: string, optional: boolean, check: (v: unknown) => v is T): T | undefined {
    const value = this.#record[field];
    if (value === undefined) {
      if (!optional) this.#fail('missing-field', field, expected);
      return undefined;
    }
    if (!check(value)) {
      this.#fail('invalid-field', field, expected);
      return undefined;
    }
    return value;
  }

  string(field: string, options: { maxLength?: number; pattern?: RegExp } = {}): string {
    return this.#string(field, false, options) ?? '';
  }

  optionalString(field: string, options: { maxLength?: number; pattern?: RegExp } = {}): string | undefined {
    return this.#string(field, true, options);
  }

  #string(
    field: string,
    optional: boolean,
    options: { maxLength?: number; pattern?: RegExp },
  ): string | undefined {
    const maxLength = options.maxLength ?? 4096;
    const expected = options.pattern
      ? `a string matching ${options.pattern}`
      : `a string of at most ${maxLength} characters`;
    return this.#read(
      field,
      expected,
      optional,
      (v): v is string =>
        typeof v === 'string' && v.length <= maxLength && (!options.pattern || options.pattern.test(v)),
    );
  }

  number(field: string, options: { integer?: boolean; min?: number } = {}): number {
    return this.#number(field, false, options) ?? 0;
  }

  optionalNumber(field: string, options: { integer?: boolean; min?: number } = {}): number | undefined {
    return this.#number(field, true, options);
  }

  #number(
    field: string,
    optional: boolean,
    options: { integer?: boolean; min?: number },
  ): number | undefined {
    const min = options.min ?? Number.NEGATIVE_INFINITY;
    const expected = `${options.integer ? 'an integer' : 'a finite number'}${Number.isFinite(min) ? ` >= ${min}` : ''}`;
    return this.#read(
      field,
      expected,
      optional,
      (v): v is number =>
        typeof v === 'number' && Number.isFinite(v) && (!options.integer || Number.isInteger(v)) && v >= min,
    );
  }

  boolean(field: string): boolean {
    return this.#read(field, 'a boolean', false, (v): v is boolean => typeof v === 'boolean') ?? false;
  }

  optionalBoolean(field: string): boolean | undefined {
    return this.#read(field, 'a boolean', true, (v): v is boolean => typeof v === 'boolean');
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    return this.#oneOf(field, allowed, false) ?? (allowed[0] as T);
  }

  optionalOneOf<T extends string>(field: string, allowed: readonly T[]): T | undefined {
    return this.#oneOf(field, allowed, true);
  }

  #oneOf<T extends string>(field: string, allowed: readonly T[], optional: boolean): T | undefined {
    return this.#read(field, `one of ${allowed.join(', ')}`, optional, (v): v is T =>
      allowed.includes(v as T),
    );
  }

  record(field: string): UnknownRecord {
    return this.#read(field, 'an object', false, isRecord) ?? {};
  }

  optionalRecord(field: string): UnknownRecord | undefined {
    return this.#read(field, 'an object', true, isRecord);
  }

  /** Any JSON value, including `null`; absent only when the field is missing. */
  optionalValue(field: string): unknown {
    return this.#record[field];
  }

  /** A nested value checked by its own decoder. */
  nested<T>(field: string, decode: (value: unknown) => Decoded<T>, optional: boolean): T | undefined {
    const value = this.#record[field];
    if (value === undefined) {
      if (!optional) this.#fail('missing-field', field, 'a value');
      return undefined;
    }
    const decoded = decode(value);
    if (!decoded.ok) {
      if (!this.#problem)
        this.#problem = decodedError(
          'invalid-field',
          `${this.#context}.${field}: ${decoded.error.message}`,
          field,
        );
      return undefined;
    }
    return decoded.value;
  }

  /** The built value, or the first problem met while reading. */
  result<T>(build: () => T): Decoded<T> {
    return this.#problem ?? decodedOk(build());
  }
}
