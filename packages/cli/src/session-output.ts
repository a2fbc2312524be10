/** How `lambda-debug sessions` shows sessions and their events to people. */
import type {
  SessionEvent,
  SessionEventType,
  SessionState,
  SessionSummary,
} from '@lambda-debug/shim-protocol';
import { type BrokerAddress, hostPort } from './broker-address.js';
import type { Output, Palette } from './output.js';

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

/** Prints the session table, or what to do when there is none. */
export function printSessionList(
  output: Output,
  broker: BrokerAddress,
  sessions: readonly SessionSummary[],
): void {
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
