/**
 * The adaptive receive route of one connection (`receiveRoute: auto`, states and thresholds in
 * receive-route-states.ts). Quiet: direct delivery, one `AT+CNMA` per SMS after it was persisted
 * (TS 27.005 §3.4.4). A burst (SMS back to back): `AT+CNMI` with `<mt>`=1 goes out while the
 * SMS that completed the burst is persisted, and its `AT+CNMA` only after the modem answered it. The network sends nothing new to the ME before
 * that acknowledgement (TS 27.005 §3.4.4: one routed SMS at a time), so every later SMS is stored
 * and announced with `+CMTI` (§3.4.1) and read by the batch reader (stored-batch.ts), and the
 * `+CMT` being switched on is still persisted and acknowledged as usual. After `quietMs` without
 * an SMS, with the batch reader idle, `AT+CNMI` with `<mt>`=2 goes out; then the home storage
 * is listed once, since an SMS stored while that command was on the line may have been
 * announced on either side of it.
 *
 * Nothing here decides what is received: the session persists and acknowledges every `+CMT` and
 * reads every `+CMTI` in every state, so an SMS is taken whichever setting it met. A switch the
 * modem refuses (ERROR) or does not answer leaves the route where it was for the rest of the
 * connection, reported once, never retried.
 */
import { GatewayError } from '../shared/errors.ts';
import type { AtChannel } from './at-channel.ts';
import { AtCommandError } from './at-errors.ts';
import {
  BurstDetector, nextReceiveRouteState, RECEIVE_ROUTE_THRESHOLDS, routeOfState,
  type ReceiveRouteEvent, type ReceiveRouteState, type ReceiveRouteThresholds,
} from './receive-route-states.ts';
import type { ModemSetup } from './modem-init.ts';
import { BatchedStoredReader, type BatchReaderContext } from './stored-batch.ts';

/** What the route needs from its session. */
export interface ReceiveRouteContext {
  readonly channel: AtChannel;
  /** The modem's name, for the report of a refused switch. */
  readonly modem: string;
  /** `AT+CNMI` setting initialisation set (the direct route's, `<mt>`=2, when adaptive). */
  readonly initialCnmi: string;
  /** The same with `<mt>`=1 (stored route); null when the modem does not offer it. */
  readonly storedCnmi: string | null;
  /** The home storage's batch reader (stored route); null when reads are single. */
  readonly batch: BatchedStoredReader | null;
  /** Runs `action` after `delayMs` unless the connection went away first. */
  readonly after: (delayMs: number, action: () => void) => void;
  /** A problem worth a log line. */
  readonly report: (error: unknown) => void;
  /** The route switched (counted for metrics). */
  readonly switched: (route: 'direct' | 'stored') => void;
  /** Monotonic clock in ms. @defaultValue performance.now */
  readonly nowMs?: () => number;
}

/**
 * The initial state of a connection: adaptive (`direct`) only when it was asked for, direct
 * delivery is in force, the modem offers the stored setting and the stored route reads in
 * batches (read one by one it is slower than direct delivery, so there is nothing to gain).
 */
export function initialRouteState(options: {
  readonly adaptive: boolean;
  readonly route: 'direct' | 'stored';
  readonly storedCnmi: string | null;
  readonly batchRead: boolean;
}): ReceiveRouteState {
  if (options.route === 'stored') return 'stored-fixed';
  return options.adaptive && options.storedCnmi !== null && options.batchRead ? 'direct' : 'direct-fixed';
}

/**
 * A new session's receive route and, where the stored route can be in force and reads are
 * batched, its batch reader: there every read of the home storage goes through the reader, which
 * its delete with <delflag> 1 relies on (stored-batch.ts). Null reader otherwise.
 */
export function receiveRouteOfSession(options: {
  readonly adaptive: boolean;
  readonly batchRead: boolean;
  readonly setup: Pick<ModemSetup, 'receiveRoute' | 'storedCnmi' | 'cnmi'>;
  readonly reader: BatchReaderContext;
  readonly route: Omit<ReceiveRouteContext, 'batch' | 'initialCnmi' | 'storedCnmi'>;
  readonly thresholds?: ReceiveRouteThresholds | undefined;
}): { readonly batch: BatchedStoredReader | null; readonly route: ReceiveRoute } {
  const { setup, batchRead } = options;
  const initial = initialRouteState({ adaptive: options.adaptive, route: setup.receiveRoute, storedCnmi: setup.storedCnmi, batchRead });
  const batch = initial !== 'direct-fixed' && batchRead ? new BatchedStoredReader(options.reader) : null;
  const route = new ReceiveRoute(initial, { ...options.route, initialCnmi: setup.cnmi, storedCnmi: setup.storedCnmi, batch }, options.thresholds);
  return { batch, route };
}

/** One connection's receive route. Contract: never rejects; at most one `AT+CNMI` switch in flight. */
export class ReceiveRoute {
  private current: ReceiveRouteState;
  private readonly burst: BurstDetector;
  private readonly nowMs: () => number;
  private lastArrivalAtMs: number;
  private quietCheckArmed = false;
  private cnmiInForce: string;

  constructor(initial: ReceiveRouteState, private readonly context: ReceiveRouteContext, private readonly thresholds: ReceiveRouteThresholds = RECEIVE_ROUTE_THRESHOLDS) {
    this.current = initial;
    this.cnmiInForce = context.initialCnmi;
    this.burst = new BurstDetector(thresholds);
    this.nowMs = context.nowMs ?? (() => performance.now());
    this.lastArrivalAtMs = this.nowMs();
  }

  /** The state now. */
  get state(): ReceiveRouteState {
    return this.current;
  }

  /** The route the modem routes by (status and metrics). */
  get route(): 'direct' | 'stored' {
    return routeOfState(this.current);
  }

  /** The `AT+CNMI` setting in force (restored when the ME switched routing off, TS 27.005 §3.4.4). */
  get cnmi(): string {
    return this.cnmiInForce;
  }

  /**
   * A `+CMT` with an SMS arrived. True when it completes a burst: the caller then starts
   * {@link switchToStored} and awaits it before that SMS's `AT+CNMA`.
   */
  routedArrived(): boolean {
    const now = this.nowMs();
    this.lastArrivalAtMs = now;
    return this.burst.arrived(now) && this.current === 'direct';
  }

  /** The `AT+CNMA` of the last `+CMT` goes out now. */
  acknowledged(): void {
    this.burst.acknowledged(this.nowMs());
  }

  /** The last `+CMT` was not acknowledged positively (not persisted, `AT+CNMA` refused): the run starts again. */
  notAcknowledged(): void {
    this.burst.reset();
  }

  /** A `+CMTI`/`+CDSI` for the home storage arrived. */
  storedArrived(): void {
    this.lastArrivalAtMs = this.nowMs();
  }

  /** direct → stored: `AT+CNMI=<stored>` before anything queued (it precedes an `AT+CNMA`). Never rejects. */
  async switchToStored(): Promise<void> {
    const setting = this.context.storedCnmi;
    if (setting === null || !this.move('burst')) return;
    this.burst.reset();
    if (!(await this.setCnmi(setting, true))) return;
    this.move('switched');
    this.context.switched('stored');
    this.armQuietCheck(this.thresholds.quietMs);
  }

  private armQuietCheck(delayMs: number): void {
    if (this.quietCheckArmed) return;
    this.quietCheckArmed = true;
    this.context.after(delayMs, () => {
      this.quietCheckArmed = false;
      void this.checkQuiet();
    });
  }

  /** stored → direct once quiet; a batch still reading counts as activity. */
  private async checkQuiet(): Promise<void> {
    if (this.current !== 'stored') return;
    const quietForMs = this.nowMs() - this.lastArrivalAtMs;
    if (quietForMs < this.thresholds.quietMs) {
      this.armQuietCheck(this.thresholds.quietMs - quietForMs);
      return;
    }
    if (this.context.batch !== null && !this.context.batch.idle) {
      this.armQuietCheck(this.thresholds.quietMs);
      return;
    }
    if (!this.move('quiet')) return;
    if (!(await this.setCnmi(this.context.initialCnmi, false))) return;
    this.move('switched');
    this.burst.reset();
    this.context.switched('direct');
    // An SMS stored while the command was on the line: its +CMTI may have come before the OK or
    // not at all (URCs buffered); one list of the unread ones takes it either way.
    this.context.batch?.indicate();
  }

  /** Sends the switch; false (state moved to the fixed one, reported once) when it did not take. */
  private async setCnmi(setting: string, urgent: boolean): Promise<boolean> {
    try {
      await this.context.channel.command(`AT+CNMI=${setting}`, { urgent });
      this.cnmiInForce = setting;
      return true;
    } catch (error) {
      const from = this.current === 'to-stored' ? 'direct' : 'stored';
      this.move('refused');
      if (error instanceof AtCommandError) {
        this.context.report(new GatewayError('GW_ERR_MODEM_ROUTE_SWITCH', `the modem refused AT+CNMI=${setting} (${error.message}); it stays on the ${from} route on this connection`, { modem: this.context.modem }));
      } else {
        this.context.report(error); // a timeout or the port: the driver's escalation handles it
      }
      return false;
    }
  }

  private move(event: ReceiveRouteEvent): boolean {
    const next = nextReceiveRouteState(this.current, event);
    if (next === null) return false;
    this.current = next;
    return true;
  }
}
