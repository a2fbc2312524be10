/** The lambda-debug command line, as a library: run it with your own streams, or reuse its pieces. */

export type { AttachInstructions, InspectInstructions, VsCodeAttachConfig } from './attach-instructions.js';
export { buildAttachInstructions } from './attach-instructions.js';
export type { BrokerReady } from './broker-ready.js';
export type { CliEnv, CommandContext, InputStream, StopListener } from './context.js';
export { CliError, ExitCode, type ExitCodeValue, RuntimeFailure, UsageError } from './errors.js';
export type { EnvFormat, FunctionEnvironment } from './function-environment.js';
export { buildFunctionEnvironment, ENV_FORMATS, formatFunctionEnvironment } from './function-environment.js';
export {
  LOCAL_DEBUGGER_WAIT_MS,
  LOCAL_FUNCTION_TIMEOUT_MS,
  LOCAL_MEMORY_MB,
  type LocalDebug,
  type LocalDebugOptions,
  type LocalDebugReady,
  type ProxySetup,
  startLocalDebug,
} from './local-debug.js';
export { runtimeForNode } from './local-runtime.js';
export { Output, type OutputStream } from './output.js';
export {
  CLI_VERSION,
  type CliHost,
  COMMANDS,
  type CommandRegistration,
  createProgram,
  listenForProcessSignals,
  runCli,
} from './program.js';
export type { TunnelReady } from './tunnel-output.js';
export { startTunnel, type Tunnel, type TunnelEvent, type TunnelOptions } from './tunnel-server.js';
