/**
 * Runs the provisioning that ships in `@lambda-debug/lambda-emulator` as a child Node process, so its output and
 * exit codes are those of `npm run provision` in the repository, relayed line for line.
 */
import { spawn } from 'node:child_process';
import { LAMBDA_RUNTIMES } from '@lambda-debug/lambda-emulator';
import type { CommandContext } from './context.js';
import { ExitCode, RuntimeFailure, UsageError } from './errors.js';
import { parseRuntime } from './local-runtime.js';

/** `provision`'s options as commander hands them over. */
export interface ProvisionOptions {
  readonly runtime?: string[];
  readonly withBrowser?: boolean;
}

/** The shipped provisioning script, found through the emulator's `./provision` export. */
export function provisionScriptPath(): string {
  return require.resolve('@lambda-debug/lambda-emulator/provision');
}

/** The script's arguments for the command's options; an unknown runtime is a usage error before anything runs. */
export function provisionArguments(options: ProvisionOptions): string[] {
  const runtimes = (options.runtime ?? []).map(parseRuntime);
  return [
    ...runtimes.flatMap((runtime) => ['--runtime', runtime]),
    ...(options.withBrowser ? ['--with-browser'] : []),
  ];
}

/** Runs the provisioning and resolves when it succeeded; its failure becomes the CLI's exit code. */
export async function runProvision(context: CommandContext, options: ProvisionOptions): Promise<void> {
  const args = provisionArguments(options);
  const script = provisionScriptPath();
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...context.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8').on('data', (text: string) => context.output.writeOut(text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => context.output.writeErr(text));
  // Ctrl+C reaches the child too (same process group); waiting for it lets it release the cache lock.
  const stop = context.listenForStop();
  void stop.stopped.then((signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal as NodeJS.Signals);
  });
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
      },
    ).catch((error: unknown) => {
      throw new RuntimeFailure(
        `cannot start the provisioning script ${script}`,
        'Check that @lambda-debug/lambda-emulator is installed next to the CLI (reinstall @lambda-debug/cli)',
        { cause: error },
      );
    });
    if (code === ExitCode.OK) return;
    if (code === ExitCode.USAGE) {
      throw new UsageError(
        'provisioning refused its arguments (see above)',
        `Use --runtime with one of: ${LAMBDA_RUNTIMES.join(', ')}`,
      );
    }
    throw new RuntimeFailure(
      signal === null ? `provisioning failed (exit ${code})` : `provisioning stopped by ${signal}`,
      'See the lines above for why and how to fix it, then run `lambda-debug provision` again',
    );
  } finally {
    stop.dispose();
  }
}
