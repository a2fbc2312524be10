/**
 * Every limit and default of the proxy, with its unit. The README's tables list the same values; change both
 * together.
 */

/** Default for `DEBUGGER_WAIT_MS`: how long an invocation waits for a debugger to attach. */
export const DEFAULT_WAIT_MS = 60_000;

/** Default for `DEBUGGER_DEADLINE_MARGIN_MS`: time kept before the invocation's deadline to end the session and return. */
export const DEFAULT_DEADLINE_MARGIN_MS = 2_000;

/** Default for `DEBUGGER_CONNECT_TIMEOUT_MS`: longest wait for the broker to accept the link and answer `hello`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

/** Largest accepted `DEBUGGER_WAIT_MS`: Lambda's longest timeout (15 minutes). */
export const MAX_WAIT_MS = 15 * 60_000;

/** Smallest accepted `DEBUGGER_DEADLINE_MARGIN_MS`. */
export const MIN_DEADLINE_MARGIN_MS = 100;
/** Largest accepted `DEBUGGER_DEADLINE_MARGIN_MS`. */
export const MAX_DEADLINE_MARGIN_MS = 60_000;

/**
 * Default for `DEBUGGER_RECONNECT_GRACE_MS`: how long a handler stays paused after its debugger left while it was
 * paused, so the same (or another) debugger can attach again and find it as it was. 0 turns the hold off.
 */
export const DEFAULT_RECONNECT_GRACE_MS = 5_000;
/** Largest accepted `DEBUGGER_RECONNECT_GRACE_MS` (the deadline less the margin bounds it further). */
export const MAX_RECONNECT_GRACE_MS = 60_000;

/** Smallest accepted `DEBUGGER_CONNECT_TIMEOUT_MS`. */
export const MIN_CONNECT_TIMEOUT_MS = 100;
/** Largest accepted `DEBUGGER_CONNECT_TIMEOUT_MS`. */
export const MAX_CONNECT_TIMEOUT_MS = 60_000;

/** Port used when `DEBUGGER_BROKER_ADDRESS` names none (the contract's default). */
export const DEFAULT_BROKER_PORT = 8080;

/** Path of the broker's proxy endpoint, appended to any path given in `DEBUGGER_BROKER_ADDRESS`. */
export const BROKER_LINK_PATH = '/v1/lambda';

/**
 * How long an attached debugger has to send `Runtime.runIfWaitingForDebugger` (DevTools, VS Code and
 * `node inspect` send it once they have enabled their domains) before the handler starts anyway.
 */
export const RUN_IF_WAITING_GRACE_MS = 3_000;

/** Longest wait for a new child process to load the handler and report `ready`. */
export const CHILD_START_TIMEOUT_MS = 30_000;

/** Longest wait for a warm child to answer `ping` before it is replaced. */
export const CHILD_PING_TIMEOUT_MS = 1_000;

/** After `shutdown` (or a kill signal), how long a child may take to exit before it gets `SIGKILL`. */
export const CHILD_EXIT_GRACE_MS = 1_000;

/** Memory a child Node process needs beyond its JavaScript heap (code, stacks, buffers), in MB. */
export const CHILD_NON_HEAP_RESERVE_MB = 48;

/** The child's old-space heap never gets less than this, in MB, even when the function memory is tight. */
export const MIN_CHILD_HEAP_MB = 32;

/**
 * CDP bytes from the debugger held while the child's inspector bridge is not connected yet. DevTools sends a few
 * kilobytes of setup commands; a debugger that sends more before the handler even started is misbehaving.
 */
export const MAX_QUEUED_CDP_BYTES = 16 * 1024 * 1024;

/** Largest frame on the parent<->inspector bridge socket: one CDP message (as the broker allows) plus a header. */
export const MAX_BRIDGE_FRAME_BYTES = 64 * 1024 * 1024 + 16;

/** Longest wait for the parent to authenticate on a new bridge connection. */
export const BRIDGE_HELLO_TIMEOUT_MS = 5_000;

/** Longest wait for `session-end` to be flushed to the broker before the link is closed anyway. */
export const LINK_CLOSE_TIMEOUT_MS = 1_000;

/** A partial stdout/stderr line longer than this is forwarded without waiting for its newline, in bytes. */
export const MAX_LOG_LINE_BYTES = 256 * 1024;

/** How long the bridge may take to hand over its last messages (a notice, a last reply) before a session ends. */
export const FLUSH_TIMEOUT_MS = 300;

/**
 * Largest source map (with the sources it embeds) the inspector bridge inlines into `Debugger.scriptParsed` as a
 * `data:` URL, in bytes. Base64 makes it 4/3 larger; at this size the event still fits one bridge and broker frame.
 * A larger map keeps its file URL (which a remote debugger cannot open) and the debugger's console says why.
 */
export const MAX_INLINED_SOURCE_MAP_BYTES = 32 * 1024 * 1024;
