import { describe, expect, it } from 'vitest';
import { CloseCode, closeCodeName, truncateCloseReason } from './close-codes.js';

describe('close codes', () => {
  it('are unique and in the ranges a WebSocket may send', () => {
    const codes = Object.values(CloseCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes)
      expect(
        code === 1000 || code === 1001 || code === 1009 || code === 1011 || (code >= 4000 && code <= 4999),
      ).toBe(true);
  });

  it('map back to their names', () => {
    expect(closeCodeName(4010)).toBe('UNAUTHORIZED');
    expect(closeCodeName(4999)).toBeUndefined();
  });

  it('reasons are cut to the 123-byte limit of a close frame', () => {
    expect(truncateCloseReason('short')).toBe('short');
    const long = 'é'.repeat(200);
    const cut = truncateCloseReason(long);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(123);
    expect(cut.endsWith('…')).toBe(true);
  });
});
