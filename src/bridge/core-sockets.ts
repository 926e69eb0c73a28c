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
import type { Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { GatewayError } from '../shared/errors.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { inBatches, inParallel } from './core-socket-batches.ts';
import { closeSocket, CoreSocketBinder, fileLimitError, socketErrorCode, type EndpointSocket } from './core-socket-bind.ts';
import type { CoreDatagramHandler, CoreSocketCounters, CoreSocketPoolEvents, CoreSocketPoolOptions, RestoreReport } from './core-socket-types.ts';
import { AddressClaims } from './core-address-claims.ts';
import { RetryBackoff } from './core-socket-retry-backoff.ts';
import { CoreSlots, formatCoreAddress, parseCoreAddress, type CoreAddress } from './core-slots.ts';
import { assessOpenFileLimit, DEFAULT_RESERVE_FILES, readOpenFileLimit } from './open-file-limit.ts';

export type { CoreAddress } from './core-slots.ts';
export type { CoreDatagramHandler, CoreSocketCounters, CoreSocketPoolEvents, CoreSocketPoolOptions, RestoreReport } from './core-socket-types.ts';

/** Sockets bound in one synchronous run by restore and retries (see `bindConcurrency`). */
const DEFAULT_BIND_BATCH = 1000;

/**
 * Contract: `ensure(endpoint)` resolves with the endpoint's socket, bound on its recorded
 * address (or on a free address, recorded after it was bound); two endpoints never get the same
 * address. It rejects with GW_ERR_RELAY_FILE_LIMIT when the open-file limit is reached and with
 * GW_ERR_RELAY_SOCKET when no address is free; nothing is recorded then. `restore` binds the
 * recorded addresses of a restart in parallel and never rejects for one device: those that fail
 * wait in a retry list, retried by `retryPending` with a bounded exponential back-off for the
 * whole pool (core-socket-retry-backoff.ts). `release` closes a device's socket and frees its
 * address. `close()` closes every socket and keeps the records.
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
  /** True once {@link load} has read both hashes (it never reads again then). */
  private loadedOnce = false;
  private retrying = false;
  private restored: RestoreReport | null = null;
  /** Creates and binds the sockets; its listeners are shared by every socket (bench/device-scale, memory per device). */
  private readonly binder: CoreSocketBinder;
  private readonly claims: AddressClaims;
  /** When {@link retryPending} may try the waiting devices again. */
  private readonly backoff: RetryBackoff;
  private readonly now: () => number;

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
    this.binder = new CoreSocketBinder(onDatagram);
    this.backoff = new RetryBackoff(options.retryBackoff);
    this.now = options.now ?? (() => performance.now());
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

  /**
   * Reads the recorded addresses now (once; `restore` and `ensure` read them anyway): a start
   * calls it early so the read overlaps other work. Rejects when Redis does (the next call reads again).
   */
  readRecords(): Promise<void> {
    return this.load();
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
    // A device with no recorded address (every new device once the records are read) gets a free one directly.
    return this.serialized(endpoint, this.loadedOnce && !this.recorded.has(endpoint) ? () => this.allocate(endpoint) : () => this.open(endpoint));
  }

  /**
   * After a restart: checks the open-file limit (see open-file-limit.ts: throws
   * GW_ERR_RELAY_FILE_LIMIT only when the configured capacity cannot be met at all), reads every
   * recorded address in one round trip, frees those of endpoints not in `endpoints`, and binds
   * the rest synchronously, `bindConcurrency` in one run between turns of the event loop. A device that cannot be bound is reported (`unbound`,
   * counters) and retried by {@link retryPending}; the others come up.
   */
  async restore(endpoints: readonly string[]): Promise<RestoreReport> {
    const fileLimit = assessOpenFileLimit((this.options.openFileLimit ?? readOpenFileLimit)(), {
      registrations: endpoints.length, capacity: this.options.capacity ?? 0, reserveFiles: this.options.reserveFiles ?? DEFAULT_RESERVE_FILES,
    });
    if (fileLimit.verdict === 'low') this.emit('fileLimitLow', fileLimit);
    const startedMs = performance.now();
    await this.load();
    const readMs = performance.now();
    const registered = new Set(endpoints);
    const stale = [...this.recorded.keys()].filter((endpoint) => !registered.has(endpoint));
    await inParallel(this.options.bindConcurrency ?? 256, stale, (endpoint) => this.release(endpoint));
    const releasedMs = performance.now();
    const toBind = endpoints.filter((endpoint) => this.recorded.has(endpoint) && !this.sockets.has(endpoint));
    let bound = 0;
    const unboundBy: Record<string, number> = {};
    const onUnbound = ({ errno }: { readonly errno: string }): void => void (unboundBy[errno] = (unboundBy[errno] ?? 0) + 1);
    const stopCounting = this.on('unbound', onUnbound);
    await inBatches(this.options.bindConcurrency ?? DEFAULT_BIND_BATCH, toBind, (endpoint) => {
      const outcome = this.bindRecordedNow(endpoint);
      if (outcome === true) bound += 1;
      return outcome === 'later' ? this.bindRecorded(endpoint).then((ok) => void (ok && (bound += 1))) : undefined;
    });
    stopCounting();
    const tenth = (ms: number): number => Math.round(ms * 10) / 10;
    this.restored = {
      recorded: toBind.length, bound, unbound: this.pending.size, released: stale.length, fileLimit, unboundBy,
      phasesMs: { read: tenth(readMs - startedMs), release: tenth(releasedMs - readMs), bind: tenth(performance.now() - releasedMs) },
    };
    return this.restored;
  }

  /**
   * Tries again to bind every waiting device on its recorded address (the maintenance timer
   * calls this); emits `rebound` for each that succeeds. One pass at a time, and none while the
   * back-off waits (core-socket-retry-backoff.ts): a pass that binds nothing doubles the wait
   * (1 s up to 60 s by default), what ends it is said there. A pass stops at
   * the first device refused by the open-file limit (the others would be refused alike), so a
   * process out of files costs one failed bind per pass, not one per waiting device.
   */
  async retryPending(): Promise<void> {
    if (this.retrying) return;
    for (const address of this.busyElsewhere.splice(0)) this.slots.give(address);
    if (this.pending.size === 0 || !this.backoff.due(this.now())) return;
    this.retrying = true;
    try {
      const { bound, bindFailures } = this.counters;
      let outOfFiles = false;
      await inBatches(this.options.bindConcurrency ?? DEFAULT_BIND_BATCH, [...this.pending], (endpoint) => {
        if (this.sockets.has(endpoint) || !this.recorded.has(endpoint)) {
          this.pending.delete(endpoint);
          return undefined;
        }
        if (outOfFiles) return undefined;
        const fileLimitFailures = this.counters.fileLimitFailures;
        const outcome = this.bindRecordedNow(endpoint);
        outOfFiles = this.counters.fileLimitFailures > fileLimitFailures;
        return outcome === 'later' ? this.bindRecorded(endpoint).then(() => undefined) : undefined;
      });
      if (this.counters.bindFailures > bindFailures && this.counters.bound === bound) this.backoff.failed(this.now());
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
    if (socket) {
      await closeSocket(socket);
      this.backoff.freed();
    }
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
      const ports = portOf ?? {};
      for (const [endpoint, text] of Object.entries(ports)) {
        const address = parseCoreAddress(text, defaultHost);
        if (!address) continue;
        this.slots.take(address);
        this.recorded.set(endpoint, address);
      }
      // Addresses owned by endpoints recorded above are taken already; the rest (another process's) are parsed here.
      for (const [text, owner] of Object.entries(ownerOf ?? {})) {
        if (ports[owner] === text) continue;
        const address = parseCoreAddress(text, defaultHost);
        if (address) this.slots.take(address);
      }
      this.loadedOnce = true;
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

  /**
   * Binds the recorded address of `endpoint` now, synchronously (see core-socket-bind.ts): true
   * when bound (or already open), false when it failed (the device waits in the retry list) or
   * the address was released meanwhile;
   * `later` when it cannot be done synchronously (an operation on the endpoint is in flight, or
   * the address is a host name): then {@link bindRecorded} does it.
   */
  private bindRecordedNow(endpoint: string): boolean | 'later' {
    if (this.sockets.has(endpoint)) return true;
    const address = this.recorded.get(endpoint);
    if (address === undefined) return false; // released between two runs of a restore (a de-register arrived): nothing to bind
    if (this.opening.has(endpoint) || this.binder.familyOf(address.host) === 0) return 'later';
    return this.bindSettled(endpoint, address, this.bindSocket(endpoint, address) as Socket | Error);
  }

  /** Books the outcome of binding the recorded address of `endpoint` (`unbound`/`rebound`, the retry list). */
  private bindSettled(endpoint: string, address: CoreAddress, result: Socket | Error): boolean {
    const wasPending = this.pending.has(endpoint);
    if (result instanceof Error) {
      if (!wasPending) this.emit('unbound', { endpoint, address, code: socketErrorCode(result), errno: (result as NodeJS.ErrnoException).code ?? 'unknown', detail: String(result) });
      this.pending.add(endpoint);
      return false;
    }
    this.pending.delete(endpoint);
    if (wasPending) this.emit('rebound', { endpoint, address });
    return true;
  }

  /** Binds the recorded address of `endpoint`; on failure the device waits in the retry list. */
  private async bindRecorded(endpoint: string): Promise<boolean> {
    const address = this.recorded.get(endpoint)!;
    const result = await this.serialized(endpoint, () => this.bind(endpoint, address)).catch((error: unknown) => error as Error);
    return this.bindSettled(endpoint, address, result);
  }

  private async open(endpoint: string): Promise<Socket> {
    if (!this.loadedOnce) await this.load(); // read once: no turn per new device afterwards
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
        // As bind(), without its async layer when the bind is synchronous (an IP literal; bench/device-scale: CPU per Register).
        const result = this.bindSocket(endpoint, address);
        const bound = result instanceof Promise ? await result : result;
        if (bound instanceof Error) throw bound;
        socket = bound;
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

  /** Binds a socket for `endpoint` on `address` (see {@link CoreSocketBinder}) and books it: open sockets, counters. */
  private bindSocket(endpoint: string, address: CoreAddress): Socket | Error | Promise<Socket> {
    const result = this.binder.bind(endpoint, address);
    if (result instanceof Promise) return result.then((socket) => this.booked(endpoint, socket) as Socket, (error: unknown) => Promise.reject(this.booked(endpoint, error as Error)));
    return this.booked(endpoint, result);
  }

  private booked(endpoint: string, result: EndpointSocket | Error): Socket | Error {
    if (result instanceof Error) {
      this.counters.bindFailures += 1;
      const fileLimit = socketErrorCode(result) === 'GW_ERR_RELAY_FILE_LIMIT';
      if (fileLimit) this.counters.fileLimitFailures += 1;
      this.backoff.bindRefused(fileLimit);
      return result;
    }
    this.sockets.set(endpoint, result);
    this.counters.bound += 1;
    this.backoff.bound(this.pending.has(endpoint)); // see core-socket-retry-backoff.ts
    return result;
  }

  /** {@link bindSocket} as a promise: resolves with the socket, rejects with the bind's error. */
  private async bind(endpoint: string, address: CoreAddress): Promise<Socket> {
    const result = await this.bindSocket(endpoint, address);
    if (result instanceof Error) throw result;
    return result;
  }
}
