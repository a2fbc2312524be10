import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BridgeFrameDecoder,
  BridgeFrameKind,
  BridgeFramingError,
  encodeBridgeFrame,
  encodeControlFrame,
  parseControl,
} from './bridge-framing.js';

describe('bridge framing', () => {
  it('carries CDP JSON with newlines and any UTF-8 unchanged, however the bytes are split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 200 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (texts, cuts) => {
          const payloads = texts.map((text) => JSON.stringify({ id: 1, result: { text } }, null, 2));
          const bytes = Buffer.concat(
            payloads.map((payload) => encodeBridgeFrame(BridgeFrameKind.Cdp, payload)),
          );
          const decoder = new BridgeFrameDecoder();
          const received: string[] = [];
          let offset = 0;
          let cut = 0;
          while (offset < bytes.length) {
            const size = cuts[cut++ % cuts.length] ?? 1;
            for (const frame of decoder.push(bytes.subarray(offset, offset + size))) {
              expect(frame.kind).toBe(BridgeFrameKind.Cdp);
              received.push(frame.payload.toString('utf8'));
            }
            offset += size;
          }
          expect(received).toEqual(payloads);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('tells control frames from CDP frames', () => {
    const decoder = new BridgeFrameDecoder();
    const frames = decoder.push(
      Buffer.concat([
        encodeControlFrame({ type: 'hello', nonce: 'ab' }),
        encodeBridgeFrame(BridgeFrameKind.Cdp, '{}'),
      ]),
    );
    expect(frames.map((frame) => frame.kind)).toEqual([BridgeFrameKind.Control, BridgeFrameKind.Cdp]);
    expect(parseControl(frames[0]?.payload ?? Buffer.alloc(0))).toEqual({ type: 'hello', nonce: 'ab' });
  });

  it('refuses a frame over the limit before buffering it', () => {
    const decoder = new BridgeFrameDecoder(16);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(17, 0);
    expect(() => decoder.push(header)).toThrow(BridgeFramingError);
  });

  it('refuses an empty frame and an unknown kind', () => {
    expect(() => new BridgeFrameDecoder().push(Buffer.from([0, 0, 0, 0]))).toThrow(BridgeFramingError);
    expect(() => new BridgeFrameDecoder().push(Buffer.from([0, 0, 0, 1, 9]))).toThrow(
      /unknown bridge frame kind 9/,
    );
  });

  it('ignores control payloads that are not objects with a type', () => {
    for (const text of ['not json', '[]', '{"x":1}', '"hello"'])
      expect(parseControl(Buffer.from(text))).toBeUndefined();
  });
});
