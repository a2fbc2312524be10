/**
 * How Lambda starts a Node runtime process: the environment it sets and the Node flags its bootstrap passes.
 * Pure functions, so the exact environment can be tested without starting anything.
 */
import { dirname, join, resolve } from 'node:path';
import { LocalLambdaError } from './errors.js';
import { mapOptPath } from './layers.js';
import {
  executionEnvFor,
  type LambdaRuntimeName,
  lambdaNodeFlags,
  type RuntimeInstallation,
} from './runtimes.js';

/**
 * Variables Lambda sets itself and refuses in a function's configuration. Credentials are the exception here:
 * locally there is no execution role, so the caller may pass `AWS_ACCESS_KEY_ID` and friends.
 */
export const RESERVED_ENV_VARS: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

/** Everything that decides how one runtime process is started. */
export interface RuntimeLaunchConfig {
  readonly installation: RuntimeInstallation;
  readonly runtimeApiAddress: string;
  /** Absolute path of the function's code. */
  readonly taskRoot: string;
  readonly handler: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memoryMb: number;
  readonly region: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly logFormat: 'Text' | 'JSON' | undefined;
  /** Added by the caller (for example the `DEBUGGER_*` variables); never one of `RESERVED_ENV_VARS`. */
  readonly extraEnv: Readonly<Record<string, string>>;
  /**
   * The local folder that stands for `/opt`, holding the function's layers; without one, `/opt` itself. Paths the
   * function gives under `/opt` (`NODE_PATH`, `AWS_LAMBDA_EXEC_WRAPPER`) are mapped into it.
   */
  readonly optDir?: string;
}

/** A process to start: what, with which arguments, where and with which environment. */
export interface RuntimeLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Throws `invalid-options` when the caller's environment sets a variable Lambda reserves. */
export function checkExtraEnv(extraEnv: Readonly<Record<string, string>>): void {
  const reserved = Object.keys(extraEnv).filter((name) => RESERVED_ENV_VARS.includes(name));
  if (reserved.length > 0) {
    throw new LocalLambdaError(
      'invalid-options',
      `Lambda reserves ${reserved.join(', ')}: a function cannot set ${reserved.length === 1 ? 'it' : 'them'}.`,
      'Use the matching option of startLocalLambda instead (handler, functionName, memoryMb, region, taskRoot).',
    );
  }
  for (const [name, value] of Object.entries(extraEnv)) {
    if (typeof value !== 'string') {
      throw new LocalLambdaError(
        'invalid-options',
        `Environment variable ${name} is not a string.`,
        'Pass every env value as a string.',
      );
    }
  }
}

/** The `NODE_PATH` Lambda's Node bootstrap sets: layer folders, the runtime's own modules, the task root. */
function nodePath(
  runtime: LambdaRuntimeName,
  installation: RuntimeInstallation,
  taskRoot: string,
  optDir: string | undefined,
): string {
  const major = runtime.slice('nodejs'.length, runtime.indexOf('.'));
  return [
    mapOptPath(`/opt/nodejs/node${major}/node_modules`, optDir),
    mapOptPath('/opt/nodejs/node_modules', optDir),
    join(installation.ricDir, 'node_modules'),
    installation.ricDir,
    taskRoot,
  ].join(':');
}

/** The command line and environment of a runtime process, as Lambda would start it. */
export function buildRuntimeLaunch(config: RuntimeLaunchConfig): RuntimeLaunch {
  const { installation } = config;
  const env: Record<string, string> = {
    PATH: [dirname(installation.nodePath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    NODE_PATH: nodePath(installation.runtime, installation, config.taskRoot, config.optDir),
    ...config.extraEnv,
    AWS_LAMBDA_RUNTIME_API: config.runtimeApiAddress,
    _HANDLER: config.handler,
    LAMBDA_TASK_ROOT: config.taskRoot,
    LAMBDA_RUNTIME_DIR: installation.ricDir,
    AWS_EXECUTION_ENV: executionEnvFor(installation.runtime),
    AWS_LAMBDA_FUNCTION_NAME: config.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: config.functionVersion,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: config.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: config.logStreamName,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: config.region,
    AWS_DEFAULT_REGION: config.region,
  };
  if (config.logFormat) env.AWS_LAMBDA_LOG_FORMAT = config.logFormat;
  const args = [
    ...lambdaNodeFlags(installation.runtime, config.memoryMb, env.NODE_OPTIONS ?? ''),
    runtimeEntry(installation),
  ];
  // Lambda runs an exec wrapper with the runtime's bootstrap command as its arguments; it ends with `exec "$@"`.
  const wrapper = env.AWS_LAMBDA_EXEC_WRAPPER;
  if (wrapper !== undefined && wrapper !== '') {
    return {
      command: mapOptPath(wrapper, config.optDir),
      args: [installation.nodePath, ...args],
      cwd: config.taskRoot,
      env,
    };
  }
  return { command: installation.nodePath, args, cwd: config.taskRoot, env };
}

/** The bootstrap that stands in for Lambda's `/var/runtime/index.mjs` with aws-lambda-ric 3.x. */
export const RIC3_BOOTSTRAP = resolve(__dirname, '..', 'bootstrap', 'ric3-index.mjs');

/**
 * The script Node runs, with no arguments after it, as Lambda runs `/var/runtime/index.mjs`. aws-lambda-ric 4.x's
 * entry is that script already; 3.x's command-line entry also prints an "Executing ..." banner and takes the
 * handler as an argument, so 3.x runs through a bootstrap that calls its `run()` the way Lambda's does.
 */
export function runtimeEntry(installation: RuntimeInstallation): string {
  return Number.parseInt(installation.ricVersion, 10) >= 4 ? installation.ricEntry : RIC3_BOOTSTRAP;
}
