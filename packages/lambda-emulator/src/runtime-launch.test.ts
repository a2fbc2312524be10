import { describe, expect, it } from 'vitest';
import { LocalLambdaError } from './errors.js';
import {
  buildRuntimeLaunch,
  checkExtraEnv,
  RIC3_BOOTSTRAP,
  type RuntimeLaunchConfig,
} from './runtime-launch.js';
import type { LambdaRuntimeName } from './runtimes.js';

function config(
  runtime: LambdaRuntimeName,
  overrides: Partial<RuntimeLaunchConfig> = {},
): RuntimeLaunchConfig {
  return {
    installation: {
      runtime,
      nodePath: '/cache/node/bin/node',
      ricEntry: '/cache/ric/node_modules/aws-lambda-ric/bin/index.mjs',
      ricDir: '/cache/ric/node_modules/aws-lambda-ric',
      nodeVersion: '22.1.0',
      ricVersion: '3.3.0',
    },
    runtimeApiAddress: '127.0.0.1:4567',
    taskRoot: '/work/fn',
    handler: 'src/app.main',
    functionName: 'my-fn',
    functionVersion: '$LATEST',
    memoryMb: 512,
    region: 'eu-west-1',
    logGroupName: '/aws/lambda/my-fn',
    logStreamName: '2024/01/02/[$LATEST]0123',
    logFormat: undefined,
    extraEnv: {},
    ...overrides,
  };
}

describe('buildRuntimeLaunch', () => {
  it('sets the environment Lambda sets, in the task root', () => {
    const launch = buildRuntimeLaunch(config('nodejs22.x', { extraEnv: { DEBUGGER_ACTIVE: 'true' } }));
    expect(launch.command).toBe('/cache/node/bin/node');
    expect(launch.cwd).toBe('/work/fn');
    expect(launch.env).toMatchObject({
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:4567',
      _HANDLER: 'src/app.main',
      LAMBDA_TASK_ROOT: '/work/fn',
      LAMBDA_RUNTIME_DIR: '/cache/ric/node_modules/aws-lambda-ric',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: 'my-fn',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/my-fn',
      AWS_LAMBDA_LOG_STREAM_NAME: '2024/01/02/[$LATEST]0123',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      DEBUGGER_ACTIVE: 'true',
    });
    expect(launch.env.PATH?.split(':')[0]).toBe('/cache/node/bin');
    expect(launch.env.NODE_PATH).toBe(
      '/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/cache/ric/node_modules/aws-lambda-ric/node_modules:/cache/ric/node_modules/aws-lambda-ric:/work/fn',
    );
    expect(launch.env.AWS_LAMBDA_LOG_FORMAT).toBeUndefined();
  });

  it('passes the log format when one is chosen', () => {
    expect(buildRuntimeLaunch(config('nodejs20.x', { logFormat: 'JSON' })).env.AWS_LAMBDA_LOG_FORMAT).toBe(
      'JSON',
    );
  });

  it('starts Node with the flags of the runtime, heap sized from memory, then the runtime client and handler', () => {
    expect(buildRuntimeLaunch(config('nodejs20.x')).args).toEqual([
      '--no-experimental-require-module',
      '--expose-gc',
      '--max-http-header-size=81920',
      '--max-semi-space-size=4',
      '--max-old-space-size=504',
      RIC3_BOOTSTRAP,
    ]);
    const node22 = buildRuntimeLaunch(config('nodejs22.x', { memoryMb: 128 })).args;
    expect(node22.slice(0, 2)).toEqual([
      '--no-experimental-require-module',
      '--no-experimental-detect-module',
    ]);
    expect(node22).toContain('--max-semi-space-size=1');
    expect(node22).toContain('--max-old-space-size=126');
    const node24 = buildRuntimeLaunch(
      config('nodejs24.x', {
        installation: {
          ...config('nodejs24.x').installation,
          ricVersion: '4.0.2',
          ricEntry: '/ric4/index.mjs',
        },
      }),
    ).args;
    expect(node24).toContain('--no-experimental-detect-module');
    // aws-lambda-ric 4.x's own entry is what Lambda runs; 3.x goes through the bootstrap.
    expect(node24.at(-1)).toBe('/ric4/index.mjs');
  });

  it('drops a disabling flag when NODE_OPTIONS re-enables the feature, as Lambda does', () => {
    const launch = buildRuntimeLaunch(
      config('nodejs22.x', {
        extraEnv: { NODE_OPTIONS: '--enable-source-maps --experimental-require-module' },
      }),
    );
    expect(launch.args).not.toContain('--no-experimental-require-module');
    expect(launch.args).toContain('--no-experimental-detect-module');
    expect(launch.env.NODE_OPTIONS).toBe('--enable-source-maps --experimental-require-module');
  });

  it('lets the caller extend PATH and NODE_PATH, which Lambda does not reserve', () => {
    const launch = buildRuntimeLaunch(
      config('nodejs22.x', { extraEnv: { NODE_PATH: '/layers', PATH: '/bin' } }),
    );
    expect(launch.env.NODE_PATH).toBe('/layers');
    expect(launch.env.PATH).toBe('/bin');
  });
});

describe('checkExtraEnv', () => {
  it('refuses variables Lambda reserves, naming them', () => {
    const refuse = () => checkExtraEnv({ AWS_REGION: 'x', _HANDLER: 'y', DEBUGGER_ACTIVE: '1' });
    expect(refuse).toThrow(LocalLambdaError);
    expect(refuse).toThrow(/Lambda reserves AWS_REGION, _HANDLER/);
  });

  it('accepts credentials and anything else', () => {
    expect(() =>
      checkExtraEnv({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', DEBUGGER_TOKEN: 't' }),
    ).not.toThrow();
  });
});
