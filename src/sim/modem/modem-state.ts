/**
 * Options and mutable settings of the simulated modem: what `ATZ`, `AT&F` and a reboot reset,
 * and what survives them because it lives on the SIM (PIN, retry counters, TP-MR, SMSC address).
 */
import { SIM_PROFILES, type SimModemProfile, type SimProfileName, type SmsMemory } from './profiles.ts';
import { DEFAULT_STORAGE_CAPACITY, type StorageCapacity } from './sms-storage.ts';

/** TS 27.007 §7.2 `<stat>` of `+CREG`/`+CGREG`/`+CEREG`. */
export const REG_STAT = {
  NOT_REGISTERED: 0,
  HOME: 1,
  SEARCHING: 2,
  DENIED: 3,
  UNKNOWN: 4,
  ROAMING: 5,
} as const;

/** Registration outcome the simulated network grants once the modem searched. */
export type RegistrationOutcome = 'home' | 'roaming' | 'denied' | 'none';

/** Options of the AT engine. Every field is optional; defaults are listed per field. */
export interface AtEngineOptions {
  /** Modem family. @defaultValue 'generic' */
  readonly profile?: SimProfileName | SimModemProfile;
  /** Own number for `AT+CNUM` (`+49…`); null hides it. @defaultValue null */
  readonly msisdn?: string | null;
  /** `AT+CGSN`. @defaultValue '356938035643809' */
  readonly imei?: string;
  /** `AT+CIMI`. @defaultValue '001010123456789' */
  readonly imsi?: string;
  /** SIM PIN; null means the SIM asks for none. @defaultValue null */
  readonly pin?: string | null;
  /** SIM PUK. @defaultValue '12345678' */
  readonly puk?: string;
  /** False simulates a missing SIM (`+CME ERROR: 10`, `+CMS ERROR: 310`). @defaultValue true */
  readonly simPresent?: boolean;
  /** After each boot `AT+CPIN?` answers `+CME ERROR: 14` (SIM busy) for this long. @defaultValue 0 */
  readonly lateSimMs?: number;
  /** After the SIM becomes ready, SMS commands answer `+CMS ERROR: 314` for this long. @defaultValue 0 */
  readonly simInitMs?: number;
  /** What the network grants. @defaultValue 'home' */
  readonly registration?: RegistrationOutcome;
  /** Time from SIM ready (and `AT+CFUN=1`) to registration; `<stat>` is 2 meanwhile. @defaultValue 20 */
  readonly registerDelayMs?: number;
  /** Time from `AT+CFUN=1,1` (or a reboot fault) to the banner; the modem is deaf meanwhile. @defaultValue 300 */
  readonly rebootDelayMs?: number;
  /** Extra time between the network's answer to a submit and `+CMGS: <mr>`. @defaultValue 0 */
  readonly cmgsLatencyMs?: number;
  /**
   * Time to set up the relay link (TS 24.011) before a submit, added to `cmgsLatencyMs` unless
   * an `AT+CMMS` hold keeps the link of the previous submit up (TS 27.005 §3.5.6). @defaultValue 0
   */
  readonly relayLinkSetupMs?: number;
  /**
   * How long `AT+CMMS=1` keeps the link after a send's result (TS 27.005 §3.5.6 leaves 1–5 s to
   * the ME). @defaultValue 2000
   */
  readonly cmmsHoldMs?: number;
  /** Time for the network's answer to a submit before `+CMS ERROR: 332`. @defaultValue 30000 */
  readonly submitTimeoutMs?: number;
  /** Time the host has for `AT+CNMA` after `+CMT`/`+CDS` when `AT+CSMS=1` (TS 27.005 §3.4.4). @defaultValue 15000 */
  readonly cnmaTimeoutMs?: number;
  /** `AT+CSQ` `<rssi>` 0..31 (99 unknown). @defaultValue 20 */
  readonly rssi?: number;
  /** Long operator name for `+COPS`. @defaultValue 'SimNet' */
  readonly operatorName?: string;
  /** Numeric operator (MCC+MNC) for `+COPS` format 2. @defaultValue '00101' */
  readonly operatorNumeric?: string;
  /** Location/tracking area code, 4 hex digits. @defaultValue '1A2B' */
  readonly lac?: string;
  /** Cell id, hex. @defaultValue '01A2B3C4' */
  readonly cellId?: string;
  /** SMSC address for `AT+CSCA?` and PDUs with an empty SMSC field. @defaultValue '+491710760000' */
  readonly smscAddress?: string;
  /** Storage capacities in messages. @defaultValue `{ SM: 30, ME: 100, SR: 20 }` */
  readonly storageCapacity?: Partial<StorageCapacity>;
  /** TP-MR of the first SMS sent, 0..255; later ones count up and wrap to 0. @defaultValue 0 */
  readonly messageReferenceStart?: number;
  /** Overrides the profile's `cmgsFailsWhenFull` quirk. */
  readonly cmgsFailsWhenFull?: boolean;
  /** Longest command line accepted, in characters; longer lines get `ERROR`. @defaultValue 2048 */
  readonly maxCommandLineChars?: number;
}

/** {@link AtEngineOptions} with every default applied and the profile resolved. */
export interface ResolvedEngineOptions extends Required<Omit<AtEngineOptions, 'profile' | 'storageCapacity' | 'msisdn' | 'pin'>> {
  readonly profile: SimModemProfile;
  readonly storageCapacity: StorageCapacity;
  readonly msisdn: string | null;
  readonly pin: string | null;
}

/** Applies the defaults. @throws RangeError for an unknown profile name or an out-of-range number. */
export function resolveEngineOptions(options: AtEngineOptions): ResolvedEngineOptions {
  const profile = typeof options.profile === 'object' ? options.profile : SIM_PROFILES[options.profile ?? 'generic'];
  if (profile === undefined) throw new RangeError(`unknown modem profile: ${String(options.profile)}`);
  const mrStart = options.messageReferenceStart ?? 0;
  if (!Number.isInteger(mrStart) || mrStart < 0 || mrStart > 255) throw new RangeError(`"messageReferenceStart" must be 0..255: ${mrStart}`);
  return {
    profile,
    msisdn: options.msisdn ?? null,
    imei: options.imei ?? '356938035643809',
    imsi: options.imsi ?? '001010123456789',
    pin: options.pin ?? null,
    puk: options.puk ?? '12345678',
    simPresent: options.simPresent ?? true,
    lateSimMs: options.lateSimMs ?? 0,
    simInitMs: options.simInitMs ?? 0,
    registration: options.registration ?? 'home',
    registerDelayMs: options.registerDelayMs ?? 20,
    rebootDelayMs: options.rebootDelayMs ?? 300,
    cmgsLatencyMs: options.cmgsLatencyMs ?? 0,
    relayLinkSetupMs: options.relayLinkSetupMs ?? 0,
    cmmsHoldMs: options.cmmsHoldMs ?? 2000,
    submitTimeoutMs: options.submitTimeoutMs ?? 30_000,
    cnmaTimeoutMs: options.cnmaTimeoutMs ?? 15_000,
    rssi: options.rssi ?? 20,
    operatorName: options.operatorName ?? 'SimNet',
    operatorNumeric: options.operatorNumeric ?? '00101',
    lac: options.lac ?? '1A2B',
    cellId: options.cellId ?? '01A2B3C4',
    smscAddress: options.smscAddress ?? '+491710760000',
    storageCapacity: { ...DEFAULT_STORAGE_CAPACITY, ...options.storageCapacity },
    messageReferenceStart: mrStart,
    cmgsFailsWhenFull: options.cmgsFailsWhenFull ?? profile.cmgsFailsWhenFull,
    maxCommandLineChars: options.maxCommandLineChars ?? 2048,
  };
}

/** SIM state as `AT+CPIN?` sees it. `blocked`: the PUK was wrong 10 times (`+CME ERROR: 13`). */
export type SimState = 'absent' | 'busy' | 'pin' | 'puk' | 'ready' | 'blocked';

/** `AT+CNMI` parameters (TS 27.005 §3.4.1). */
export interface CnmiSettings {
  mode: number;
  mt: number;
  bm: number;
  ds: number;
  bfr: number;
}

/** What lives on the SIM and survives a reboot. */
export interface SimCard {
  pin: string | null;
  pinAttemptsLeft: number;
  pukAttemptsLeft: number;
  /** Next TP-MR (TS 23.040 §9.2.3.6), 0..255. */
  nextMessageReference: number;
  /** `AT+CSCA` address and type of address. */
  smsc: { address: string; type: number };
}

/** Settings reset by `ATZ`/`AT&F` (V.250 §6.1.1, §6.1.2) and by a reboot. */
export interface V250Settings {
  echo: boolean;
  verbose: boolean;
  quiet: boolean;
  /** `ATX<n>`, `AT&C<n>`, `AT&D<n>`, stored only. */
  x: number;
  ampC: number;
  ampD: number;
  /** S-registers 0..12 (V.250 §6.2); S3 = line terminator, S4 = response formatting, S5 = backspace. */
  sRegisters: number[];
  /** `AT+CMEE` (TS 27.007 §9.1). */
  cmee: number;
  /** `AT+CREG`/`AT+CGREG`/`AT+CEREG` `<n>`. */
  cregMode: number;
  cgregMode: number;
  ceregMode: number;
  /** `AT+CMGF` (TS 27.005 §3.2.3): 0 PDU, 1 text. */
  cmgf: number;
  /** `AT+CSDH` (TS 27.005 §3.3.3). */
  csdh: number;
  /** `AT+CSCS` (TS 27.007 §5.5). */
  cscs: string;
  /** `AT+COPS` `<format>`: 0 long, 1 short, 2 numeric. */
  copsFormat: number;
}

/** Everything a reboot resets, plus the SIM. */
export interface ModemState {
  v250: V250Settings;
  sim: SimState;
  card: SimCard;
  /** `scheduler.nowMs()` before which SMS commands answer `+CMS ERROR: 314`. */
  smsReadyAtMs: number;
  cfun: number;
  regStat: number;
  /** The `<stat>` the network grants when the modem registers. */
  regTarget: number;
  rssi: number;
  /** Huawei `AT^CURC`: periodic URCs on. */
  curc: boolean;
  /** Huawei `AT^PORTSEL`: the port chosen for URCs (stored and reported; the simulator has one port). */
  portsel: number;
  /** `AT+CGATT` (TS 27.007 §10.1.9): false after `AT+CGATT=0` until `AT+CGATT=1`. */
  psAttachWanted: boolean;
  /** `AT+CUSD` `<n>` (TS 27.007 §7.15): 1 presents `+CUSD` result codes. */
  cusd: number;
  /** `AT+CSMS` `<service>`. */
  csms: number;
  /** `AT+CPMS` `<mem1>,<mem2>,<mem3>`. */
  cpms: [SmsMemory, SmsMemory, SmsMemory];
  cnmi: CnmiSettings;
  /** `AT+CMMS` (TS 27.005 §3.5.6). */
  cmms: number;
  /** Scheduler time until which the relay link of the last submit is held (0: no link up). */
  relayLinkUntilMs: number;
  /** `AT+CSMP` `<fo>,<vp>,<pid>,<dcs>` (TS 27.005 §3.3.2). */
  csmp: [number, number, number, number];
  /** The last command line, for `A/` (V.250 §6.2.4). */
  lastCommandLine: string | null;
}

/** V.250 defaults: echo on, verbose, results on, S3=CR, S4=LF, S5=BS. */
export function defaultV250(): V250Settings {
  const sRegisters = new Array<number>(13).fill(0);
  sRegisters[2] = 43;
  sRegisters[3] = 13;
  sRegisters[4] = 10;
  sRegisters[5] = 8;
  sRegisters[6] = 2;
  sRegisters[7] = 50;
  sRegisters[8] = 2;
  sRegisters[10] = 14;
  sRegisters[12] = 50;
  return {
    echo: true,
    verbose: true,
    quiet: false,
    x: 4,
    ampC: 1,
    ampD: 2,
    sRegisters,
    cmee: 0,
    cregMode: 0,
    cgregMode: 0,
    ceregMode: 0,
    cmgf: 0,
    csdh: 0,
    cscs: 'IRA',
    copsFormat: 0,
  };
}

function registrationStat(outcome: RegistrationOutcome): number {
  switch (outcome) {
    case 'home':
      return REG_STAT.HOME;
    case 'roaming':
      return REG_STAT.ROAMING;
    case 'denied':
      return REG_STAT.DENIED;
    case 'none':
      return REG_STAT.NOT_REGISTERED;
  }
}

/** A new SIM as configured. */
export function newSimCard(options: ResolvedEngineOptions): SimCard {
  return {
    pin: options.pin,
    pinAttemptsLeft: 3,
    pukAttemptsLeft: 10,
    nextMessageReference: options.messageReferenceStart,
    smsc: { address: options.smscAddress, type: options.smscAddress.startsWith('+') ? 145 : 129 },
  };
}

/**
 * The state right after power-up: V.250 defaults, CNMI/CPMS from the profile, not registered,
 * and the SIM `busy` (the caller turns it `pin`/`ready`/`absent` when the late-SIM time ends).
 * `card` carries over from before the reboot.
 */
export function powerOnState(options: ResolvedEngineOptions, card: SimCard): ModemState {
  const [mode, mt, bm, ds, bfr] = options.profile.cnmiDefault;
  return {
    v250: defaultV250(),
    sim: 'busy',
    card,
    smsReadyAtMs: 0,
    cfun: 1,
    regStat: REG_STAT.NOT_REGISTERED,
    regTarget: registrationStat(options.registration),
    rssi: options.rssi,
    curc: true,
    portsel: 0,
    psAttachWanted: true,
    cusd: 0,
    csms: 0,
    cpms: [...options.profile.cpmsDefault],
    cnmi: { mode, mt, bm, ds, bfr },
    cmms: 0,
    relayLinkUntilMs: 0,
    csmp: [17, 167, 0, 0],
    lastCommandLine: null,
  };
}

/** The state the SIM settles in once readable: `absent`, `blocked`, `puk`, `pin` or `ready`. */
export function settledSimState(options: ResolvedEngineOptions, card: SimCard): SimState {
  if (!options.simPresent) return 'absent';
  if (card.pukAttemptsLeft <= 0) return 'blocked';
  if (card.pinAttemptsLeft <= 0) return 'puk';
  return card.pin === null ? 'ready' : 'pin';
}

/** The `+CPIN:` text of a SIM state, or null for states answered by an error. */
export function cpinText(sim: SimState): string | null {
  switch (sim) {
    case 'ready':
      return 'READY';
    case 'pin':
      return 'SIM PIN';
    case 'puk':
      return 'SIM PUK';
    default:
      return null;
  }
}
