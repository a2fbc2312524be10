export type { BrokerHandle, BrokerStats } from './broker.js';
export { startBroker } from './broker.js';
export { BROKER_VERSION, type DiscoveryTarget, type VersionResponse } from './discovery.js';
export { BrokerConfigError, type BrokerConfigErrorCode } from './errors.js';
export { HEALTH_PATH } from './health.js';
export { LAMBDA_LINK_PATH, MAX_PRE_HELLO_BYTES } from './lambda-endpoint.js';
export { createBrokerLogger, LOG_LEVELS, type LogFormat, maskUrl } from './logger.js';
export {
  type BrokerLimits,
  type BrokerOptions,
  DEFAULT_ALLOWED_ORIGINS,
  DEFAULT_DEBUGGER_PORT,
  DEFAULT_HOST,
  DEFAULT_LAMBDA_PORT,
  DEFAULT_LIMITS,
} from './options.js';
export { type BrokerTlsOptions, isLoopbackHost } from './tls.js';
export { deriveToken, generateSecret, MIN_SECRET_LENGTH, type TokenRole, verifyToken } from './tokens.js';
