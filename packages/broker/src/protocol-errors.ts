import {
  CloseCode,
  type CloseCodeValue,
  type ProtocolError,
  type ProtocolErrorCode,
} from '@lambda-debug/shim-protocol';

const CLOSE_CODE_FOR: Readonly<Record<ProtocolErrorCode, CloseCodeValue>> = {
  'frame-too-large': CloseCode.FRAME_TOO_LARGE,
  'truncated-frame': CloseCode.MALFORMED_FRAME,
  'malformed-frame': CloseCode.MALFORMED_FRAME,
  'malformed-json': CloseCode.MALFORMED_FRAME,
  'not-an-object': CloseCode.MALFORMED_FRAME,
  'missing-field': CloseCode.MALFORMED_FRAME,
  'invalid-field': CloseCode.MALFORMED_FRAME,
  'unknown-type': CloseCode.UNKNOWN_MESSAGE,
  'unsupported-version': CloseCode.UNSUPPORTED_VERSION,
};

/** The close code from the protocol's table for a frame a decoder refused. */
export function closeCodeFor(error: ProtocolError): CloseCodeValue {
  return CLOSE_CODE_FOR[error.code];
}
