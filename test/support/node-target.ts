/**
 * A plain `node --inspect` process: the reference every client driver is validated against, and the source of
 * the discovery answers the broker must imitate.
 */
import { TrackedProcess } from './processes.js';

/** A running Node process with its inspector on 127.0.0.1. */
export interface InspectedNode {
  readonly process: TrackedProcess;
  /** `127.0.0.1:<port>`. */
  readonly hostPort: string;
  readonly port: number;
  /** The inspector's own WebSocket URL, as printed on stderr. */
  readonly webSocketDebuggerUrl: string;
  stop(): Promise<void>;
}

/** Options for `startInspectedNode`. */
export interface InspectedNodeOptions {
  /** The script to run, absolute. */
  readonly script: string;
  /** `--inspect-brk` (pause before the first line) instead of `--inspect`. */
  readonly breakOnStart?: boolean;
  readonly cwd?: string;
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

const LISTENING_LINE = /Debugger listening on (ws:\/\/127\.0\.0\.1:(\d+)\/[0-9a-f-]+)/;

/**
 * Starts `node --inspect[-brk]=127.0.0.1:0 script` (port 0: never a fixed port) and resolves once the inspector
 * printed its URL.
 */
export async function startInspectedNode(options: InspectedNodeOptions): Promise<InspectedNode> {
  const flag = options.breakOnStart ? '--inspect-brk=127.0.0.1:0' : '--inspect=127.0.0.1:0';
  const child = new TrackedProcess(process.execPath, [flag, options.script, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    description: `node ${flag} ${options.script}`,
  });
  try {
    const match = await child.waitForOutput(LISTENING_LINE, 'stderr');
    const webSocketDebuggerUrl = match[1]!;
    const port = Number(match[2]);
    return {
      process: child,
      hostPort: `127.0.0.1:${port}`,
      port,
      webSocketDebuggerUrl,
      stop: async () => {
        await child.stop();
      },
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
