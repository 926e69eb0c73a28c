/**
 * The view of the AT engine that command handlers get: state, storages, timers and the few
 * actions that cross modules. Interfaces only, so that handler modules never import the engine.
 */
import type { AtCommand } from './command-line.ts';
import type { ModemState, ResolvedEngineOptions } from './modem-state.ts';
import type { SimModemProfile } from './profiles.ts';
import type { Reply } from './responses.ts';
import type { SmsStorages } from './sms-storage.ts';

/** The SMSC's answer to a submitted TPDU; `cause` is a TS 24.011 RP cause / `+CMS ERROR` number. */
export type SubmitResult = { readonly ok: true } | { readonly ok: false; readonly cause: number };

/**
 * What the engine needs from the simulated network. {@link SimNetworkClient} satisfies it; tests
 * pass a fake.
 */
export interface SimEngineNetwork {
  /** Submits an SMS-SUBMIT TPDU (hex, no SMSC field). A rejection counts as a network timeout. */
  submit(tpduHex: string): Promise<SubmitResult>;
}

/** An SMS or status report arriving from the network. */
export interface IncomingSms {
  readonly kind: 'deliver' | 'status-report';
  /** Full PDU with the SMSC field, as `+CMT`/`+CMGR` print it. */
  readonly pduHex: string;
  /** Reports the outcome to the network exactly once: ok, or not ok with an RP cause (22 = memory full, retried later). */
  readonly ack: (ok: boolean, cause?: number) => void;
}

/** Counters the engine keeps since construction. Mutable by handlers only. */
export interface EngineCounters {
  /** Command lines started (`AT…<CR>`), `A/` included. */
  commandLines: number;
  /** Single commands executed (`ATE0V1` counts 2). */
  commands: number;
  /** SMS-SUBMITs handed to the network. */
  smsSubmitted: number;
  /** Submits the network accepted (`+CMGS: <mr>` sent). */
  smsSent: number;
  /** SMS-DELIVERs accepted from the network (stored or acknowledged). */
  smsReceived: number;
  /** Status reports accepted from the network. */
  statusReportsReceived: number;
  /** Deliveries refused to the network (storage full, no `AT+CNMA`, modem down). */
  deliveriesRefused: number;
  /** `+CMT`/`+CDS` that the host did not acknowledge in time. */
  cnmaTimeouts: number;
  /** Submits that had to set up the relay link first (no `AT+CMMS` hold in force). */
  relayLinkSetups: number;
  /** URCs written to the host. */
  urcs: number;
}

/** Registration control shared by `+CFUN`, `+CPIN` and the fault methods. */
export interface RegistrationControl {
  /** Starts searching (`<stat>` 2) and registers after `registerDelayMs` when CFUN=1 and the SIM is ready. */
  attach(): void;
  /** Cancels any search and sets `<stat>` 0. */
  detach(): void;
  /** Sets `<stat>` now, with `+CREG`/`+CGREG`/`+CEREG` URCs per their `<n>` when it changes. */
  set(stat: number): void;
}

/** Incoming-SMS control used by `+CNMI` and `+CNMA`. */
export interface IncomingControl {
  /** `AT+CNMA[=<n>]` (TS 27.005 §3.4.4). */
  acknowledge(negative: boolean): Reply;
  /** `AT+CNMI` changed `<mode>` to 1..3: flush (`bfr` 0) or clear (`bfr` 1) the TA buffer. */
  cnmiChanged(): void;
}

/** What handlers see. */
export interface EngineContext {
  readonly options: ResolvedEngineOptions;
  readonly profile: SimModemProfile;
  readonly state: ModemState;
  readonly storages: SmsStorages;
  readonly counters: EngineCounters;
  readonly registration: RegistrationControl;
  readonly incoming: IncomingControl;
  /** Null while standalone or disconnected: sends fail with `+CMS ERROR: 331`. */
  network(): SimEngineNetwork | null;
  nowMs(): number;
  /** A timer that the engine cancels on reboot and dispose. @returns cancel function. */
  setTimer(delayMs: number, callback: () => void): () => void;
  /**
   * Writes an unsolicited result code to the host, never inside another line. Several lines
   * (`+CMT` header and PDU) are written together.
   */
  emitUrc(lines: string | readonly string[]): void;
  /** Reboots: the final result of the current line is still sent, then the modem goes deaf. */
  reboot(): void;
  /** Called when the SIM turns ready: URCs, SMS init time, registration. */
  simBecameReady(emitUrcs: boolean): void;
}

/** A handler of one extended command name. */
export type CommandHandler = (command: Extract<AtCommand, { kind: 'extended' }>, ctx: EngineContext) => Reply;
