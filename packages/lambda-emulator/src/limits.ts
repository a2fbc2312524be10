/**
 * Limits of the local Lambda, each named after the Lambda limit it copies. Units are in the names.
 */

/**
 * Largest response or error body a runtime may post for a buffered invocation: Lambda's 6 MB synchronous payload
 * limit, measured as the official Runtime Interface Emulator does (6 MiB plus 100 bytes).
 */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;

/** Largest body a streaming handler may send: Lambda's 20 MiB limit for streamed responses. */
export const MAX_STREAMED_RESPONSE_BYTES = 20 * 1024 * 1024;

/** Largest event `invoke()` accepts, serialised: Lambda's 6 MB limit for a synchronous invocation request. */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;

/** The function timeout when none is given: Lambda's default of 3 seconds. */
export const DEFAULT_TIMEOUT_MS = 3_000;

/** The longest function timeout Lambda allows: 15 minutes. */
export const MAX_TIMEOUT_MS = 900_000;

/**
 * How long a runtime process may take to initialise (start Node, load the handler module) before `/next`.
 * Lambda gives the init phase 10 seconds; past it the process is killed and the invocation times out.
 */
export const INIT_TIMEOUT_MS = 10_000;

/** Memory size when none is given, and the range Lambda accepts, in MB. */
export const DEFAULT_MEMORY_MB = 128;
/** Smallest memory size Lambda accepts, in MB. */
export const MIN_MEMORY_MB = 128;
/** Largest memory size Lambda accepts, in MB. */
export const MAX_MEMORY_MB = 10_240;

/** Most concurrent execution environments (runtime processes) one local Lambda runs. */
export const MAX_ENVIRONMENTS = 32;

/**
 * Longest log line kept whole, in bytes. Lambda splits log events at 256 KB; longer lines from the runtime process
 * are cut into pieces of this size.
 */
export const MAX_LOG_LINE_BYTES = 256 * 1024;

/** Most log lines kept for one invocation; later lines still reach `onLog` but are counted, not kept. */
export const MAX_LOG_LINES_PER_INVOCATION = 10_000;

/** How many timed-out request ids a Runtime API server remembers, to answer late posts with `InvokeTimeout`. */
export const MAX_REMEMBERED_REQUEST_IDS = 1_000;
