/**
 * The options, events, counters and restore report of the core-facing socket pool
 * (core-sockets.ts, which re-exports them).
 */
import type { RemoteInfo } from 'node:dgram';
import type { ErrorCode } from '../shared/errors.ts';
import type { CoreAddress } from './core-slots.ts';
import type { FileLimitVerdict, OpenFileLimit } from './open-file-limit.ts';
import type { RetryBackoffOptions } from './core-socket-retry-backoff.ts';

/** Options of `CoreSocketPool`. */
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
  /**
   * Sockets bound in one synchronous run, between turns of the event loop, by
   * `CoreSocketPool.restore` and retries (1000 by default); also the stale addresses released at
   * once by a restore (256 by default). @defaultValue 1000 / 256
   */
  readonly bindConcurrency?: number;
  /** Reads the open-file limit (tests inject one). @defaultValue `readOpenFileLimit` */
  readonly openFileLimit?: () => OpenFileLimit | null;
  /** Back-off of `CoreSocketPool.retryPending` (core-socket-retry-backoff.ts). @defaultValue 1000 ms doubling up to 60000 ms */
  readonly retryBackoff?: RetryBackoffOptions;
  /** The clock of the retry back-off, in ms (tests inject one). @defaultValue `performance.now` */
  readonly now?: () => number;
}

/** Called for every datagram a device socket receives. */
export type CoreDatagramHandler = (endpoint: string, bytes: Buffer, from: RemoteInfo) => void;

/** Events of `CoreSocketPool`. */
export type CoreSocketPoolEvents = {
  /** A device's recorded address could not be bound (restart or retry); it is retried by `CoreSocketPool.retryPending`. */
  unbound: [{ readonly endpoint: string; readonly address: CoreAddress; readonly code: ErrorCode; readonly errno: string; readonly detail: string }];
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

/** The outcome of `CoreSocketPool.restore`. */
export interface RestoreReport {
  /** Devices with a recorded address. */
  readonly recorded: number;
  readonly bound: number;
  /** Devices left waiting for a retry. */
  readonly unbound: number;
  /** Recorded addresses of endpoints that have no registration any more (released). */
  readonly released: number;
  readonly fileLimit: FileLimitVerdict;
  /** The devices left waiting, by the bind's error code (`EADDRINUSE`, `EMFILE` …). */
  readonly unboundBy: Readonly<Record<string, number>>;
  /** Wall time (ms) of reading the recorded addresses, releasing stale ones, and binding. */
  readonly phasesMs: { readonly read: number; readonly release: number; readonly bind: number };
}
