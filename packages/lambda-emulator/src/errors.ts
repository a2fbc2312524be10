/** Why the local Lambda refused or failed. Each code has a message that says what happened and how to fix it. */
export type LocalLambdaErrorCode =
  | 'runtime-not-provisioned'
  | 'invalid-options'
  | 'event-too-large'
  | 'runtime-start-failed'
  | 'closed';

/** A local Lambda problem the caller can act on: `message` says what happened, `fix` what to do about it. */
export class LocalLambdaError extends Error {
  override readonly name: string = 'LocalLambdaError';
  readonly code: LocalLambdaErrorCode;
  /** What to do about it, as a sentence. */
  readonly fix: string;

  constructor(code: LocalLambdaErrorCode, message: string, fix: string, options?: { cause?: unknown }) {
    super(`${message} ${fix}`, options);
    this.code = code;
    this.fix = fix;
  }
}

/** The command that provisions the runtime matrix, named in every error about a missing runtime. */
export const PROVISION_COMMAND = 'lambda-debug provision';

/**
 * A runtime of the matrix is not installed on this machine (no Node binary or no built `aws-lambda-ric` in the
 * cache). The message names the runtime, what is missing and the command that fixes it.
 */
export class RuntimeNotProvisionedError extends LocalLambdaError {
  override readonly name = 'RuntimeNotProvisionedError';
  readonly runtime: string;
  /** The cache folder that was searched. */
  readonly cacheDir: string;

  constructor(runtime: string, cacheDir: string, reason: string) {
    super(
      'runtime-not-provisioned',
      `Runtime ${runtime} is not provisioned on this machine: ${reason} (cache: ${cacheDir}).`,
      `Run \`${PROVISION_COMMAND} --runtime ${runtime}\` to install it (in the lambda-debug repository, \`npm run provision -- --runtime-only ${runtime}\` does the same).`,
    );
    this.runtime = runtime;
    this.cacheDir = cacheDir;
  }
}
