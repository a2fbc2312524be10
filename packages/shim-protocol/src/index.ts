export * from './admin.js';
export * from './child-ipc.js';
export * from './close-codes.js';
export { assertNever, type Decoded, ProtocolError, type ProtocolErrorCode } from './errors.js';
export * from './host-header.js';
export * from './lambda-link.js';
export * from './limits.js';
