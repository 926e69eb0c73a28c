/**
 * The core LwM2M server's UDP address, given in the configuration as an IP literal or a host
 * name. A host name is resolved at start and again when the core's datagrams stop matching or a
 * send fails (its address may change under DNS), at most once per `minRefreshIntervalMs`.
 *
 * Only datagrams whose source is one of the resolved addresses (and the configured port) are
 * accepted as the core's: a core-facing socket is reachable by anyone, so the check is what stops
 * a stranger speaking to devices in the core's name. Comparing the source with the configured
 * host string, as the relay once did, drops every datagram of a core given by name.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { GatewayError } from '../shared/errors.ts';

/** Resolves a host name to its addresses of one family (`dns.lookup` semantics: /etc/hosts, then DNS). */
export type HostResolver = (host: string, family: 4 | 6) => Promise<readonly string[]>;

/** `dns.lookup(host, { all: true, family })`: what the operating system's resolver answers. */
export const systemResolver: HostResolver = async (host, family) =>
  (await lookup(host, { all: true, family })).map((entry) => entry.address);

/** Options of {@link CoreServerAddress}. */
export interface CoreServerAddressOptions {
  /** Address family of the core-facing sockets: the core is reached over the same family. @defaultValue 4 */
  readonly family?: 4 | 6;
  /** Least time between two resolutions triggered by a mismatch or a failed send. @defaultValue 30000 */
  readonly minRefreshIntervalMs?: number;
  readonly resolver?: HostResolver;
  readonly now?: () => number;
  /** Told of every resolution that changed the addresses, or failed. */
  readonly onResolved?: (result: { readonly addresses: readonly string[]; readonly error: GatewayError | null }) => void;
}

/** IPv4-mapped IPv6 sources (`::ffff:10.0.0.1`) compare as their IPv4 address. */
function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address.toLowerCase();
}

/** See the file comment. */
export class CoreServerAddress {
  private addresses: readonly string[];
  private lastResolveMs = Number.NEGATIVE_INFINITY;
  private resolving: Promise<void> | null = null;
  private readonly family: 4 | 6;
  private readonly minRefreshIntervalMs: number;
  private readonly resolver: HostResolver;
  private readonly now: () => number;

  /** `host` is an IP literal or a host name; a name matches nothing until {@link resolve} ran. */
  constructor(readonly host: string, readonly port: number, private readonly options: CoreServerAddressOptions = {}) {
    this.family = options.family ?? 4;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 30_000;
    this.resolver = options.resolver ?? systemResolver;
    this.now = options.now ?? Date.now;
    this.addresses = isIP(host) === 0 ? [] : [normaliseAddress(host)];
  }

  /** True when the host is a name that needs resolving (not an IP literal). */
  get isName(): boolean {
    return isIP(this.host) === 0;
  }

  /** The address datagrams to the core go to: the first resolved one, else the host as given. */
  get sendAddress(): string {
    return this.addresses[0] ?? this.host;
  }

  /** The addresses the core's datagrams are accepted from. */
  get resolved(): readonly string[] {
    return this.addresses;
  }

  /** Whether a datagram from `address`:`port` is the core's. Never resolves (hot path). */
  matches(address: string, port: number): boolean {
    if (port !== this.port) return false;
    const source = normaliseAddress(address);
    for (const known of this.addresses) if (known === source) return true;
    return false;
  }

  /**
   * Resolves the host name now. Rejects with `GW_ERR_CORE_UNRESOLVED` when the resolver fails or
   * has no address of the family; the previous addresses are kept then. An IP literal resolves
   * to itself without a look-up.
   */
  async resolve(): Promise<readonly string[]> {
    if (!this.isName) return this.addresses;
    this.lastResolveMs = this.now();
    let found: readonly string[];
    try {
      found = (await this.resolver(this.host, this.family)).map(normaliseAddress);
    } catch (cause) {
      const error = new GatewayError('GW_ERR_CORE_UNRESOLVED', `core host ${this.host} did not resolve: ${String(cause)}`, { host: this.host, family: this.family });
      this.options.onResolved?.({ addresses: this.addresses, error });
      throw error;
    }
    if (found.length === 0) {
      const error = new GatewayError('GW_ERR_CORE_UNRESOLVED', `core host ${this.host} has no IPv${this.family} address`, { host: this.host, family: this.family });
      this.options.onResolved?.({ addresses: this.addresses, error });
      throw error;
    }
    const changed = found.length !== this.addresses.length || found.some((address, i) => address !== this.addresses[i]);
    this.addresses = found;
    if (changed) this.options.onResolved?.({ addresses: found, error: null });
    return found;
  }

  /**
   * Resolves again in the background when the last resolution is older than
   * `minRefreshIntervalMs` (a datagram from an unknown source, a failed send). Never rejects:
   * failures reach `onResolved`.
   */
  refreshSoon(): void {
    if (!this.isName || this.resolving !== null) return;
    if (this.now() - this.lastResolveMs < this.minRefreshIntervalMs) return;
    this.resolving = this.resolve().then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.resolving = null;
    });
  }
}
