/**
 * A local AWS Lambda for Node.js: a Runtime API emulator around the real runtime client (`aws-lambda-ric`),
 * with Lambda's deadlines, cold and warm starts, errors and logs. See README.md for what matches Lambda.
 */
export {
  LocalLambdaError,
  type LocalLambdaErrorCode,
  PROVISION_COMMAND,
  RuntimeNotProvisionedError,
} from './errors.js';
export type { InvokeResult, InvokeStatus } from './invocation-result.js';
export { type ProcessExit, runtimeExited, type ServiceError, taskTimedOut } from './lambda-errors.js';
export * from './limits.js';
export {
  type InvokeOptions,
  type LocalLambda,
  type LocalLambdaOptions,
  startLocalLambda,
} from './local-lambda.js';
export {
  type Delivery,
  type DispatchHandlers,
  type InitErrorReport,
  type InvocationRequest,
  type ResponseMode,
  RUNTIME_API_PREFIX,
  RuntimeApiHeader,
  type RuntimeApiServer,
  type RuntimeApiServerOptions,
  type RuntimeOutcome,
  type RuntimeState,
  startRuntimeApiServer,
} from './runtime-api-server.js';
export {
  buildRuntimeLaunch,
  RESERVED_ENV_VARS,
  type RuntimeLaunch,
  type RuntimeLaunchConfig,
} from './runtime-launch.js';
export {
  DEFAULT_RUNTIME,
  defaultCacheDir,
  isLambdaRuntimeName,
  LAMBDA_RUNTIMES,
  type LambdaRuntimeName,
  lambdaNodeFlags,
  MANIFEST_FILE,
  MANIFEST_SCHEMA_VERSION,
  provisionedRuntimes,
  type ResolveRuntimeOptions,
  type RuntimeInstallation,
  type RuntimeRequirement,
  resolveRuntime,
  runtimeMatrix,
} from './runtimes.js';
