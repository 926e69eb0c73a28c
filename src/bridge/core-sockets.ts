/**
 * One core-facing UDP socket per device. The core identifies clients by address and
 * de-duplicates by (message ID, address) (RFC 7252 §4.5), so devices must never share a socket;
 * and a device's socket keeps its address for the life of its registration and across gateway
 * restarts (the assignment is kept in Redis and the same host:port is bound again).
 *
 * One address has at most 64 Ki ports, so the pool binds on a list of addresses (IP aliases of
 * the node) × a port range; free addresses come from a free list ({@link CoreSlots}).
 *
 * Keys (under `prefix`): `port-of` hash endpoint → "host:port", `owner-of` hash "host:port" →
 * endpoint. A bare port (written before bind addresses were a list) means the first address.
 * An address is recorded only once its socket is bound: a record never names a socket that
 * does not exist.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Redis } from 'ioredis';
import { GatewayError, type ErrorCode } from '../shared/errors.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { AddressClaims } from './core-address-claims.ts';
import { CoreSlots, formatCoreAddress, parseCoreAddress, type CoreAddress } from './core-slots.ts';
import { assessOpenFileLimit, DEFAULT_RESERVE_FILES, readOpenFileLimit, type FileLimitVerdict, type OpenFileLimit } from './open-file-limit.ts';

export type { CoreAddress } from './core-slots.ts';

/** Options of {@link CoreSocketPool}. */
export interface CoreSocketPoolOptions {
  /** Addresses the sockets bind to (IP aliases of this node); wins over `bindHost`. */
  readonly bindHosts?: readonly string[];
  /** One address (the form before `bindHosts`). @defaultValue '0.0.0.0' */
  readonly bindHost?: string;
  /** Inclusive port range for device sockets, on every address. @defaultValue [40000, 49999] */
  readonly portRange?: readonly [number, number];
  readonly prefix?: string;
  /** Devices this node is configured to hold (checked against the open-file limit); 0 for none. @defaultValue 0 */
  readonly capacity?: number;
  /** Open files kept for everything but device sockets. @defaultValue 256 */
  readonly reserveFiles?: number;
  /** Sockets bound at once by {@link CoreSocketPool.restore} and retries. @defaultValue 256 */
  readonly bindConcurrency?: number;
  /** Reads the open-file limit (tests inject one). @defaultValue {@link readOpenFileLimit} */
  readonly openFileLimit?: () => OpenFileLimit | null;
}

/** Called for every datagram a device socket receives. */
export type CoreDatagramHandler = (endpoint: string, bytes: Buffer, from: RemoteInfo) => void;

/** Where a bound socket keeps its endpoint, so that one listener serves every socket of a pool. */
const ENDPOINT = Symbol('endpoint');

/** A pool's socket: its endpoint rides on it. */
type EndpointSocket = Socket & { [ENDPOINT]?: string };

/** ICMP errors on send must not crash the relay: one shared no-op listener for every socket. */
const ignoreSocketError = (): void => undefined;

/** Events of {@link CoreSocketPool}. */
export type CoreSocketPoolEvents = {
  /** A device's recorded address could not be bound (restart or retry); it is retried by {@link CoreSocketPool.retryPending}. */
  unbound: [{ readonly endpoint: string; readonly address: CoreAddress; readonly code: ErrorCode; readonly detail: string }];
  /** A device that waited for its recorded address got it. */
  rebound: [{ readonly endpoint: string; readonly address: CoreAddress }];
  /** A device with traffic could not wait for its recorded address (another program holds it) and got a new one. */
  moved: [{ readonly endpoint: string; readonly from: CoreAddress; readonly to: CoreAddress }];
  /** At restore: the open-file limit is below what the registrations or the capacity need. */
  fileLimitLow: [FileLimitVerdict];
};

/** What the pool counted since start. */
export interface CoreSocketCounters {
  /** Sockets bound (restore, retries and new devices). */
  bound: number;
  /** Binds that failed, any reason. */
  bindFailures: number;
  /** Of those, failures for the open-file limit (EMFILE/ENFILE). */
  fileLimitFailures: number;
  /** Devices moved to a new address (see the `moved` event). */
  moved: number;
}

/** The outcome of {@link CoreSocketPool.restore}. */
export interface RestoreReport {
  /** Devices with a recorded address. */
  readonly recorded: number;
  readonly bound: number;
  /** Devices left waiting for a retry. */
  readonly unbound: number;
  /** Recorded addresses of endpoints that have no registration any more (released). */
  readonly released: number;
  readonly fileLimit: FileLimitVerdict;
}

/**
 * Contract: `ensure(endpoint)` resolves with the endpoint's socket, bound on its recorded
 * address (or on a free address, recorded after it was bound); two endpoints never get the same
 * address. It rejects with GW_ERR_RELAY_FILE_LIMIT when the open-file limit is reached and with
 * GW_ERR_RELAY_SOCKET when no address is free; nothing is recorded then. `restore` binds the
 * recorded addresses of a restart in parallel and never rejects for one device: those that fail
 * wait in a retry list. `release` closes a device's socket and frees its address. `close()`
 * closes every socket and keeps the records.
 */
export class CoreSocketPool extends TypedEmitter<CoreSocketPoolEvents> {
  readonly counters: CoreSocketCounters = { bound: 0, bindFailures: 0, fileLimitFailures: 0, moved: 0 };
  private readonly sockets = new Map<string, Socket>();
  private readonly opening = new Map<string, Promise<Socket>>();
  private readonly recorded = new Map<string, CoreAddress>();
  /** Endpoints whose recorded address could not be bound yet. */
  private readonly pending = new Set<string>();
  /** Free addresses found held by another program; offered again by the next retry pass. */
  private readonly busyElsewhere: CoreAddress[] = [];
  private readonly slots: CoreSlots;
  private readonly prefix: string;
  private readonly options: CoreSocketPoolOptions;
  private loaded: Promise<void> | null = null;
  private retrying = false;
  private restored: RestoreReport | null = null;
  private readonly claims: AddressClaims;
  /**
   * The `message` listener of every socket of this pool (`this` is the socket, which names its
   * endpoint): one function for the pool, not a closure per socket (bench/device-scale, memory per device).
   */
  private readonly socketMessage: (this: EndpointSocket, bytes: Buffer, from: RemoteInfo) => void;

  constructor(private readonly redis: Redis, onDatagram: CoreDatagramHandler, options: CoreSocketPoolOptions = {}) {
    super();
    const hosts = options.bindHosts ?? [options.bindHost ?? '0.0.0.0'];
    const range = options.portRange ?? [40_000, 49_999];
    if (hosts.length === 0 || new Set(hosts).size !== hosts.length) throw new GatewayError('GW_ERR_CONFIG', 'coreSockets.bindHosts must list distinct addresses', { key: 'coreSockets.bindHosts' });
    if (!(Number.isInteger(range[0]) && Number.isInteger(range[1]) && range[0] >= 1 && range[0] <= range[1] && range[1] <= 65_535)) {
      throw new GatewayError('GW_ERR_CONFIG', `coreSockets.portRange ${range.join('-')} is not a range within 1-65535`, { key: 'coreSockets.portRange' });
    }
    this.slots = new CoreSlots(hosts, range);
    if ((options.capacity ?? 0) > this.slots.capacity) {
      throw new GatewayError('GW_ERR_CONFIG', `coreSockets.capacity ${options.capacity} exceeds the ${this.slots.capacity} addresses of ${hosts.length} bind address(es) × ports ${range.join('-')}`, { key: 'coreSockets.capacity' });
    }
    this.prefix = options.prefix ?? 'smsbridge:sockets:';
    this.options = options;
    this.claims = new AddressClaims(redis, `${this.prefix}owner-of`, `${this.prefix}port-of`); // one script call per turn for every new device
    const handler = onDatagram;
    this.socketMessage = function (this: EndpointSocket, bytes: Buffer, from: RemoteInfo): void {
      const endpoint = this[ENDPOINT];
      if (endpoint !== undefined) handler(endpoint, bytes, from);
    };
  }

  /** The bound socket of `endpoint`, if open. */
  get(endpoint: string): Socket | undefined {
    return this.sockets.get(endpoint);
  }

  /** Sockets open now. */
  get size(): number {
    return this.sockets.size;
  }

  /** Endpoints waiting for their recorded address (see `unbound`). */
  get pendingEndpoints(): readonly string[] {
    return [...this.pending];
  }

  /**
   * The outcome of the last {@link restore} (null before one): its events fire during
   * `Gateway.start`, before anyone outside can listen, so a log reads this once start resolves.
   */
  get lastRestore(): RestoreReport | null {
    return this.restored;
  }

  /** The recorded address of `endpoint` (bound or waiting), or null. */
  addressOf(endpoint: string): CoreAddress | null {
    return this.recorded.get(endpoint) ?? null;
  }

  /** The recorded port of `endpoint`, or null. */
  async portOf(endpoint: string): Promise<number | null> {
    await this.load();
    return this.recorded.get(endpoint)?.port ?? null;
  }

  /** See the class contract. */
  ensure(endpoint: string): Promise<Socket> {
    const open = this.sockets.get(endpoint);
    if (open) return Promise.resolve(open);
    return this.serialized(endpoint, () => this.open(endpoint));
  }

  /**
   * After a restart: checks the open-file limit (see open-file-limit.ts: throws
   * GW_ERR_RELAY_FILE_LIMIT only when the configured capacity cannot be met at all), reads every
   * recorded address in one round trip, frees those of endpoints not in `endpoints`, and binds
   * the rest, `bindConcurrency` at a time. A device that cannot be bound is reported (`unbound`,
   * counters) and retried by {@link retryPending}; the others come up.
   */
  async restore(endpoints: readonly string[]): Promise<RestoreReport> {
    const fileLimit = assessOpenFileLimit((this.options.openFileLimit ?? readOpenFileLimit)(), {
      registrations: endpoints.length, capacity: this.options.capacity ?? 0, reserveFiles: this.options.reserveFiles ?? DEFAULT_RESERVE_FILES,
    });
    if (fileLimit.verdict === 'low') this.emit('fileLimitLow', fileLimit);
    await this.load();
    const registered = new Set(endpoints);
    const stale = [...this.recorded.keys()].filter((endpoint) => !registered.has(endpoint));
    await this.inParallel(stale, (endpoint) => this.release(endpoint));
    const toBind = endpoints.filter((endpoint) => this.recorded.has(endpoint) && !this.sockets.has(endpoint));
    let bound = 0;
    await this.inParallel(toBind, async (endpoint) => {
      if (await this.bindRecorded(endpoint).catch(() => false)) bound += 1;
    });
    this.restored = { recorded: toBind.length, bound, unbound: this.pending.size, released: stale.length, fileLimit };
    return this.restored;
  }

  /**
   * Tries again to bind every waiting device on its recorded address (the maintenance timer
   * calls this); emits `rebound` for each that succeeds. One pass at a time.
   */
  async retryPending(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      for (const address of this.busyElsewhere.splice(0)) this.slots.give(address);
      await this.inParallel([...this.pending], async (endpoint) => {
        if (this.sockets.has(endpoint) || !this.recorded.has(endpoint)) {
          this.pending.delete(endpoint);
          return;
        }
        await this.bindRecorded(endpoint).catch(() => false);
      });
    } finally {
      this.retrying = false;
    }
  }

  /** Closes the socket of `endpoint` (if open) and frees its address, in Redis too. Idempotent. */
  async release(endpoint: string): Promise<void> {
    await this.load();
    await this.opening.get(endpoint)?.catch(() => undefined);
    this.pending.delete(endpoint);
    const socket = this.sockets.get(endpoint);
    this.sockets.delete(endpoint);
    if (socket) await closeSocket(socket);
    const address = this.recorded.get(endpoint);
    this.recorded.delete(endpoint);
    if (!address) return;
    await this.redis.multi().hdel(`${this.prefix}port-of`, endpoint).hdel(`${this.prefix}owner-of`, formatCoreAddress(address), String(address.port)).exec();
    this.slots.give(address);
  }

  /** Closes every socket (the records stay for the next start). */
  async close(): Promise<void> {
    const sockets = [...this.sockets.values()];
    this.sockets.clear();
    this.pending.clear();
    await Promise.all(sockets.map(closeSocket));
  }

  /** Reads both hashes once (one round trip) and marks every recorded address taken. */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const results = await this.redis.pipeline().hgetall(`${this.prefix}port-of`).hgetall(`${this.prefix}owner-of`).exec();
      const [portOf, ownerOf] = (results ?? []).map(([error, value]) => {
        if (error) throw error;
        return value as Record<string, string>;
      });
      const defaultHost = this.slots.hosts[0]!;
      for (const text of Object.keys(ownerOf ?? {})) {
        const address = parseCoreAddress(text, defaultHost);
        if (address) this.slots.take(address);
      }
      for (const [endpoint, text] of Object.entries(portOf ?? {})) {
        const address = parseCoreAddress(text, defaultHost);
        if (!address) continue;
        this.slots.take(address);
        this.recorded.set(endpoint, address);
      }
    })().catch((error: unknown) => {
      this.loaded = null; // Redis was away: the next call reads again
      throw error;
    });
    return this.loaded;
  }

  /** One operation per endpoint at a time (ensure, retry and release never race). */
  private serialized(endpoint: string, operation: () => Promise<Socket>): Promise<Socket> {
    let opening = this.opening.get(endpoint);
    if (!opening) {
      opening = operation().finally(() => this.opening.delete(endpoint));
      this.opening.set(endpoint, opening);
    }
    return opening;
  }

  /** Binds the recorded address of `endpoint`; on failure the device waits in the retry list. */
  private async bindRecorded(endpoint: string): Promise<boolean> {
    const address = this.recorded.get(endpoint)!;
    const wasPending = this.pending.has(endpoint);
    try {
      await this.serialized(endpoint, () => this.bind(endpoint, address));
    } catch (error) {
      if (!wasPending) this.emit('unbound', { endpoint, address, code: socketErrorCode(error), detail: String(error) });
      this.pending.add(endpoint);
      return false;
    }
    this.pending.delete(endpoint);
    if (wasPending) this.emit('rebound', { endpoint, address });
    return true;
  }

  private async open(endpoint: string): Promise<Socket> {
    await this.load();
    const recorded = this.recorded.get(endpoint);
    if (recorded) {
      try {
        const socket = await this.bind(endpoint, recorded);
        if (this.pending.delete(endpoint)) this.emit('rebound', { endpoint, address: recorded });
        return socket;
      } catch (error) {
        if (socketErrorCode(error) === 'GW_ERR_RELAY_FILE_LIMIT') throw fileLimitError(endpoint, error);
      }
      // Another program holds the address and the device has traffic now: it gets a new one.
      const moved = await this.allocate(endpoint);
      this.busyElsewhere.push(recorded);
      await this.redis.hdel(`${this.prefix}owner-of`, formatCoreAddress(recorded), String(recorded.port));
      this.pending.delete(endpoint);
      this.counters.moved += 1;
      this.emit('moved', { endpoint, from: recorded, to: this.recorded.get(endpoint)! });
      return moved;
    }
    return this.allocate(endpoint);
  }

  /**
   * A free address from the list: claimed and recorded in Redis in one step (so no other gateway
   * process on this Redis takes it; the claims of one turn in one script call, core-address-claims.ts),
   * then bound; a failed bind takes the claim back.
   */
  private async allocate(endpoint: string): Promise<Socket> {
    const ownerOf = `${this.prefix}owner-of`;
    const portOf = `${this.prefix}port-of`;
    for (let address = this.slots.next(); address !== null; address = this.slots.next()) {
      const key = formatCoreAddress(address);
      if (!(await this.claims.claim(key, endpoint))) continue;
      let socket: Socket;
      try {
        socket = await this.bind(endpoint, address);
      } catch (error) {
        const before = this.recorded.get(endpoint); // a device moving off an address held elsewhere keeps it recorded until it has a new one
        await (before === undefined ? this.redis.multi().hdel(ownerOf, key).hdel(portOf, endpoint) : this.redis.multi().hdel(ownerOf, key).hset(portOf, endpoint, formatCoreAddress(before))).exec();
        if (socketErrorCode(error) === 'GW_ERR_RELAY_FILE_LIMIT') {
          this.slots.give(address);
          throw fileLimitError(endpoint, error);
        }
        this.busyElsewhere.push(address);
        continue;
      }
      this.recorded.set(endpoint, address);
      return socket;
    }
    const [min, max] = this.slots.portRange;
    throw new GatewayError('GW_ERR_RELAY_SOCKET', `no free port in ${min}-${max} on ${this.slots.hosts.join(', ')} for ${endpoint}`, { endpoint });
  }

  private bind(endpoint: string, address: CoreAddress): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(isIPv6(address.host) ? 'udp6' : 'udp4');
      socket.once('error', (error) => {
        this.counters.bindFailures += 1;
        if (socketErrorCode(error) === 'GW_ERR_RELAY_FILE_LIMIT') this.counters.fileLimitFailures += 1;
        void closeSocket(socket);
        reject(error);
      });
      socket.bind(address.port, address.host, () => {
        socket.removeAllListeners('error');
        socket.on('error', ignoreSocketError);
        (socket as EndpointSocket)[ENDPOINT] = endpoint;
        socket.on('message', this.socketMessage);
        this.sockets.set(endpoint, socket);
        this.counters.bound += 1;
        resolve(socket);
      });
    });
  }

  private async inParallel(items: readonly string[], work: (item: string) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) await work(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.bindConcurrency ?? 256, items.length) }, worker));
  }
}

/** GW_ERR_RELAY_FILE_LIMIT for EMFILE/ENFILE (the process or the system is out of files), GW_ERR_RELAY_SOCKET otherwise. */
function socketErrorCode(error: unknown): ErrorCode {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE' ? 'GW_ERR_RELAY_FILE_LIMIT' : 'GW_ERR_RELAY_SOCKET';
}

function fileLimitError(endpoint: string, cause: unknown): GatewayError {
  const errno = (cause as NodeJS.ErrnoException).code ?? 'EMFILE';
  return new GatewayError('GW_ERR_RELAY_FILE_LIMIT', `no socket for ${endpoint}: the open-file limit is reached (${errno}); raise LimitNOFILE`, { endpoint, errno });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
