/**
 * Read-only views of the AT engine for tests, fault scripts and status displays.
 */
import type { EngineCounters } from './engine-context.ts';
import type { CnmiSettings, ModemState, SimState } from './modem-state.ts';
import type { SmsMemory } from './profiles.ts';
import type { SmsStat, SmsStorages } from './sms-storage.ts';

/** Counters of one engine since construction. */
export interface AtEngineStats extends Readonly<EngineCounters> {
  /** Input bytes thrown away while rebooting, hung or disposed. */
  readonly discardedInputBytes: number;
  /** Handler defects (a handler threw); answered with `ERROR`. Tests expect 0. */
  readonly internalErrors: number;
}

/** A snapshot of the state the host could observe. */
export interface AtEngineStatus {
  /** False while rebooting. */
  readonly poweredOn: boolean;
  readonly hung: boolean;
  readonly sim: SimState;
  /** `+CREG` `<stat>`. */
  readonly regStat: number;
  readonly cfun: number;
  readonly echo: boolean;
  readonly cmee: number;
  readonly cmgf: number;
  readonly csms: number;
  readonly cnmi: Readonly<CnmiSettings>;
  readonly cpms: readonly [SmsMemory, SmsMemory, SmsMemory];
  /** TP-MR the next SMS will get. */
  readonly nextMessageReference: number;
  readonly pinAttemptsLeft: number;
  /** Messages held per storage. */
  readonly used: Readonly<Record<SmsMemory, number>>;
  /** A `+CMT`/`+CDS` waits for `AT+CNMA`. */
  readonly awaitingCnma: boolean;
  /** The `> ` prompt waits for data. */
  readonly inPrompt: boolean;
}

/** One stored message as the engine holds it. */
export interface StoredMessageView {
  readonly index: number;
  readonly stat: SmsStat;
  readonly pduHex: string;
  readonly kind: 'deliver' | 'submit' | 'status-report';
}

/** Builds an {@link AtEngineStatus} snapshot. */
export function engineStatus(
  state: ModemState,
  storages: SmsStorages,
  flags: { poweredOn: boolean; hung: boolean; awaitingCnma: boolean; inPrompt: boolean },
): AtEngineStatus {
  return {
    ...flags,
    sim: state.sim,
    regStat: state.regStat,
    cfun: state.cfun,
    echo: state.v250.echo,
    cmee: state.v250.cmee,
    cmgf: state.v250.cmgf,
    csms: state.csms,
    cnmi: { ...state.cnmi },
    cpms: [...state.cpms],
    nextMessageReference: state.card.nextMessageReference,
    pinAttemptsLeft: state.card.pinAttemptsLeft,
    used: { SM: storages.SM.used, ME: storages.ME.used, SR: storages.SR.used },
  };
}
