/** Why the broker refused to start. Each code has a message that says how to fix it. */
export type BrokerConfigErrorCode =
  | 'missing-secret'
  | 'weak-secret'
  | 'invalid-option'
  | 'invalid-tls'
  | 'address-in-use'
  | 'listen-failed';

/** A broker configuration or start-up problem the operator can fix; the message names the fix. */
export class BrokerConfigError extends Error {
  override readonly name = 'BrokerConfigError';
  readonly code: BrokerConfigErrorCode;

  constructor(code: BrokerConfigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
