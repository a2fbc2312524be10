/**
 * The run shared by `demo` and `local`: start the local chain, say where to attach, invoke, print the response,
 * and invoke again on Enter until Ctrl+C (or once, with `--once` or when there is no input). Loaded only when
 * one of those commands runs, since it brings the broker and the local Lambda with it.
 */
import { randomUUID } from 'node:crypto';
import type { InvokeResult } from '@lambda-debug/lambda-emulator';
import type { SessionEvent } from '@lambda-debug/shim-protocol';
import type { CommandContext } from './context.js';
import { RuntimeFailure } from './errors.js';
import { LineInput } from './line-input.js';
import { type LocalDebugOptions, startLocalDebug } from './local-debug.js';
import {
  type ContinueMode,
  formatInvokeResult,
  formatLocalDebugReady,
  resultLine,
} from './local-debug-output.js';
import type { Palette } from './output.js';
import { formatTunnelEvent } from './tunnel-output.js';

/** Everything but the callbacks, which the run wires to the terminal. */
export type LocalRunChain = Omit<
  LocalDebugOptions,
  'onLog' | 'onTunnelEvent' | 'onSessionEvent' | 'brokerLogFormat'
>;

/** What to run and how to show it. */
export interface LocalRunSettings {
  /** The first line of the human output. */
  readonly title: string;
  readonly chain: LocalRunChain;
  /** The event every invocation gets. */
  readonly event: unknown;
  readonly once: boolean;
  readonly json: boolean;
  /** A remark to show before the first invocation (for example the runtime that was chosen and why). */
  readonly note?: string;
}

/** The `--json` line printed as each invocation starts. */
export interface InvokeLine {
  readonly type: 'invoke';
  readonly requestId: string;
}

/** The `--json` line printed for each change to an invocation's debug session. */
export interface SessionLine {
  readonly type: 'session';
  /** `session-registered` (waiting for a debugger), `debugger-attached`, `debugger-detached`, `session-ended`. */
  readonly change: SessionEvent['type'];
  readonly requestId: string;
  readonly debuggerAddress?: string;
  readonly endReason?: string;
}

/** One line on stderr for a session change, or nothing for changes the response itself reports. */
function describeSessionEvent(event: SessionEvent, style: Palette): string | undefined {
  switch (event.type) {
    case 'session-registered':
      return style.dim('The invocation waits for a debugger: attach now.');
    case 'debugger-attached':
      return `${style.green('Debugger attached')}${event.session.debuggerAddress === undefined ? '' : ` from ${event.session.debuggerAddress}`}; the handler pauses before its first line.`;
    case 'debugger-detached':
      return style.dim('Debugger detached; the handler carries on without it.');
    case 'session-ended':
      return undefined;
  }
}

function sessionLine(event: SessionEvent): SessionLine {
  const { session } = event;
  return {
    type: 'session',
    change: event.type,
    requestId: session.requestId,
    ...(session.debuggerAddress === undefined ? {} : { debuggerAddress: session.debuggerAddress }),
    ...(session.endReason === undefined ? {} : { endReason: session.endReason }),
  };
}

const STOP: unique symbol = Symbol('stop');

/**
 * Runs the chain until the user stops it. Resolves when everything is closed; rejects with a `RuntimeFailure`
 * when the run ended on its own (`--once`, end of input) and its last invocation failed, so scripts see exit 1.
 */
export async function runLocalDebug(context: CommandContext, settings: LocalRunSettings): Promise<void> {
  const { output } = context;
  const chain = await startLocalDebug({
    ...settings.chain,
    brokerLogFormat: output.isErrInteractive ? 'pretty' : 'json',
    // The function's log is the function's own output: on stderr, so stdout stays the command's result.
    onLog: (line) => output.note(output.errStyle.dim(line)),
    onTunnelEvent: (event) => output.note(formatTunnelEvent(event, output.errStyle)),
    onSessionEvent: (event) => {
      if (settings.json) {
        output.jsonLine(sessionLine(event));
        return;
      }
      const line = describeSessionEvent(event, output.errStyle);
      if (line !== undefined) output.note(line);
    },
  });
  const stop = context.listenForStop();
  let stoppedBy: string | undefined;
  const stopRequested: Promise<typeof STOP> = stop.stopped.then((signal) => {
    stoppedBy = signal;
    return STOP;
  });
  const input = new LineInput(settings.once ? undefined : context.stdin?.());
  const mode: ContinueMode = settings.once || input.ended ? 'once' : input.isInteractive ? 'enter' : 'lines';
  let last: InvokeResult | undefined;
  try {
    if (settings.json) output.jsonLine(chain.ready);
    else output.line(formatLocalDebugReady(chain.ready, settings.title, mode, output.style));
    if (settings.note !== undefined) output.warn(settings.note);
    for (;;) {
      const requestId = randomUUID();
      // Enter pressed while the last invocation ran is not a request for another one.
      input.discard();
      const invokeLine: InvokeLine = { type: 'invoke', requestId };
      if (settings.json) output.jsonLine(invokeLine);
      else {
        output.note(output.errStyle.dim(`Invoking ${chain.ready.functionId} (request ${requestId})…`));
      }
      const invocation = chain.invoke(settings.event, requestId);
      // A stop closes the chain under a running invocation; that rejection is expected and not reported.
      invocation.catch(() => undefined);
      const outcome = await Promise.race([invocation, stopRequested]);
      if (outcome === STOP) break;
      last = outcome;
      if (settings.json) output.jsonLine(resultLine(outcome));
      else output.line(`\n${formatInvokeResult(outcome, output.style)}\n`);
      if (mode === 'once') break;
      if (!settings.json && mode === 'enter') {
        output.note(output.errStyle.dim('Press Enter to invoke again, Ctrl+C to stop.'));
      }
      const next = await Promise.race([input.next(), stopRequested]);
      if (next !== 'line') break;
    }
  } finally {
    // From here a second Ctrl+C ends the process at once; the runtime processes are still cleaned up then.
    stop.dispose();
    input.close();
    if (stoppedBy !== undefined) {
      output.note(output.errStyle.dim(`${stoppedBy}: stopping the local Lambda, the tunnel and the broker…`));
    }
    await chain.close();
  }
  if (stoppedBy !== undefined) {
    output.note(output.errStyle.dim('stopped'));
    return;
  }
  if (last !== undefined && last.status !== 'success') {
    throw new RuntimeFailure(
      `the invocation failed (${last.status}${last.errorType === undefined ? '' : `, ${last.errorType}`})`,
      "See the response above and the function's log on stderr",
    );
  }
}
