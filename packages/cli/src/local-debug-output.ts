/** What `demo` and `local` print: where to attach, what happens next, and each invocation's response. */
import type { InvokeResult } from '@lambda-debug/lambda-emulator';
import { formatAttachSections } from './attach-instructions.js';
import type { LocalDebugReady } from './local-debug.js';
import type { Palette } from './output.js';

/** How the run goes on after the first response, which decides what "what happens next" says. */
export type ContinueMode =
  /** A person at a terminal: Enter invokes again. */
  | 'enter'
  /** Standard input is a pipe or a file: each line invokes again, its end stops. */
  | 'lines'
  /** `--once`, or no input at all: one invocation, then exit. */
  | 'once';

/** A duration for people: `10 minutes`, `90 s`, `1.25 s`, `12 ms`. */
export function formatDuration(ms: number): string {
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  if (ms >= 10_000) return `${Math.round(ms / 1000)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.round(ms)} ms`;
}

/** The text printed once everything listens. `title` names the command and what it runs. */
export function formatLocalDebugReady(
  ready: LocalDebugReady,
  title: string,
  mode: ContinueMode,
  style: Palette,
): string {
  const command = (text: string): string => style.cyan(`\`${text}\``);
  const ending =
    mode === 'enter'
      ? `Press ${style.bold('Enter')} to invoke it again, ${style.bold('Ctrl+C')} to stop.`
      : mode === 'lines'
        ? `Each line on standard input invokes it again; the end of input or ${style.bold('Ctrl+C')} stops.`
        : `Then lambda-debug stops (${style.bold('Ctrl+C')} stops it at any time).`;
  return [
    title,
    `  Function  ${style.bold(ready.functionId)}  ${ready.handler} in ${ready.taskRoot}`,
    `  Runtime   ${ready.runtime}  ${style.dim(`(Node ${ready.nodeVersion}, aws-lambda-ric ${ready.runtimeClientVersion}, local emulator)`)}`,
    `  Broker    127.0.0.1, Lambda port ${ready.broker.lambdaPort}, debugger port ${ready.broker.debuggerPort} ${style.dim('(a new secret for this run)')}`,
    '',
    ...formatAttachSections(
      ready,
      {
        chromeInspect: `open chrome://inspect, click "Configure…" next to "Discover network targets" and add ${style.bold(ready.inspect.target)}; the function appears under "Remote Target"`,
        nodeInspect: command(`node inspect ${ready.inspect.target}`),
      },
      'add to "configurations" in .vscode/launch.json, then start it',
      style,
    ),
    '',
    style.bold('What happens next'),
    `  1. The function is invoked now. The invocation waits up to ${formatDuration(ready.waitMs)} for a debugger (then runs without one).`,
    '  2. Attach with any of the above: the handler pauses before its first line. Set breakpoints, step, resume.',
    `  3. When the handler returns, its response is printed here. ${ending}`,
    style.dim(`The URLs above hold a token made for this run only; they stop working when it ends.`),
  ].join('\n');
}

/** The response as people read it: JSON indented, anything else as it came. */
function formatPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

/** One invocation's outcome: a heading with its status and timing, then the response or the error. */
export function formatInvokeResult(result: InvokeResult, style: Palette): string {
  const timing = `${formatDuration(result.durationMs)}${result.coldStart ? ', cold start' : ''}`;
  const heading =
    result.status === 'success'
      ? style.green(`Response`) + style.dim(` (request ${result.requestId}, ${timing})`)
      : style.red(
          `The invocation failed: ${result.status}${result.errorType ? `, ${result.errorType}` : ''}`,
        ) + style.dim(` (request ${result.requestId}, ${timing})`);
  return `${heading}\n${formatPayload(result.payload)}`;
}

/** The `--json` line for one invocation's outcome. */
export interface ResultLine {
  readonly type: 'result';
  readonly requestId: string;
  readonly status: InvokeResult['status'];
  /** Exactly what the function returned (or Lambda's error body), as text. */
  readonly payload: string;
  readonly errorType?: string;
  readonly durationMs: number;
  readonly coldStart: boolean;
}

/** The `--json` line for `result`. */
export function resultLine(result: InvokeResult): ResultLine {
  return {
    type: 'result',
    requestId: result.requestId,
    status: result.status,
    payload: result.payload,
    ...(result.errorType === undefined ? {} : { errorType: result.errorType }),
    durationMs: result.durationMs,
    coldStart: result.coldStart,
  };
}
