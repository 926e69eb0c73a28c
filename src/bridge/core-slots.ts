/**
 * The free list of core-facing addresses: every (bind address, port) pair of the configured
 * addresses × port range is a slot. Slots are handed out from a list, never by random probing:
 * probing a range that is 90% full fails 64 tries in a row with probability 0.9^64 ≈ 0.1%, and
 * gets worse with every device; the list finds the last free slot as surely as the first.
 *
 * New slots are taken in an order that alternates between the addresses (port p on every
 * address, then p+1 …), so devices spread over all of them; returned slots are reused first.
 * A bitmap of 64 Ki entries per address marks what is taken (by this process, by another
 * gateway on the same Redis, or by another program): 64 KiB per address, whatever the fleet.
 */

/** One core-facing address. */
export interface CoreAddress {
  readonly host: string;
  readonly port: number;
}

const PORTS_PER_HOST = 0x10000;

/** See the file comment. Pure bookkeeping: binds nothing, stores nothing. */
export class CoreSlots {
  private readonly taken: Uint8Array;
  private readonly hostIndex = new Map<string, number>();
  private readonly returned: number[] = [];
  private cursor = 0;
  private readonly rangeSize: number;

  /** `hosts` non-empty, `portRange` inclusive within 1–65535 (the caller validates). */
  constructor(readonly hosts: readonly string[], readonly portRange: readonly [number, number]) {
    hosts.forEach((host, index) => this.hostIndex.set(host, index));
    this.taken = new Uint8Array(hosts.length * PORTS_PER_HOST);
    this.rangeSize = (portRange[1] - portRange[0] + 1) * hosts.length;
  }

  /** Number of slots of the configured addresses × range. */
  get capacity(): number {
    return this.rangeSize;
  }

  /** Marks `address` taken; false when it is not an address of this pool (a host not configured). */
  take(address: CoreAddress): boolean {
    const slot = this.slotOf(address);
    if (slot === null) return false;
    this.taken[slot] = 1;
    return true;
  }

  /** Returns `address` to the free list (no effect for a foreign or already free address). */
  give(address: CoreAddress): void {
    const slot = this.slotOf(address);
    if (slot === null || this.taken[slot] === 0) return;
    this.taken[slot] = 0;
    if (this.inRange(address.port)) this.returned.push(slot);
  }

  /** Takes the next free slot of the range, or null when every slot is taken. */
  next(): CoreAddress | null {
    while (this.returned.length > 0) {
      const slot = this.returned.pop()!;
      if (this.taken[slot] === 0) return this.claim(slot);
    }
    const hostCount = this.hosts.length;
    while (this.cursor < this.rangeSize) {
      const index = this.cursor++;
      const slot = (index % hostCount) * PORTS_PER_HOST + this.portRange[0] + Math.floor(index / hostCount);
      if (this.taken[slot] === 0) return this.claim(slot);
    }
    return null;
  }

  private claim(slot: number): CoreAddress {
    this.taken[slot] = 1;
    return { host: this.hosts[Math.floor(slot / PORTS_PER_HOST)]!, port: slot % PORTS_PER_HOST };
  }

  private slotOf(address: CoreAddress): number | null {
    const index = this.hostIndex.get(address.host);
    if (index === undefined || !Number.isInteger(address.port) || address.port < 1 || address.port >= PORTS_PER_HOST) return null;
    return index * PORTS_PER_HOST + address.port;
  }

  private inRange(port: number): boolean {
    return port >= this.portRange[0] && port <= this.portRange[1];
  }
}

/** `host:port` (the form kept in Redis); a bare port (written before bind addresses were a list) means `defaultHost`. */
export function parseCoreAddress(text: string, defaultHost: string): CoreAddress | null {
  const colon = text.lastIndexOf(':');
  const host = colon < 0 ? defaultHost : text.slice(0, colon);
  const portText = colon < 0 ? text : text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || host.length === 0) return null;
  const port = Number(portText);
  return port >= 1 && port <= 65_535 ? { host, port } : null;
}

/** The Redis form of an address. */
export function formatCoreAddress(address: CoreAddress): string {
  return `${address.host}:${address.port}`;
}
