/**
 * Modem initialisation by capability probing (TS 27.007, TS 27.005), not one hard-coded recipe:
 * the sequence of Kannel/smstools/ModemManager (../shared/reference/modem-gateways.md §1–§4)
 * with the lessons of §6: storage and indication chosen from what the modem says it supports,
 * the PIN entered once and never retried, PUK reported and never guessed, a late SIM waited for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../shared/errors.ts';
import { parseInformationLine, parseRangeList, rangeListIncludes, type RangeList } from './at/line-parser.ts';
import type { AtChannel } from './at-channel.ts';
import { AtCommandError } from './at-errors.ts';
import { selectProfile, type ModemProfile } from './profile.ts';

/** Remembers PINs a SIM rejected, across restarts (see {@link ModemInitOptions.pinGuard}). */
export interface PinGuard {
  wasRejected(pin: string): Promise<boolean>;
  markRejected(pin: string): Promise<void>;
}

/** What a modem says about itself (TS 27.007 §5). */
export interface ModemIdentity {
  readonly manufacturer: string;
  readonly model: string;
  readonly revision: string;
  readonly imei: string;
  readonly imsi: string | null;
  /** The SIM's own number from `AT+CNUM`, when the SIM has it. */
  readonly ownNumber: string | null;
}

/** The result of a successful initialisation. */
export interface ModemSetup {
  readonly identity: ModemIdentity;
  readonly profile: ModemProfile;
  /** Storage used for reading, writing and receiving (`AT+CPMS` mem1..mem3). */
  readonly storage: string;
  /** Every storage the modem can read from (swept with `AT+CMGL=4`). */
  readonly readableStorages: readonly string[];
  readonly storageUsed: number;
  readonly storageTotal: number;
  /** The `AT+CNMI` setting in force. */
  readonly cnmi: string;
  /** `AT+CSMS=1` took: `+CMT` and `+CDS` must be acknowledged with `AT+CNMA`. */
  readonly cnmaRequired: boolean;
  /**
   * How SMS arrive: `direct` (`<mt>`=2, `+CMT`, one `AT+CNMA` each after persisting) or `stored`
   * (`+CMTI`, then `AT+CMGR` and `AT+CMGD`). Class 2 SMS are stored on either route.
   */
  readonly receiveRoute: 'direct' | 'stored';
  /**
   * On the direct route: the same setting with `<mt>`=1 (store and announce with `+CMTI`) when
   * the modem's `AT+CNMI=?` offers it, for the adaptive route's bursts (receive-route.ts); null
   * otherwise.
   */
  readonly storedCnmi: string | null;
}

/** What initialisation needs from the configuration. */
export interface ModemInitOptions {
  /** SIM PIN, entered at most once per SIM state (never retried after a rejection). */
  readonly pin: string | null;
  /**
   * Remembers a rejected PIN beyond this process, so a restart does not try it again (three
   * wrong PINs block the SIM). Absent: remembered for this initialisation only.
   */
  readonly pinGuard?: PinGuard;
  /** SMSC address to set with `AT+CSCA`, or null to keep the SIM's. */
  readonly smsc: string | null;
  /** Force a profile by name; null selects from the identity. */
  readonly profileName: string | null;
  /** How long to wait for a SIM that is busy or appears late. @defaultValue 30000 (smstools check_sim_wait) */
  readonly simWaitMs: number;
  /** Known profiles (from hardware/profiles); the generic one is used when none matches. */
  readonly profiles: readonly ModemProfile[];
  /**
   * Take the stored route even where the profile prefers direct delivery (`receiveRoute:
   * stored` in the modem's configuration). @defaultValue false
   */
  readonly preferStored?: boolean;
}


/** TS 27.007 §9.2.1 codes met during SIM checks. */
const CME_SIM_NOT_INSERTED = 10;
const CME_SIM_PIN_REQUIRED = 11;
const CME_SIM_PUK_REQUIRED = 12;
const CME_SIM_FAILURE = 13;
const CME_SIM_BUSY = 14;
const CME_INCORRECT_PASSWORD = 16;

async function firstLine(channel: AtChannel, command: string): Promise<string> {
  const { lines } = await channel.command(command);
  return (lines[0] ?? '').replace(/^\+\w+:\s*/, '').replace(/^"|"$/g, '').trim();
}

async function optional<T>(action: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof AtCommandError) return fallback;
    throw error;
  }
}

/** Reads `+CPIN: <code>`; SIM errors come back as their CME code. */
async function simState(channel: AtChannel): Promise<string | number> {
  try {
    const { lines } = await channel.command('AT+CPIN?');
    const fields = parseInformationLine(lines[0] ?? '', '+CPIN');
    return fields?.[0]?.toUpperCase() ?? 'UNKNOWN';
  } catch (error) {
    if (error instanceof AtCommandError && error.errorCode !== null) return error.errorCode;
    throw error;
  }
}

/**
 * Brings the SIM to READY. Enters the PIN once; a rejected PIN raises GW_ERR_MODEM_PIN_WRONG
 * and is never sent again (three wrong PINs block the SIM). PUK raises GW_ERR_MODEM_PUK_REQUIRED.
 * A busy or missing SIM is polled until `simWaitMs` (SIMs on some modems appear seconds late).
 */
export async function unlockSim(channel: AtChannel, pin: string | null, simWaitMs: number, pinGuard?: PinGuard): Promise<void> {
  const deadline = Date.now() + simWaitMs;
  let pinSent = false;
  for (;;) {
    const state = await simState(channel);
    if (state === 'READY') return;
    if (state === 'SIM PUK' || state === CME_SIM_PUK_REQUIRED) {
      throw new GatewayError('GW_ERR_MODEM_PUK_REQUIRED', 'the SIM needs its PUK; enter it by hand (the gateway never guesses)');
    }
    if ((state === 'SIM PIN' || state === CME_SIM_PIN_REQUIRED) && !pinSent) {
      if (pin === null) throw new GatewayError('GW_ERR_MODEM_SIM', 'the SIM asks for a PIN and none is configured');
      if (pinGuard && (await pinGuard.wasRejected(pin))) {
        throw new GatewayError('GW_ERR_MODEM_PIN_WRONG', 'the SIM rejected this PIN before; it is not tried again (configure the right PIN)');
      }
      pinSent = true;
      try {
        await channel.command(`AT+CPIN="${pin}"`);
      } catch (error) {
        if (error instanceof AtCommandError && (error.errorCode === CME_INCORRECT_PASSWORD || error.kind === 'error')) {
          await pinGuard?.markRejected(pin);
          throw new GatewayError('GW_ERR_MODEM_PIN_WRONG', 'the SIM rejected the configured PIN; it will not be tried again');
        }
        throw error;
      }
      continue;
    }
    const waiting = state === CME_SIM_BUSY || state === CME_SIM_NOT_INSERTED || state === CME_SIM_FAILURE || state === 'SIM PIN' || state === 'UNKNOWN';
    if (!waiting) throw new GatewayError('GW_ERR_MODEM_SIM', `the SIM asks for ${String(state)}, which the gateway does not handle`);
    if (Date.now() > deadline) throw new GatewayError('GW_ERR_MODEM_SIM', `the SIM is not ready after ${simWaitMs} ms (last state ${String(state)})`);
    await sleep(500);
  }
}

async function readIdentity(channel: AtChannel): Promise<Omit<ModemIdentity, 'imsi' | 'ownNumber'>> {
  return {
    manufacturer: await optional(() => firstLine(channel, 'AT+CGMI'), 'unknown'),
    model: await optional(() => firstLine(channel, 'AT+CGMM'), 'unknown'),
    revision: await optional(() => firstLine(channel, 'AT+CGMR'), 'unknown'),
    imei: await optional(() => firstLine(channel, 'AT+CGSN'), 'unknown'),
  };
}

async function readOwnNumber(channel: AtChannel): Promise<string | null> {
  const { lines } = await channel.command('AT+CNUM');
  for (const line of lines) {
    const number = parseInformationLine(line, '+CNUM')?.[1];
    if (number) return number;
  }
  return null;
}

/** Chooses the storage from `AT+CPMS=?` and the profile's preferences; sets it for all three uses. */
async function chooseStorage(channel: AtChannel, profile: ModemProfile): Promise<Pick<ModemSetup, 'storage' | 'readableStorages' | 'storageUsed' | 'storageTotal'>> {
  const { lines } = await channel.command('AT+CPMS=?');
  const groups = parseCpmsGroups(lines[0] ?? '');
  const [readable = [], writable = [], receivable = []] = groups;
  const storage = profile.storagePreferences.find((m) => readable.includes(m) && writable.includes(m) && receivable.includes(m))
    ?? receivable.find((m) => readable.includes(m)) ?? 'SM';
  const set = await channel.command(`AT+CPMS="${storage}","${storage}","${storage}"`);
  const fields = parseInformationLine(set.lines[0] ?? '', '+CPMS') ?? [];
  return {
    storage,
    readableStorages: readable.filter((m) => m !== 'BM'),
    storageUsed: Number(fields[0] ?? 0),
    storageTotal: Number(fields[1] ?? 0),
  };
}

/** `+CPMS: ("SM","ME"),("SM","ME"),("SM")` → [['SM','ME'],['SM','ME'],['SM']]. */
export function parseCpmsGroups(line: string): string[][] {
  const body = line.replace(/^\+CPMS:\s*/i, '');
  return [...body.matchAll(/\(([^)]*)\)/g)].map((m) => {
    const list = parseRangeList(`(${m[1] ?? ''})`, '+CPMS');
    return list.kind === 'strings' ? [...list.values].map((v) => v.toUpperCase()) : [];
  });
}

/** True when every field of `setting` is inside the matching range of `AT+CNMI=?`. */
export function cnmiFits(setting: string, supported: readonly RangeList[]): boolean {
  return setting.split(',').every((value, i) => {
    const allowed = supported[i];
    return allowed === undefined ? Number(value) === 0 : rangeListIncludes(allowed, Number(value));
  });
}

/**
 * The `AT+CNMI` settings to try, best first. With phase 2+ (`cnmaRequired`) and a profile that
 * prefers direct delivery, each preference that stores and announces (`<mt>`=1) is tried first
 * with `<mt>`=2 (TS 27.005 §3.4.1: class 0, 1 and 3 SMS routed as `+CMT`), then the preferences
 * as they are (the stored route). Without phase 2+ the ME would acknowledge a `+CMT` before the
 * gateway has it, so `<mt>`=2 is not added. `<mode>`=0 (URCs buffered in the TA) and `<mt>`=0
 * (a profile that chose polling) are left as they are.
 */
export function indicationCandidates(profile: ModemProfile, cnmaRequired: boolean): string[] {
  const direct = !cnmaRequired || !profile.directDelivery ? [] : profile.cnmiPreferences.flatMap((setting) => {
    const fields = setting.split(',');
    if (fields[0] === '0' || fields[1] !== '1') return [];
    fields[1] = '2';
    return [fields.join(',')];
  });
  return [...new Set([...direct, ...profile.cnmiPreferences])];
}

/** The route a CNMI setting gives: `<mt>`=2 routes SMS directly. */
export function receiveRouteOf(cnmi: string): ModemSetup['receiveRoute'] {
  return cnmi.split(',')[1] === '2' ? 'direct' : 'stored';
}

/**
 * The stored counterpart of a direct setting: `<mt>`=1, every other field kept, when it fits the
 * modem's `AT+CNMI=?` ranges; null when `direct` is not a direct setting or it does not fit.
 */
export function storedCounterpart(direct: string, supported: readonly RangeList[]): string | null {
  const fields = direct.split(',');
  if (fields[1] !== '2') return null;
  fields[1] = '1';
  const stored = fields.join(',');
  return cnmiFits(stored, supported) ? stored : null;
}

/** Picks and sets `AT+CNMI` from the candidates; a setting the modem refuses is skipped. */
async function chooseIndication(channel: AtChannel, candidates: readonly string[]): Promise<{ cnmi: string; storedCnmi: string | null }> {
  const { lines } = await channel.command('AT+CNMI=?');
  const body = (lines[0] ?? '').replace(/^\+CNMI:\s*/i, '');
  const supported = [...body.matchAll(/\(([^)]*)\)/g)].map((m) => parseRangeList(`(${m[1] ?? ''})`, '+CNMI'));
  for (const setting of candidates) {
    if (!cnmiFits(setting, supported)) continue;
    try {
      await channel.command(`AT+CNMI=${setting}`);
      return { cnmi: setting, storedCnmi: storedCounterpart(setting, supported) };
    } catch (error) {
      // ModemManager: Qualcomm modems announce ds=1 and then refuse it. Try the next one.
      if (!(error instanceof AtCommandError)) throw error;
    }
  }
  throw new GatewayError('GW_ERR_MODEM_INIT', `no new-message indication setting accepted (AT+CNMI=? said ${body})`);
}

/**
 * Runs the whole initialisation on an open channel. Raises GatewayError: GW_ERR_MODEM_PIN_WRONG,
 * GW_ERR_MODEM_PUK_REQUIRED, GW_ERR_MODEM_SIM (SIM problems), GW_ERR_MODEM_INIT (no PDU mode,
 * no indication); AT timeouts and a closed port pass through.
 */
export async function initialiseModem(channel: AtChannel, options: ModemInitOptions): Promise<ModemSetup> {
  await optional(() => channel.command('AT'), null); // wake-up; a half-typed line gets ERROR
  await channel.command('AT');
  await channel.command('ATE0');
  await optional(() => channel.command('ATV1'), null);
  await optional(() => channel.command('AT+CMEE=1'), null);
  const base = await readIdentity(channel);
  const named = options.profiles.find((p) => p.name === options.profileName);
  if (options.profileName !== null && named === undefined) {
    throw new GatewayError('GW_ERR_MODEM_INIT', `unknown modem profile "${options.profileName}"`);
  }
  const profile = named ?? selectProfile(options.profiles, base);
  await unlockSim(channel, options.pin, options.simWaitMs, options.pinGuard);
  for (const command of profile.initCommands) await channel.command(command);
  const imsi = await optional(() => firstLine(channel, 'AT+CIMI'), null);
  const ownNumber = await optional(() => readOwnNumber(channel), null);
  try {
    await channel.command('AT+CMGF=0');
  } catch (error) {
    if (error instanceof AtCommandError) throw new GatewayError('GW_ERR_MODEM_INIT', 'the modem refuses PDU mode (AT+CMGF=0)');
    throw error;
  }
  // TS 27.005 §3.2.1: service 1 (phase 2+) makes +CMT/+CDS need AT+CNMA.
  const cnmaRequired = await optional(async () => {
    await channel.command('AT+CSMS=1');
    return true;
  }, false);
  const storage = await chooseStorage(channel, profile);
  const routeProfile = options.preferStored === true ? { ...profile, directDelivery: false } : profile;
  const { cnmi, storedCnmi } = await chooseIndication(channel, indicationCandidates(routeProfile, cnmaRequired));
  if (options.smsc !== null) {
    const international = options.smsc.startsWith('+');
    await channel.command(`AT+CSCA="${options.smsc}",${international ? 145 : 129}`);
  }
  // Registration URCs with location (n=2), falling back to n=1; LTE (+CEREG) where supported.
  if (!(await optional(async () => (await channel.command('AT+CREG=2'), true), false))) {
    await optional(() => channel.command('AT+CREG=1'), null);
  }
  await optional(() => channel.command('AT+CEREG=2'), null);
  return { identity: { ...base, imsi, ownNumber }, profile, ...storage, cnmi, cnmaRequired, receiveRoute: receiveRouteOf(cnmi), storedCnmi };
}
