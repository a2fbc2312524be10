/**
 * Which Lambda runtime `demo` and `local` run, and what to tell the user when it is not set up: the local Lambda
 * needs the real runtime client (`aws-lambda-ric`), whose native code is built on this machine by the
 * provisioning script, and a build that failed must read as such rather than as an obscure start-up error.
 */
import {
  DEFAULT_RUNTIME,
  isLambdaRuntimeName,
  LAMBDA_RUNTIMES,
  type LambdaRuntimeName,
  provisionedRuntimes,
  RuntimeNotProvisionedError,
  resolveRuntime,
} from '@lambda-debug/lambda-emulator';
import { RuntimeFailure, UsageError } from './errors.js';

/** The Debian packages the runtime client's native build needs (the provisioning script installs them as root). */
export const RUNTIME_BUILD_PACKAGES = 'autoconf automake libtool cmake g++ make python3 xz-utils';

/**
 * The runtime that matches a Node version: `nodejs22.x` for Node 22, and the default runtime for a Node major
 * Lambda has no runtime for. This is the one `npm start` provisions (`lambda-debug demo --print-runtime`).
 */
export function runtimeForNode(nodeVersion: string): LambdaRuntimeName {
  const candidate = `nodejs${Number.parseInt(nodeVersion, 10)}.x`;
  return isLambdaRuntimeName(candidate) ? candidate : DEFAULT_RUNTIME;
}

/** A `--runtime` value, checked against the runtimes the local Lambda knows. */
export function parseRuntime(value: string): LambdaRuntimeName {
  if (isLambdaRuntimeName(value)) return value;
  throw new UsageError(`--runtime "${value}" is not supported`, `Use one of: ${LAMBDA_RUNTIMES.join(', ')}`);
}

/** The command that provisions one runtime, wherever the CLI was installed from. */
export function provisionCommand(runtime: LambdaRuntimeName): string {
  return `lambda-debug provision --runtime ${runtime}`;
}

/** The fix for a runtime that is not provisioned, naming the toolchain and where the build logs are. */
function provisionFix(runtime: LambdaRuntimeName, cacheDir: string): string {
  return (
    `The local Lambda runs the real runtime client, aws-lambda-ric, whose native code is built on this machine. ` +
    `Build it with \`${provisionCommand(runtime)}\` (in the lambda-debug repository, ` +
    `\`npm run provision -- --runtime-only ${runtime}\` does the same); the build needs ` +
    `${RUNTIME_BUILD_PACKAGES} (Debian: apt-get install -y ${RUNTIME_BUILD_PACKAGES}). ` +
    `If it already failed, its logs are in ${cacheDir}/logs`
  );
}

/** The emulator's error for a runtime that is not provisioned, as a CLI failure whose fix the user can act on. */
export function runtimeNotProvisioned(error: RuntimeNotProvisionedError): RuntimeFailure {
  // The emulator's message ends with its own fix, written for the repository's tests; ours replaces it.
  const problem = error.message.endsWith(error.fix)
    ? error.message.slice(0, -error.fix.length).trim()
    : error.message;
  const runtime = isLambdaRuntimeName(error.runtime) ? error.runtime : DEFAULT_RUNTIME;
  return new RuntimeFailure(problem.replace(/\.$/, ''), provisionFix(runtime, error.cacheDir), {
    cause: error,
  });
}

/** The runtime to run and, when it differs from what was preferred, a note saying why. */
export interface RuntimeChoice {
  readonly runtime: LambdaRuntimeName;
  readonly note?: string;
}

/**
 * The runtime to use: `requested` if given (a missing runtime then fails when the local Lambda starts);
 * otherwise the one matching this Node when it is provisioned, else another provisioned one, else a failure that
 * says how to provision the matching one.
 */
export function chooseRuntime(
  requested: LambdaRuntimeName | undefined,
  nodeVersion: string,
  cacheDir: string,
): RuntimeChoice {
  if (requested !== undefined) return { runtime: requested };
  const preferred = runtimeForNode(nodeVersion);
  const available = provisionedRuntimes({ cacheDir });
  if (available.includes(preferred)) return { runtime: preferred };
  const fallback = available[0];
  if (fallback !== undefined) {
    return {
      runtime: fallback,
      note: `${preferred} (this machine's Node ${nodeVersion}) is not provisioned; running ${fallback} instead`,
    };
  }
  // Ask for the preferred runtime itself, so the failure names what exactly is missing.
  try {
    resolveRuntime(preferred, { cacheDir });
  } catch (error) {
    if (error instanceof RuntimeNotProvisionedError) throw runtimeNotProvisioned(error);
    throw error;
  }
  return { runtime: preferred };
}
