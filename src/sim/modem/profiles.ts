/**
 * Behaviour profiles of the simulated modem: identity strings, boot banner, capability ranges and
 * the quirks of real firmware that drivers must survive. A small table in code (python-gsmmodem
 * `test/fakemodems.py` style): one entry per modem family, no behaviour beyond data.
 */

/** Message storages of TS 27.005 §3.2.2 that the simulator models. */
export type SmsMemory = 'SM' | 'ME' | 'SR';

/** Names of the built-in profiles. */
export type SimProfileName = 'generic' | 'sim800' | 'ec25' | 'huawei';

/** One unsolicited line of the boot banner. */
export interface BootUrc {
  /**
   * The line. `{cpin}` is replaced by the SIM state as `+CPIN:` prints it (`READY`, `SIM PIN`,
   * `SIM PUK`, `NOT INSERTED`); a line containing `{cpin}` is skipped while the SIM is busy.
   */
  readonly text: string;
  /** Milliseconds after the end of the boot delay at which the line appears. */
  readonly afterMs: number;
}

/** A modem family as the simulator plays it. All fields are read-only data. */
export interface SimModemProfile {
  readonly name: SimProfileName;
  /** `AT+CGMI` / `AT+GMI`. */
  readonly manufacturer: string;
  /** `AT+CGMM` / `AT+GMM`. */
  readonly model: string;
  /** `AT+CGMR` / `AT+GMR`. */
  readonly revision: string;
  /** `ATI` information lines (V.250 §6.1.3); `{imei}` is replaced by the IMEI. */
  readonly identification: readonly string[];
  /** Lines emitted after a (re)boot, in order. */
  readonly bootUrcs: readonly BootUrc[];
  /** Lines emitted when the SIM becomes ready after `AT+CPIN` (the PIN-less boot uses `bootUrcs`). */
  readonly simReadyUrcs: readonly string[];
  /** `AT+CNMI=?` parameter ranges, also used to validate `AT+CNMI=` (TS 27.005 §3.4.1). */
  readonly cnmiRanges: string;
  /** `<mode>,<mt>,<bm>,<ds>,<bfr>` after power-up and `AT+CFUN=1,1`. */
  readonly cnmiDefault: readonly [number, number, number, number, number];
  /** `AT+CPMS=?`: storages allowed as `<mem1>`, `<mem2>`, `<mem3>` (TS 27.005 §3.2.2). */
  readonly cpmsAllowed: readonly [readonly SmsMemory[], readonly SmsMemory[], readonly SmsMemory[]];
  /** `<mem1>,<mem2>,<mem3>` after power-up. */
  readonly cpmsDefault: readonly [SmsMemory, SmsMemory, SmsMemory];
  /** Index of the first slot of each storage (SIMCom and most SIMs count from 1, Quectel ME from 0). */
  readonly firstIndex: Readonly<Record<SmsMemory, number>>;
  /** Storage that receives status reports with `<ds>`=2. */
  readonly statusReportMemory: SmsMemory;
  /**
   * Quirk: the storage named in `+CDSI` differs from where the report really is. Quectel EC25
   * firmware announces `+CDSI: "SM",<i>` but stores in SR (asterisk-chan-quectel PR#75), so
   * `AT+CMGR=<i>` on SM returns another message or nothing. Null: announce the true storage.
   */
  readonly cdsiAnnouncedMemory: SmsMemory | null;
  /** Access technology (TS 27.007 §7.3 `<AcT>`) printed by `+COPS?`/`+CREG`; null: GSM-only firmware that omits it. */
  readonly accessTechnology: number | null;
  /** Whether `AT+CEREG` exists (LTE modems). */
  readonly supportsEps: boolean;
  /**
   * Quirk: `AT+CMGS` fails with `+CMS ERROR: 322` while the receive storage is full (smstools
   * `receive_before_send`: "modems that cannot send SM with a full SIM card").
   */
  readonly cmgsFailsWhenFull: boolean;
  /** Period of `^RSSI: <n>` URCs in ms (Huawei); 0 = none. `AT^CURC=0` silences them. */
  readonly rssiUrcIntervalMs: number;
  /** URC when an incoming SMS finds its storage full (`{mem}` = storage), or null. */
  readonly memoryFullUrc: string | null;
  /** Whether the Huawei vendor commands `AT^CURC` and `AT^PORTSEL` exist. */
  readonly huaweiCurc: boolean;
  /**
   * Whether `AT+CSMS=1` (phase 2+, TS 27.005 §3.2.1) is supported. False plays firmware that
   * offers only service 0: `AT+CSMS=1` answers `+CMS ERROR: 303` and `AT+CNMA` is never needed.
   */
  readonly phase2Plus: boolean;
  /** Whether `AT+CMMS` exists; false answers `+CMS ERROR: 500` to it (Huawei E1752, gammu#138). */
  readonly moreMessagesToSend: boolean;
  /**
   * Whether `AT+CMGD` takes `<delflag>` (TS 27.005 §3.5.4). False plays firmware without it:
   * `AT+CMGD=?` answers `+CMGD: (<indexes>)` only and `AT+CMGD=<i>,<delflag>` answers ERROR.
   */
  readonly deleteFlags: boolean;
  /**
   * How a command line with more than one command (V.250 §5.2.1 concatenation, as the batched
   * stored reader's `AT+CMGD=<i>,1;+CMGL=0`) is taken. `all`: every command runs, in order.
   * Quirks of firmware that takes one command per line: `refuse` answers ERROR and runs none;
   * `first` runs the first and answers ERROR for the line (V.250: an error ends the line), so the
   * first took effect though the line failed.
   */
  readonly concatenation: 'all' | 'refuse' | 'first';
}

const STANDARD_CPMS: SimModemProfile['cpmsAllowed'] = [['SM', 'ME', 'SR'], ['SM', 'ME', 'SR'], ['SM', 'ME']];

const GENERIC: SimModemProfile = {
  name: 'generic',
  manufacturer: 'SimModem',
  model: 'SIM-LTE-1',
  revision: 'SIMLTE1.0.0',
  identification: ['SimModem', 'SIM-LTE-1', 'Revision: SIMLTE1.0.0'],
  bootUrcs: [{ text: 'RDY', afterMs: 0 }],
  simReadyUrcs: ['+CPIN: READY'],
  cnmiRanges: '(0-2),(0-3),(0,2),(0-2),(0,1)',
  cnmiDefault: [0, 0, 0, 0, 0],
  cpmsAllowed: STANDARD_CPMS,
  cpmsDefault: ['SM', 'SM', 'SM'],
  firstIndex: { SM: 1, ME: 1, SR: 1 },
  statusReportMemory: 'SR',
  cdsiAnnouncedMemory: null,
  accessTechnology: 7,
  supportsEps: true,
  cmgsFailsWhenFull: false,
  rssiUrcIntervalMs: 0,
  memoryFullUrc: null,
  huaweiCurc: false,
  phase2Plus: true,
  moreMessagesToSend: true,
  deleteFlags: true,
  concatenation: 'all',
};

const SIM800: SimModemProfile = {
  ...GENERIC,
  name: 'sim800',
  manufacturer: 'SIMCOM_Ltd',
  model: 'SIMCOM_SIM800L',
  revision: 'Revision:1418B04SIM800L24',
  identification: ['SIM800 R14.18'],
  // SIM800 hardware design notes: RDY at power-on, then +CFUN/+CPIN, Call Ready and SMS Ready
  // a few seconds later when the SIM has been read.
  bootUrcs: [
    { text: 'RDY', afterMs: 0 },
    { text: '+CFUN: 1', afterMs: 0 },
    { text: '+CPIN: {cpin}', afterMs: 0 },
    { text: 'Call Ready', afterMs: 50 },
    { text: 'SMS Ready', afterMs: 60 },
  ],
  simReadyUrcs: ['+CPIN: READY', 'Call Ready', 'SMS Ready'],
  cnmiRanges: '(0-3),(0-3),(0,2),(0,1),(0,1)',
  cnmiDefault: [2, 1, 0, 0, 0],
  cpmsAllowed: [['SM', 'ME'], ['SM', 'ME'], ['SM', 'ME']],
  statusReportMemory: 'SM',
  accessTechnology: null,
  supportsEps: false,
  cmgsFailsWhenFull: true,
};

const EC25: SimModemProfile = {
  ...GENERIC,
  name: 'ec25',
  manufacturer: 'Quectel',
  model: 'EC25',
  revision: 'EC25EFAR06A06M4G',
  identification: ['Quectel', 'EC25', 'Revision: EC25EFAR06A06M4G'],
  bootUrcs: [
    { text: 'RDY', afterMs: 0 },
    { text: '+CPIN: {cpin}', afterMs: 20 },
    { text: '+QUSIM: 1', afterMs: 20 },
    { text: '+QIND: SMS DONE', afterMs: 40 },
    { text: '+QIND: PB DONE', afterMs: 60 },
  ],
  simReadyUrcs: ['+CPIN: READY', '+QUSIM: 1', '+QIND: SMS DONE'],
  cnmiDefault: [2, 1, 0, 0, 0],
  // gammu#550: Quectel reports `+CMTI: "ME",0`, the ME storage counts from 0.
  firstIndex: { SM: 1, ME: 0, SR: 1 },
  cdsiAnnouncedMemory: 'SM',
};

const HUAWEI: SimModemProfile = {
  ...GENERIC,
  name: 'huawei',
  manufacturer: 'huawei',
  model: 'E3372',
  revision: '22.200.15.00.00',
  identification: ['Manufacturer: huawei', 'Model: E3372', 'Revision: 22.200.15.00.00', 'IMEI: {imei}', '+GCAP: +CGSM,+DS,+ES'],
  bootUrcs: [
    { text: '^BOOT:24374563,0,0,0,75', afterMs: 0 },
    { text: '^SIMST: 1', afterMs: 10 },
  ],
  simReadyUrcs: ['^SIMST: 1'],
  accessTechnology: 2,
  rssiUrcIntervalMs: 5000,
  memoryFullUrc: '^SMMEMFULL: "{mem}"',
  huaweiCurc: true,
};

/** The built-in profiles by name. Frozen; pass a name to {@link SimModem.start}. */
export const SIM_PROFILES: Readonly<Record<SimProfileName, SimModemProfile>> = Object.freeze({
  generic: deepFreeze(GENERIC),
  sim800: deepFreeze(SIM800),
  ec25: deepFreeze(EC25),
  huawei: deepFreeze(HUAWEI),
});

/** Freezes a profile and everything in it, so no test can change a shared table entry. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses a TS 27.005 range list such as `(0-2),(0-3),(0,2)` into one set of allowed values per
 * parameter. Pure; throws `RangeError` on text that is not such a list (a defect in a profile).
 */
export function parseParameterRanges(text: string): ReadonlyArray<ReadonlySet<number>> {
  const groups = text.match(/\(([^)]*)\)/g);
  if (groups === null) throw new RangeError(`not a parameter range list: ${text}`);
  return groups.map((group) => {
    const values = new Set<number>();
    for (const item of group.slice(1, -1).split(',')) {
      const match = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(item);
      if (match === null) throw new RangeError(`bad range "${item}" in ${text}`);
      const low = Number(match[1]);
      const high = match[2] === undefined ? low : Number(match[2]);
      for (let v = low; v <= high; v++) values.add(v);
    }
    return values;
  });
}
