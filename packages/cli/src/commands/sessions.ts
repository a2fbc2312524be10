/** `lambda-debug sessions [--follow]`: the broker's live sessions, and each change as it happens. */
import type {
  SessionEvent,
  SessionEventType,
  SessionState,
  SessionSummary,
} from '@lambda-debug/shim-protocol';
import type { Command } from 'commander';
import { type BrokerAddress, brokerArgument, hostPort, resolveDebuggerBroker } from '../broker-address.js';
import type { CommandContext } from '../context.js';
import { tokenFor } from '../credentials.js';
import { RuntimeFailure } from '../errors.js';
import type { Output, Palette } from '../output.js';

/** Time left before a deadline, for people: `42s`, `4m 05s`, `1h 02m`, or `expired`. */
export function formatRemaining(ms: number): string {
  if (ms <= 0) return 'expired';
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

function styleState(state: SessionState, style: Palette): (text: string) => string {
  switch (state) {
    case 'waiting':
      return style.yellow;
    case 'attached':
      return style.green;
    case 'ended':
      return style.dim;
  }
}

/** The sessions as a table, remaining time counted from `nowMs`. */
export function formatSessionTable(
  sessions: readonly SessionSummary[],
  nowMs: number,
  style: Palette,
): string {
  const header = ['FUNCTION', 'REQUEST', 'STATE', 'LEFT', 'DEBUGGER'];
  const rows = sessions.map((session) => [
    session.functionId,
    session.requestId,
    session.state,
    session.state === 'ended' ? (session.endReason ?? 'ended') : formatRemaining(session.deadlineMs - nowMs),
    session.debuggerAddress ?? '-',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const render = (cells: readonly string[], paint: (column: number, text: string) => string): string =>
    cells
      .map((cell, column) =>
        paint(column, column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)),
      )
      .join('  ')
      .trimEnd();
  return [
    render(header, (_column, text) => style.bold(text)),
    ...rows.map((row, index) => {
      const session = sessions[index] as SessionSummary;
      return render(row, (column, text) => (column === 2 ? styleState(session.state, style)(text) : text));
    }),
  ].join('\n');
}

const EVENT_LABELS: Readonly<Record<SessionEventType, string>> = {
  'session-registered': 'registered',
  'debugger-attached': 'attached',
  'debugger-detached': 'detached',
  'session-ended': 'ended',
};

function clockTime(ms: number): string {
  const time = new Date(ms);
  return [time.getHours(), time.getMinutes(), time.getSeconds()]
    .map((part) => String(part).padStart(2, '0'))
    .join(':');
}

/** One line for a session event, remaining time counted from when it happened. */
export function formatSessionEvent(event: SessionEvent, style: Palette): string {
  const { session } = event;
  const left = `${formatRemaining(session.deadlineMs - event.atMs)} left`;
  let detail: string;
  switch (event.type) {
    case 'session-registered':
      detail = `waiting for a debugger, ${left}`;
      break;
    case 'debugger-attached':
      detail = `debugger ${session.debuggerAddress ?? '(address unknown)'}, ${left}`;
      break;
    case 'debugger-detached':
      detail = `debugger left, ${left}`;
      break;
    case 'session-ended':
      detail = session.endReason ?? 'ended';
      break;
  }
  const label = EVENT_LABELS[event.type];
  const painted = styleState(
    event.type === 'session-ended' ? 'ended' : session.state,
    style,
  )(label.padEnd(10));
  return `${style.dim(clockTime(event.atMs))}  ${painted}  ${session.functionId}  request ${session.requestId}  ${detail}`;
}

function printList(output: Output, broker: BrokerAddress, sessions: readonly SessionSummary[]): void {
  if (sessions.length > 0) {
    output.line(formatSessionTable(sessions, Date.now(), output.style));
    return;
  }
  output.line(`No live sessions on the broker at ${hostPort(broker)}.`);
  output.line(
    output.style.dim(
      'Sessions appear while a function with DEBUGGER_ACTIVE=true runs (see `lambda-debug env --fn ID`).',
    ),
  );
}

interface SessionsOptions {
  readonly broker?: string;
  readonly follow?: boolean;
  readonly json?: boolean;
  readonly auth: boolean;
}

/** The admin client, loaded only when `sessions` runs: it brings the WebSocket library with it. */
type AdminClient = typeof import('../admin-client.js');

/**
 * Prints every change until Ctrl+C. The broker opens the stream with one event per existing session
 * (`session-registered`, or `debugger-attached` for one with a debugger), so the stream alone describes every
 * session and nothing can fall between a list and a subscription.
 */
async function follow(
  admin: AdminClient,
  context: CommandContext,
  broker: BrokerAddress,
  token: string | undefined,
  json: boolean,
): Promise<void> {
  const { output } = context;
  const stream = await admin.openSessionEvents(broker, token, {
    onEvent: (event) => {
      if (json) output.jsonLine(event);
      else output.line(formatSessionEvent(event, output.style));
    },
    onInvalid: (problem) => output.warn(`skipped an event from the broker: ${problem}`),
  });
  const stop = context.listenForStop();
  try {
    if (!json) {
      output.note(
        output.errStyle.dim(`Watching sessions on the broker at ${hostPort(broker)}. Press Ctrl+C to stop.`),
      );
    }
    const end = await Promise.race([stop.stopped.then(() => undefined), stream.ended]);
    if (end !== undefined) {
      throw new RuntimeFailure(
        `the broker at ${hostPort(broker)} closed the event stream (${admin.describeStreamEnd(end)})`,
        `Run \`lambda-debug sessions --follow --broker ${brokerArgument(broker)}\` again once the broker is back`,
      );
    }
  } finally {
    stop.dispose();
    await stream.close();
  }
}

/** Adds `sessions` to the program. */
export function registerSessionsCommand(program: Command, context: CommandContext): void {
  program
    .command('sessions')
    .summary("list the broker's live sessions, or follow them")
    .description(
      "List the broker's live sessions: function id, request id, state (waiting, attached, ended), time left " +
        "before the invocation's deadline, and the attached debugger's address. With --follow, print each change " +
        'as it happens until Ctrl+C. Uses the admin token derived from LAMBDA_DEBUG_SECRET.',
    )
    .option(
      '--broker <host[:port]>',
      "the broker's debugger port (default: $LAMBDA_DEBUG_BROKER or localhost:9229)",
    )
    .option('-f, --follow', 'keep watching and print each change (one line per event)')
    .option('--json', 'print JSON: { sessions: [...] }; with --follow, one session event per line (NDJSON)')
    .option('--no-auth', 'for a broker started with --no-auth: no admin token, no secret needed')
    .addHelpText(
      'after',
      `
Examples:
  $ lambda-debug sessions --broker broker.example.com
  $ lambda-debug sessions --follow
  $ lambda-debug sessions --follow --json | jq -c 'select(.type == "debugger-attached")'`,
    )
    .action(async (options: SessionsOptions) => {
      const broker = resolveDebuggerBroker(options.broker, context.env);
      const token = tokenFor('admin', undefined, { auth: options.auth, env: context.env });
      const admin: AdminClient = await import('../admin-client.js');
      if (options.follow) {
        await follow(admin, context, broker, token, options.json === true);
        return;
      }
      const list = await admin.fetchSessions(broker, token);
      if (options.json) context.output.json(list);
      else printList(context.output, broker, list.sessions);
    });
}
