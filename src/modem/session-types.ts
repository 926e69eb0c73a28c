/**
 * Types shared by the modem session and its driver: the counters the driver owns, what a session
 * needs from its driver, the network facts it keeps current, and hints for one send.
 */
import type { GatewayError } from '../shared/errors.ts';
import type { ModemConfig, ModemEvents, PersistReceived } from './modem-types.ts';
import type { DeliveryReportMatcher } from './delivery-reports.ts';
import type { ReceiveRouteThresholds } from './receive-route-states.ts';

/** Mutable counters the driver owns and a session updates. */
export interface SessionCounters {
  sent: number;
  sendFailed: number;
  sendUnknown: number;
  received: number;
  deliveryReports: number;
  /** Switches of the adaptive receive route (either way). */
  receiveRouteSwitches: number;
}

/** What the session needs from its driver. */
export interface SessionContext {
  readonly config: ModemConfig;
  readonly persist: PersistReceived;
  readonly matcher: DeliveryReportMatcher;
  readonly counters: SessionCounters;
  readonly emit: <E extends keyof ModemEvents & string>(event: E, ...args: ModemEvents[E]) => void;
  /** Called when a command timed out or the port failed (feeds escalation). */
  readonly onTransportError: (error: GatewayError) => void;
  /** When the adaptive receive route switches; absent: RECEIVE_ROUTE_THRESHOLDS. */
  readonly receiveRouteThresholds?: ReceiveRouteThresholds | undefined;
  /** Runs `action` after `delayMs` unless this session was dropped first. */
  readonly after: (delayMs: number, action: () => void) => void;
}

/** Network facts the session keeps current. */
export interface NetworkView {
  registered: boolean;
  registration: string | null;
  operator: string | null;
  signalDbm: number | null;
  storageUsed: number;
  storageTotal: number;
}

/** Hints for one send. */
export interface SendHints {
  /** More messages are queued for this modem behind this one (the pool knows). */
  readonly moreQueued?: boolean;
}
