/**
 * Modem profiles: what differs between modem families (init commands, indication and storage
 * preferences, how status reports arrive, timeouts, reset commands, quirks). The profiles
 * themselves are data in `hardware/profiles/*.yaml`; this file holds their type and the generic
 * 3GPP default every profile starts from.
 */

/** A documented deviation of a model from TS 27.005/27.007, with where it was learned. */
export interface ModemQuirk {
  readonly id: string;
  readonly description: string;
  /** Issue, mailing-list post or document the quirk comes from. */
  readonly source: string;
}

/** How a family delivers status reports (TS 27.005 §3.4.1 `<ds>`). */
export type StatusReportRoute =
  /** `+CDS: <len>` then the PDU (ds=1); needs `AT+CNMA` in phase 2+. */
  | 'cds'
  /** Stored in SR storage, announced with `+CDSI: <mem>,<index>` (ds=2). */
  | 'cdsi'
  /** No status reports. */
  | 'none';

/** Everything the driver needs to know about one modem family. */
export interface ModemProfile {
  /** Stable name, e.g. `quectel-ec25`; used in config to force a profile. */
  readonly name: string;
  readonly description: string;
  /** Selection from the modem's identity: regular expressions (case-insensitive), all must match. */
  readonly match: { readonly manufacturer?: string; readonly model?: string };
  /** Extra commands after the standard init (e.g. `AT^CURC=0` on Huawei), each must answer OK. */
  readonly initCommands: readonly string[];
  /**
   * `AT+CNMI` settings to try, best first; each is checked against `AT+CNMI=?` and the first
   * the modem accepts is used (ModemManager's fallback list, mm-broadband-modem.c).
   */
  readonly cnmiPreferences: readonly string[];
  /** Preferred message storages, best first (`ME`, `SM`, `MT`). */
  readonly storagePreferences: readonly string[];
  readonly statusReportRoute: StatusReportRoute;
  /**
   * Prefer direct delivery when `AT+CSMS=1` takes: each `cnmiPreferences` entry is first tried
   * with `<mt>`=2, so an SMS arrives as `+CMT` and costs one `AT+CNMA`, sent only after it was
   * persisted (TS 27.005 §3.4.1, §3.4.4; the network delivers again what is not acknowledged),
   * instead of `AT+CMGR` and `AT+CMGD` after `+CMTI`. Without phase 2+ the stored route is used.
   */
  readonly directDelivery: boolean;
  /**
   * The modem accepts `AT+CMMS=1` (TS 27.005 §3.5.6): the driver sends it when more than one SMS
   * is queued, so the relay link stays up between them. False for firmware that rejects it.
   */
  readonly moreMessagesToSend: boolean;
  /**
   * How long the modem waits for `AT+CNMA` after `+CMT`/`+CDS` before it refuses the message and
   * switches routing off (TS 27.005 §3.4.4 leaves the time to the ME). A persistence still
   * running at half of it is given up with `AT+CNMA=2`, so routing stays on.
   */
  readonly cnmaTimeoutMs: number;
  /** Final result timeout of ordinary commands. */
  readonly commandTimeoutMs: number;
  /** Time from Ctrl-Z to `+CMGS` (Kannel 20 s; some networks are slower). */
  readonly sendTimeoutMs: number;
  /** Time from `AT+CMGS=<n>` to the `> ` prompt. */
  readonly promptTimeoutMs: number;
  /** Commands of the reset escalation, in order (after re-initialisation failed). */
  readonly resetCommands: readonly string[];
  /** Time a modem needs after a reset command before it answers again. */
  readonly resetSettleMs: number;
  readonly quirks: readonly ModemQuirk[];
}

/**
 * The generic 3GPP profile: what TS 27.005/27.007 promise, with ModemManager's CNMI fallbacks.
 * With phase 2+ each mt=1 entry is tried first as mt=2 (`directDelivery`): `+CMT` acknowledged
 * with `AT+CNMA` after persisting is as durable as storing (the network redelivers) at half the
 * commands. Without phase 2+, mt=1 (store, announce with `+CMTI`) comes before mt=2: a stored
 * SMS survives a gateway crash on the modem until it was persisted and deleted.
 */
export const GENERIC_PROFILE: ModemProfile = Object.freeze({
  name: 'generic',
  description: 'Any modem that follows 3GPP TS 27.005 and TS 27.007',
  match: {},
  initCommands: [],
  cnmiPreferences: ['2,1,0,2,0', '2,1,0,1,0', '1,1,0,2,0', '1,1,0,1,0', '2,1,0,0,0', '1,1,0,0,0', '2,2,0,1,0'],
  storagePreferences: ['ME', 'MT', 'SM'],
  statusReportRoute: 'cdsi',
  directDelivery: true,
  moreMessagesToSend: true,
  cnmaTimeoutMs: 15_000,
  commandTimeoutMs: 10_000,
  sendTimeoutMs: 60_000,
  promptTimeoutMs: 5_000,
  resetCommands: ['AT+CFUN=1,1'],
  resetSettleMs: 10_000,
  quirks: [],
});

/** The first profile whose `match` fits the identity, else {@link GENERIC_PROFILE}. */
export function selectProfile(
  profiles: readonly ModemProfile[],
  identity: { readonly manufacturer: string; readonly model: string },
): ModemProfile {
  for (const profile of profiles) {
    const { manufacturer, model } = profile.match;
    if (manufacturer === undefined && model === undefined) continue;
    const fits = (pattern: string | undefined, value: string): boolean => pattern === undefined || new RegExp(pattern, 'i').test(value);
    if (fits(manufacturer, identity.manufacturer) && fits(model, identity.model)) return profile;
  }
  return GENERIC_PROFILE;
}
