import type { Socket } from 'node:net';
import { isIPv6 } from 'node:net';

/**
 * The key connections are counted under: the IPv4 address (also when it arrives IPv4-mapped, `::ffff:a.b.c.d`),
 * or the first 64 bits of an IPv6 address, since one IPv6 host usually holds a whole /64.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!isIPv6(address)) return address;
  const [bare = ''] = address.toLowerCase().split('%');
  const compressed = bare.indexOf('::');
  const head = compressed < 0 ? bare : bare.slice(0, compressed);
  const tail = compressed < 0 ? undefined : bare.slice(compressed + 2);
  const zeros = compressed < 0 ? 0 : 8 - groupsOf(head).length - groupsOf(tail).length;
  const groups = [...groupsOf(head), ...Array.from({ length: zeros }, () => 0), ...groupsOf(tail)];
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The 16-bit groups of one side of an IPv6 address; an embedded IPv4 address counts as two. */
function groupsOf(part: string | undefined): number[] {
  if (part === undefined || part === '') return [];
  return part.split(':').flatMap((group) => (group.includes('.') ? [0, 0] : [Number.parseInt(group, 16)]));
}

/**
 * Open TCP connections of one port, counted per remote address (`addressKey`), so one peer cannot take every
 * connection the port allows (`maxConnectionsPerPort`). A connection over the cap is refused as it arrives.
 */
export class AddressConnectionCaps {
  #maxPerAddress: number;
  #open = new Map<string, number>();

  constructor(maxPerAddress: number) {
    this.#maxPerAddress = maxPerAddress;
  }

  /** The cap in force. */
  get maxPerAddress(): number {
    return this.#maxPerAddress;
  }

  /** Addresses with open connections (for tests: zero once every peer left). */
  get addressCount(): number {
    return this.#open.size;
  }

  /**
   * True when `socket` is within its address's cap; it is then counted until it closes. False when the address
   * already holds the cap (or the socket is already gone and has no address): the caller refuses it.
   */
  admit(socket: Socket): boolean {
    if (socket.remoteAddress === undefined) return false;
    const key = addressKey(socket.remoteAddress);
    const open = this.#open.get(key) ?? 0;
    if (open >= this.#maxPerAddress) return false;
    this.#open.set(key, open + 1);
    socket.once('close', () => {
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left <= 0) this.#open.delete(key);
      else this.#open.set(key, left);
    });
    return true;
  }
}
