/**
 * Value types of the modem driver: states, configuration, status, received and sent SMS.
 */
import type { GatewayError } from '../shared/errors.ts';
import type { SmsPdu } from '../sms/index.ts';
import type { ModemIdentity } from './modem-init.ts';
import type { ReceiveRouteState } from './receive-route-states.ts';

/**
 * The driver's states; the events that move between them are the table in
 * `modem-transitions.ts` (MODEM_TRANSITIONS):
 *
 *   opening ──► initialising ──► ready ◄──► degraded ──► resetting ──► initialising
 *      ▲                │                                    │
 *      └── disconnected ◄┴──── (port lost, reopen with back-off) ◄────┘
 *   blocked: too many consecutive errors, port closed for `blockTimeMs`, then opening again
 *   failed:  the SIM needs a person (wrong PIN, PUK); nothing is retried
 *   stopped: before start() and after stop(); left only by start()
 */
export type ModemState = 'opening' | 'initialising' | 'ready' | 'degraded' | 'resetting' | 'disconnected' | 'blocked' | 'failed' | 'stopped';

/** Configuration of one modem. Every duration carries its unit. */
export interface ModemConfig {
  /** Name used in logs, metrics and routing (e.g. `modem-a`). */
  readonly name: string;
  /** `/dev/serial/by-id/...`, `/dev/ttyUSB2`, or `tcp://host:port`. */
  readonly path: string;
  readonly baudRate: number;
  readonly pin: string | null;
  readonly smsc: string | null;
  /** Force a profile by name; null selects it from the modem's identity. */
  readonly profile: string | null;
  readonly simWaitMs: number;
  /** Longest wait for network registration before a send fails. */
  readonly registrationWaitMs: number;
  /** Period of the watchdog (`AT`, `AT+CSQ`, `AT+CREG?`). */
  readonly watchdogIntervalMs: number;
  /** Period of the sweep of every storage with `AT+CMGL=4` (indications get lost). */
  readonly sweepIntervalMs: number;
  /**
   * `auto`: adaptive where the modem allows it (receive-route.ts): direct delivery while SMS come
   * one at a time (one `AT+CNMA` each), the stored route read in batches during a burst, back to
   * direct when it is over; the stored route only where `AT+CSMS=1` is refused or the profile does
   * not prefer direct delivery. `direct`: direct delivery where possible, never switched.
   * `stored`: always the stored route (bursts are read in batches with `storedRead: batch`).
   */
  readonly receiveRoute: 'auto' | 'direct' | 'stored';
  /**
   * How the stored route (`+CMTI`) reads: `batch` lists every unread SMS with one `AT+CMGL=0`,
   * persists them together and deletes them with one `AT+CMGD=<i>,1` where the modem offers it
   * (stored-batch.ts); `single` reads and deletes each with `AT+CMGR` and `AT+CMGD`.
   */
  readonly storedRead: 'batch' | 'single';
  /** Consecutive failures that make the driver escalate (re-init, reset, reopen). */
  readonly escalateAfterErrors: number;
  /** Consecutive failures that block the modem for `blockTimeMs` (smstools: 3 and 3600 s). */
  readonly blockAfterErrors: number;
  readonly blockTimeMs: number;
  /** How often the device path is checked while open (a vanished path means the port is dead). */
  readonly presenceCheckIntervalMs: number;
  /** First and longest wait between attempts to reopen a vanished port. */
  readonly reopenMinDelayMs: number;
  readonly reopenMaxDelayMs: number;
}

/** Defaults for every optional key of {@link ModemConfig}. */
export const MODEM_CONFIG_DEFAULTS = Object.freeze({
  baudRate: 115_200,
  pin: null,
  smsc: null,
  profile: null,
  simWaitMs: 30_000,
  registrationWaitMs: 60_000,
  watchdogIntervalMs: 30_000,
  sweepIntervalMs: 60_000,
  receiveRoute: 'auto',
  storedRead: 'batch',
  escalateAfterErrors: 3,
  blockAfterErrors: 10,
  blockTimeMs: 3_600_000,
  presenceCheckIntervalMs: 1_000,
  reopenMinDelayMs: 1_000,
  reopenMaxDelayMs: 60_000,
} satisfies Omit<ModemConfig, 'name' | 'path'>);

/** What the driver knows about its modem right now (for the admin API and metrics). */
export interface ModemStatus {
  readonly name: string;
  readonly path: string;
  readonly state: ModemState;
  readonly identity: ModemIdentity | null;
  readonly profile: string | null;
  readonly registered: boolean;
  /** `+CREG`/`+CEREG` status text, e.g. `home`, `roaming`, `searching`. */
  readonly registration: string | null;
  readonly operator: string | null;
  readonly signalDbm: number | null;
  readonly storage: { readonly name: string; readonly used: number; readonly total: number } | null;
  /**
   * How SMS arrive on the current connection now (the `AT+CNMI` in force: `direct` `<mt>`=2,
   * `stored` `<mt>`=1; with `receiveRoute: auto` it changes with the traffic); null while not
   * initialised.
   */
  readonly receiveRoute: 'direct' | 'stored' | null;
  /** The adaptive route's state (receive-route-states.ts); null while not initialised. */
  readonly receiveRouteState: ReceiveRouteState | null;
  readonly counters: {
    readonly sent: number;
    readonly sendFailed: number;
    readonly sendUnknown: number;
    readonly received: number;
    readonly deliveryReports: number;
    readonly consecutiveErrors: number;
    readonly resets: number;
    readonly reopens: number;
    /** Switches of the adaptive receive route (either way) since start. */
    readonly receiveRouteSwitches: number;
  };
  readonly lastError: { readonly code: string; readonly message: string; readonly atMs: number } | null;
}

/** An SMS as it left the modem's storage or came with `+CMT`, before anything else happened. */
export interface ReceivedPdu {
  readonly modem: string;
  /** How it arrived. */
  readonly via: 'cmt' | 'cmti' | 'sweep';
  /** Where it is stored on the modem (deleted after persistence), or null for `+CMT`. */
  readonly storage: string | null;
  readonly index: number | null;
  /** Full PDU as printed, SMSC field first. */
  readonly pduHex: string;
  /**
   * `pduHex` decoded, when the driver already decoded it (absent when it could not be decoded):
   * the inbox then skips a second decode on the way to the acknowledgement. Always the decode of
   * `pduHex`, never anything else.
   */
  readonly decoded?: SmsPdu;
  readonly receivedAtMs: number;
}

/**
 * Persists a received PDU. The driver deletes the SMS from the modem (or acknowledges `+CMT`)
 * only after this resolves; when it rejects, the SMS stays and is read again later.
 */
export type PersistReceived = (pdu: ReceivedPdu) => Promise<void>;

/** One message to send: all parts go out on this modem, in order. */
export interface SendRequest {
  readonly messageId: string;
  /** Destination as given (for report matching). */
  readonly recipient: string;
  readonly parts: readonly { readonly hex: string; readonly tpduLength: number }[];
}

/** One part that left the modem. */
export interface SentPartResult {
  readonly part: number;
  readonly messageReference: number;
  readonly sentAtMs: number;
}

/** Outcome of a send: parts that left, and what happened to the first that did not. */
export interface SendResult {
  readonly messageId: string;
  readonly modem: string;
  readonly sent: readonly SentPartResult[];
  /** Null when every part left. `unknown` means the PDU was written but no answer came. */
  readonly failure: { readonly part: number; readonly outcome: 'failed' | 'unknown'; readonly error: GatewayError } | null;
}

/** A status report matched to a sent part. */
export interface DeliveryReport {
  readonly modem: string;
  readonly messageId: string;
  readonly part: number;
  /** TP-ST (TS 23.040 §9.2.3.15): 0x00..0x1F done, 0x20..0x3F still trying, 0x40.. failed. */
  readonly status: number;
  readonly dischargeTimeIso: string;
}

/** Events of the modem driver. */
export type ModemEvents = {
  state: [state: ModemState, previous: ModemState];
  /** A status report matched to one of our sends. */
  'delivery-report': [DeliveryReport];
  /** A status report nobody sent (unknown reference or expired). */
  'unmatched-report': [pduHex: string];
  /** Something went wrong that is worth a log line (the driver goes on). */
  problem: [GatewayError];
  /** The modem printed a start-up banner: it rebooted by itself. */
  reboot: [banner: string];
  /** A line to or from the modem (see AtChannelEvents `trace`); raw, PINs included. */
  trace: [direction: 'tx' | 'rx', line: string];
};
