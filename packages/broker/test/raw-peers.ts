/**
 * Hostile peers for the broker, on raw TCP sockets: a seeded random source, hand-built WebSocket frames (valid,
 * lying about their length, unmasked, reserved bits set...), a hand-done upgrade, and a way to let go of a socket.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { WAIT_BOUND_MS } from './helpers.js';

/** A small seeded generator (mulberry32): a failing run can be replayed from the seed it prints. */
export class SeededRandom {
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    this.seed = seed;
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** `length` random bytes (from the seed, so a run replays). */
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let index = 0; index < length; index += 1) out[index] = this.int(0, 255);
    return out;
  }
}

/** One WebSocket frame as a client would send it, with every field open to abuse. */
export interface RawFrame {
  readonly fin?: boolean;
  /** The three reserved bits (0-7); anything but 0 is a protocol error without an extension. */
  readonly rsv?: number;
  readonly opcode: number;
  /** Clients must mask; false sends the payload in the clear. */
  readonly mask?: boolean;
  readonly payload: Buffer;
  /** The length written in the header; a larger one than the payload leaves the frame unfinished. */
  readonly declaredLength?: number;
}

/** Encodes `frame` (RFC 6455 section 5.2), honouring whatever lies it tells. */
export function encodeFrame(frame: RawFrame): Buffer {
  const { opcode, payload } = frame;
  const fin = frame.fin ?? true;
  const rsv = frame.rsv ?? 0;
  const mask = frame.mask ?? true;
  const length = frame.declaredLength ?? payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  const maskBit = mask ? 0x80 : 0;
  let extended = Buffer.alloc(0);
  if (length < 126) {
    head.push(maskBit | length);
  } else if (length < 65_536) {
    head.push(maskBit | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(BigInt(length));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), extended, payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let index = 0; index < masked.length; index += 1) {
    masked[index] = (masked[index] ?? 0) ^ (key[index % 4] ?? 0);
  }
  return Buffer.concat([Buffer.from(head), extended, key, masked]);
}

/** A text frame carrying `text`, masked, as a well-behaved client sends it. */
export function textFrame(text: string): Buffer {
  return encodeFrame({ opcode: 0x1, payload: Buffer.from(text) });
}

/** A random frame: any opcode, sometimes fragmented, unmasked, with reserved bits, or lying about its length. */
export function randomFrame(random: SeededRandom): Buffer {
  const payload = random.bytes(random.chance(0.9) ? random.int(0, 200) : random.int(126, 70_000));
  const lies = random.chance(0.15);
  return encodeFrame({
    fin: random.chance(0.8),
    rsv: random.chance(0.1) ? random.int(1, 7) : 0,
    opcode: random.chance(0.7) ? random.pick([0x0, 0x1, 0x2, 0x8, 0x9, 0xa]) : random.int(0, 15),
    mask: random.chance(0.95),
    payload,
    ...(lies ? { declaredLength: payload.length + random.int(1, 1 << 20) } : {}),
  });
}

/**
 * Upgrades a raw socket by hand. Resolves with the socket once the `101` head has arrived (anything after it
 * stays in `rest`), or rejects with the status line of any other answer.
 */
export function rawUpgrade(port: number, request: string): Promise<{ socket: Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const statusLine = received.subarray(0, received.indexOf('\r\n')).toString('latin1');
      if (!statusLine.startsWith('HTTP/1.1 101 ')) {
        socket.destroy();
        reject(new Error(`upgrade answered ${statusLine}`));
        return;
      }
      resolve({ socket, rest: received.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before the upgrade was answered')));
    socket.write(request);
  });
}

/** Resolves once `socket` has sent `text` somewhere in what it received (from now on). */
export function receivedText(socket: Socket, text: string, already: Buffer = Buffer.alloc(0)): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = already.toString('latin1');
    if (seen.includes(text)) {
      resolve();
      return;
    }
    const timer = setTimeout(() => reject(new Error(`no "${text}" from the broker`)), WAIT_BOUND_MS);
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString('latin1')).slice(-4096);
      if (!seen.includes(text)) return;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
  });
}

/**
 * Lets go of `socket` the way a peer might: a reset, or a FIN and then (after the broker's answer or a bound)
 * a destroy. Resolves once the socket is closed on this side.
 */
export function letGo(socket: Socket, how: 'reset' | 'end'): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    socket.once('close', () => {
      clearTimeout(bound);
      resolve();
    });
    socket.resume();
    // Only so a peer the broker keeps talking to cannot stall the test; the broker's own state is asserted.
    const bound = setTimeout(() => socket.destroy(), WAIT_BOUND_MS);
    if (how === 'reset') socket.resetAndDestroy();
    else socket.end();
  });
}

/** Runs `count` tasks, `lanes` at a time. */
export async function inLanes(
  count: number,
  lanes: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
