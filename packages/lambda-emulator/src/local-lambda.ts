/**
 * A local Lambda function: the real Node runtime client (`aws-lambda-ric`) in one or more execution
 * environments, each behind its own Runtime API endpoint, invoked the way the Lambda service invokes it.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path, { resolve } from 'node:path';
import { LocalLambdaError } from './errors.js';
import { ExecutionEnvironment } from './execution-environment.js';
import { functionArn, newRequestId, newTraceId } from './ids.js';
import type { InvokeResult } from './invocation-result.js';
import { installLayers } from './layers.js';
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_MS,
  MAX_ENVIRONMENTS,
  MAX_EVENT_BYTES,
  MAX_MEMORY_MB,
  MAX_TIMEOUT_MS,
  MIN_MEMORY_MB,
} from './limits.js';
import { checkExtraEnv } from './runtime-launch.js';
import {
  DEFAULT_RUNTIME,
  type LambdaRuntimeName,
  type RuntimeInstallation,
  resolveRuntime,
} from './runtimes.js';

/** How to start a local Lambda. */
export interface LocalLambdaOptions {
  /** The Lambda runtime; `nodejs20.x` (this machine's Node 20) unless given. */
  readonly runtime?: LambdaRuntimeName;
  /** Folder holding the function's code: `LAMBDA_TASK_ROOT` and the runtime's working directory. */
  readonly taskRoot: string;
  /** Lambda handler string, for example `index.handler` or `src/app.main`. */
  readonly handler: string;
  /** Added to the environment Lambda sets (for example the `DEBUGGER_*` variables). */
  readonly env?: Readonly<Record<string, string>>;
  /** `AWS_LAMBDA_FUNCTION_NAME`; `local-function` unless given. */
  readonly functionName?: string;
  /** `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in MB (128 to 10240); also sizes the Node heap as Lambda does. */
  readonly memoryMb?: number;
  /** Function timeout in milliseconds; 3000, Lambda's default, unless given. At most 900000. */
  readonly timeoutMs?: number;
  /** `AWS_REGION`; `us-east-1` unless given. */
  readonly region?: string;
  /** `AWS_LAMBDA_LOG_FORMAT`: the runtime client writes JSON log lines with `JSON`. */
  readonly logFormat?: 'Text' | 'JSON';
  /** Concurrent execution environments (runtime processes); 1 unless given. */
  readonly environments?: number;
  /** Every line a runtime process writes (stdout and stderr), as it is written. */
  readonly onLog?: (line: string) => void;
  /** Where provisioned runtimes are looked up; the default cache unless given. */
  readonly cacheDir?: string;
  /**
   * Layers, in order: zip files (as `PublishLayerVersion` takes them) or folders. They are extracted into a
   * temporary folder that stands for `/opt` (later layers overwrite earlier ones), `NODE_PATH` points into it as
   * Lambda's points into `/opt`, and an `AWS_LAMBDA_EXEC_WRAPPER` under `/opt/...` runs from it. Removed by `close()`.
   */
  readonly layers?: readonly string[];
}

/** Per-invocation options, as the Lambda `Invoke` API takes them. */
export interface InvokeOptions {
  /** This invocation's timeout in milliseconds, instead of the function's. */
  readonly timeoutMs?: number;
  /** The client context (`context.clientContext`), any JSON value. */
  readonly clientContext?: unknown;
  /** The Cognito identity (`context.identity`), any JSON value. */
  readonly identity?: unknown;
  /** Use this request id instead of a random UUID. */
  readonly requestId?: string;
  /** The tenant id of a tenant-isolated function (`context.tenantId`). */
  readonly tenantId?: string;
}

/** A running local Lambda. */
export interface LocalLambda {
  /** `host:port` of the first execution environment's Runtime API. */
  readonly runtimeApiAddress: string;
  /** `host:port` of every execution environment's Runtime API, in order. */
  readonly runtimeApiAddresses: readonly string[];
  readonly runtime: LambdaRuntimeName;
  /** Where the runtime's Node and runtime client are installed. */
  readonly installation: RuntimeInstallation;
  readonly functionName: string;
  /** The ARN invocations carry (`context.invokedFunctionArn`). */
  readonly functionArn: string;
  /**
   * Invokes the function and resolves with what the Lambda service would return: the response, the error the
   * runtime reported, or Lambda's own error for a timeout or a runtime exit. Rejects only with a
   * `LocalLambdaError` (bad input, runtime cannot start, closed).
   */
  invoke(event: unknown, options?: InvokeOptions): Promise<InvokeResult>;
  /** Kills every runtime process and closes every endpoint; invocations still running reject. Idempotent. */
  close(): Promise<void>;
}

const FUNCTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

function invalid(message: string, fix: string): LocalLambdaError {
  return new LocalLambdaError('invalid-options', message, fix);
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(
      `${name} must be an integer from ${min} to ${max}, not ${String(value)}.`,
      `Pass a ${name} in range.`,
    );
  }
  return value;
}

function checkTaskRoot(taskRoot: string): string {
  const absolute = resolve(taskRoot);
  let isDirectory = false;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw invalid(
      `The task root ${absolute} is not a folder.`,
      'Pass the folder that holds the handler file.',
    );
  }
  return absolute;
}

/** Serialises a JSON value for a header; `undefined` stays absent. */
function jsonHeader(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new LocalLambdaError(
      'invalid-options',
      `The ${name} cannot be serialised as JSON.`,
      `Pass a plain JSON value as ${name}.`,
      { cause: error },
    );
  }
}

function serialiseEvent(event: unknown): string {
  let payload: string | undefined;
  try {
    payload = JSON.stringify(event);
  } catch (error) {
    throw new LocalLambdaError(
      'invalid-options',
      'The event cannot be serialised as JSON.',
      'Pass an event made of plain JSON values (no BigInt, no cycles).',
      { cause: error },
    );
  }
  // Lambda hands an invocation without a payload to the function as an empty object.
  payload ??= '{}';
  const bytes = Buffer.byteLength(payload);
  if (bytes > MAX_EVENT_BYTES) {
    throw new LocalLambdaError(
      'event-too-large',
      `The event is ${bytes} bytes; Lambda accepts at most ${MAX_EVENT_BYTES} bytes for a synchronous invocation.`,
      'Send a smaller event (for example a reference to the data instead of the data).',
    );
  }
  return payload;
}

interface QueuedInvocation {
  readonly run: (environment: ExecutionEnvironment) => Promise<InvokeResult>;
  readonly resolve: (result: InvokeResult) => void;
  readonly reject: (error: unknown) => void;
}

class LocalLambdaImpl implements LocalLambda {
  readonly runtime: LambdaRuntimeName;
  readonly installation: RuntimeInstallation;
  readonly functionName: string;
  readonly functionArn: string;
  readonly #environments: readonly ExecutionEnvironment[];
  readonly #busy = new Set<ExecutionEnvironment>();
  readonly #queue: QueuedInvocation[] = [];
  readonly #timeoutMs: number;
  readonly #optDir: string | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    installation: RuntimeInstallation,
    functionName: string,
    arn: string,
    timeoutMs: number,
    environments: readonly ExecutionEnvironment[],
    optDir: string | undefined,
  ) {
    this.#optDir = optDir;
    this.runtime = installation.runtime;
    this.installation = installation;
    this.functionName = functionName;
    this.functionArn = arn;
    this.#timeoutMs = timeoutMs;
    this.#environments = environments;
  }

  get runtimeApiAddress(): string {
    return this.#environments[0]?.runtimeApiAddress ?? '';
  }

  get runtimeApiAddresses(): readonly string[] {
    return this.#environments.map((environment) => environment.runtimeApiAddress);
  }

  invoke(event: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    try {
      if (this.#closing) {
        throw new LocalLambdaError(
          'closed',
          'The local Lambda is closed.',
          'Start a new local Lambda to invoke again.',
        );
      }
      const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? this.#timeoutMs, 1, MAX_TIMEOUT_MS);
      const requestId = options.requestId ?? newRequestId();
      if (!REQUEST_ID_PATTERN.test(requestId)) {
        throw invalid(
          `The request id "${requestId.slice(0, 64)}" is not usable in a URL path or a header.`,
          'Use 1 to 128 characters of A-Z a-z 0-9 . _ : -',
        );
      }
      const payload = serialiseEvent(event);
      const clientContext = jsonHeader('clientContext', options.clientContext);
      const cognitoIdentity = jsonHeader('identity', options.identity);
      const request = {
        requestId,
        payload,
        invokedFunctionArn: this.functionArn,
        traceId: newTraceId(),
        ...(clientContext === undefined ? {} : { clientContext }),
        ...(cognitoIdentity === undefined ? {} : { cognitoIdentity }),
        ...(options.tenantId === undefined ? {} : { tenantId: options.tenantId }),
      };
      return new Promise((resolvePromise, rejectPromise) => {
        this.#queue.push({
          run: (environment) => environment.run(request, timeoutMs),
          resolve: resolvePromise,
          reject: rejectPromise,
        });
        this.#pump();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Hands queued invocations to free environments, warm ones first, as Lambda reuses a warm sandbox. */
  #pump(): void {
    while (this.#queue.length > 0 && !this.#closing) {
      const free = this.#environments.filter((environment) => !this.#busy.has(environment));
      const environment = free.find((candidate) => candidate.isWarm) ?? free[0];
      if (!environment) return;
      const queued = this.#queue.shift();
      if (!queued) return;
      this.#busy.add(environment);
      queued
        .run(environment)
        .then(queued.resolve, queued.reject)
        .finally(() => {
          this.#busy.delete(environment);
          this.#pump();
        });
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const closed = new LocalLambdaError(
        'closed',
        'The local Lambda was closed before the invocation started.',
        'Invoke before calling close(), or start a new local Lambda.',
      );
      for (const queued of this.#queue.splice(0)) queued.reject(closed);
      await Promise.all(this.#environments.map((environment) => environment.close()));
      if (this.#optDir !== undefined) rmSync(this.#optDir, { recursive: true, force: true });
    })();
    return this.#closing;
  }
}

/** A new `/opt`-like folder with `layers` installed in it; removed again if a layer cannot be installed. */
function prepareOptDir(layers: readonly string[]): string {
  if (!Array.isArray(layers)) throw invalid('layers is not a list.', 'Pass layers as an array of paths.');
  const optDir = mkdtempSync(path.join(os.tmpdir(), 'lambda-opt-'));
  try {
    installLayers(layers, optDir);
  } catch (error) {
    rmSync(optDir, { recursive: true, force: true });
    throw error;
  }
  return optDir;
}

/**
 * Starts a local Lambda: checks the options, finds the provisioned runtime (throwing
 * `RuntimeNotProvisionedError` with the fix when it is missing) and opens one Runtime API endpoint per execution
 * environment. Runtime processes start on the first invocation that needs them (a cold start).
 */
export async function startLocalLambda(options: LocalLambdaOptions): Promise<LocalLambda> {
  const installation = resolveRuntime(options.runtime ?? DEFAULT_RUNTIME, {
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  });
  const taskRoot = checkTaskRoot(options.taskRoot);
  if (typeof options.handler !== 'string' || options.handler.trim() === '') {
    throw invalid('The handler is empty.', 'Pass a Lambda handler string such as index.handler.');
  }
  const functionName = options.functionName ?? 'local-function';
  if (!FUNCTION_NAME_PATTERN.test(functionName)) {
    throw invalid(
      `The function name "${functionName.slice(0, 80)}" is not one Lambda accepts.`,
      'Use 1 to 64 characters of A-Z a-z 0-9 - _',
    );
  }
  const memoryMb = checkInteger(
    'memoryMb',
    options.memoryMb ?? DEFAULT_MEMORY_MB,
    MIN_MEMORY_MB,
    MAX_MEMORY_MB,
  );
  const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS);
  const environmentCount = checkInteger('environments', options.environments ?? 1, 1, MAX_ENVIRONMENTS);
  const extraEnv = options.env ?? {};
  checkExtraEnv(extraEnv);
  const region = options.region ?? 'us-east-1';
  const onLog = options.onLog ?? (() => undefined);
  const optDir = options.layers && options.layers.length > 0 ? prepareOptDir(options.layers) : undefined;
  const config = {
    installation,
    taskRoot,
    handler: options.handler,
    functionName,
    functionVersion: '$LATEST',
    memoryMb,
    region,
    logGroupName: `/aws/lambda/${functionName}`,
    logFormat: options.logFormat,
    extraEnv: { ...extraEnv },
    ...(optDir === undefined ? {} : { optDir }),
  };
  const environments = Array.from(
    { length: environmentCount },
    (_, index) => new ExecutionEnvironment(index, config, onLog),
  );
  const started = await Promise.allSettled(environments.map((environment) => environment.start()));
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure) {
    await Promise.all(environments.map((environment) => environment.close()));
    if (optDir !== undefined) rmSync(optDir, { recursive: true, force: true });
    throw failure.reason;
  }
  return new LocalLambdaImpl(
    installation,
    functionName,
    functionArn(region, functionName),
    timeoutMs,
    environments,
    optDir,
  );
}
