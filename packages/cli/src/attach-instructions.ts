/** Every way to attach a debugger to a function through the broker: the data `url --json` prints and its text. */
import {
  type BrokerAddress,
  brokerArgument,
  hostPort,
  isDefaultBroker,
  webSocketOrigin,
} from './broker-address.js';
import { devtoolsFrontendUrl } from './devtools-url.js';
import type { Palette } from './output.js';
import { DEFAULT_TUNNEL_PORT } from './tunnel-defaults.js';

/** A VS Code `launch.json` configuration that attaches js-debug to the function. */
export interface VsCodeAttachConfig {
  readonly type: 'node';
  readonly request: 'attach';
  readonly name: string;
  readonly websocketAddress: string;
  /**
   * Off, because with it on VS Code rewrites `NODE_OPTIONS` for child processes it can see, which would change
   * the environment of the function's handler process.
   */
  readonly autoAttachChildProcesses: false;
  /** Stay paused before the handler's first statement so breakpoints can be set first. */
  readonly continueOnAttach: false;
  readonly skipFiles: readonly string[];
  readonly localRoot: string;
  /** Where the function's code lives in Lambda, so breakpoints set on local files map onto it. */
  readonly remoteRoot: string;
}

/** How to reach chrome://inspect: it cannot send a token, so it goes through `lambda-debug tunnel`. */
export interface InspectInstructions {
  /** What to add under chrome://inspect's "Discover network targets" once the tunnel runs. */
  readonly target: string;
  /** The tunnel command to run first. */
  readonly command: string;
}

/** The `url --json` object. */
export interface AttachInstructions {
  readonly ws: string;
  readonly devtools: string;
  readonly inspect: InspectInstructions;
  readonly vscode: VsCodeAttachConfig;
}

/** Where Lambda puts a function's code (`LAMBDA_TASK_ROOT`). */
export const LAMBDA_TASK_ROOT = '/var/task';

/**
 * Builds every way to attach to `functionId` through `broker`; `token` is absent for a `--no-auth` broker.
 * `caPath` (`--ca`) is passed on to the suggested tunnel command.
 */
export function buildAttachInstructions(
  functionId: string,
  broker: BrokerAddress,
  token: string | undefined,
  caPath?: string,
): AttachInstructions {
  const pathAndQuery = `/${functionId}${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
  const ws = `${webSocketOrigin(broker)}${pathAndQuery}`;
  const tunnelArgs = [`--fn ${functionId}`];
  if (!isDefaultBroker(broker)) tunnelArgs.push(`--broker ${brokerArgument(broker)}`);
  if (caPath !== undefined) tunnelArgs.push(`--ca ${caPath}`);
  if (token === undefined) tunnelArgs.push('--no-auth');
  return {
    ws,
    devtools: devtoolsFrontendUrl(`${hostPort(broker)}${pathAndQuery}`, broker.secure),
    inspect: {
      target: `localhost:${DEFAULT_TUNNEL_PORT}`,
      command: `lambda-debug tunnel ${tunnelArgs.join(' ')}`,
    },
    vscode: {
      type: 'node',
      request: 'attach',
      name: `Lambda ${functionId} (lambda-debug)`,
      websocketAddress: ws,
      autoAttachChildProcesses: false,
      continueOnAttach: false,
      skipFiles: ['<node_internals>/**'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a VS Code launch.json variable, written literally.
      localRoot: '${workspaceFolder}',
      remoteRoot: LAMBDA_TASK_ROOT,
    },
  };
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

/** How a token-less debugger (chrome://inspect, `node inspect`) reaches the function, in words. */
export interface InspectDirections {
  readonly chromeInspect: string;
  readonly nodeInspect: string;
}

/**
 * The attach sections shared by `url`, `demo` and `local`: Chrome DevTools, the raw WebSocket, chrome://inspect,
 * `node inspect` and VS Code, each as a heading and what to do.
 */
export function formatAttachSections(
  instructions: Pick<AttachInstructions, 'ws' | 'devtools' | 'vscode'>,
  inspect: InspectDirections,
  vscodeNote: string,
  style: Palette,
): string[] {
  const heading = (text: string): string => style.bold(text);
  return [
    heading('Chrome DevTools') + style.dim(' (paste into the address bar of Chrome)'),
    `  ${instructions.devtools}`,
    '',
    heading('WebSocket') + style.dim(' (any DevTools protocol client)'),
    `  ${instructions.ws}`,
    '',
    heading('chrome://inspect'),
    `  ${inspect.chromeInspect}`,
    '',
    heading('node inspect'),
    `  ${inspect.nodeInspect}`,
    '',
    heading('VS Code') + style.dim(` (${vscodeNote})`),
    indent(JSON.stringify(instructions.vscode, null, 2), 2),
  ];
}

/** The human-readable `url` output. */
export function formatAttachInstructions(
  instructions: AttachInstructions,
  functionId: string,
  broker: BrokerAddress,
  style: Palette,
  caPath?: string,
): string {
  const command = (text: string): string => style.cyan(`\`${text}\``);
  const lines = [
    `Debug ${style.bold(functionId)} through the broker at ${brokerArgument(broker)}.`,
    style.dim(
      'Open a debugger before or after invoking the function: one that connects first waits for the next invocation.',
    ),
    '',
    ...formatAttachSections(
      instructions,
      {
        chromeInspect: `run ${command(instructions.inspect.command)}, then add ${style.bold(instructions.inspect.target)} under "Discover network targets"`,
        nodeInspect: `run ${command(instructions.inspect.command)}, then ${command(`node inspect ${instructions.inspect.target}`)}`,
      },
      'add to "configurations" in .vscode/launch.json; set remoteRoot to where the code runs',
      style,
    ),
  ];
  if (broker.secure && caPath !== undefined) {
    lines.push(
      '',
      style.dim(
        `Debuggers must trust ${caPath}: add it to the system's (or Chrome's) certificate store for DevTools, ` +
          `or set NODE_EXTRA_CA_CERTS=${caPath} for Node-based clients; the tunnel trusts it through --ca.`,
      ),
    );
  }
  if (instructions.ws.includes('?token=')) {
    lines.push(
      '',
      style.yellow(
        `These URLs carry a token that opens debugging sessions on ${functionId}: share them only with people who may debug it.`,
      ),
    );
  }
  return lines.join('\n');
}
