/**
 * The `smsbridge pdu decode` / `pdu encode` contract, checked against the real executable run as
 * a child process (the `bin` entry of package.json: the compiled dist/main.js, cwd = repository root).
 * Assertions are grouped and independent spawns run in parallel.
 */
import { spawn } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { BIN, ROOT, RUN_SAFETY_TIMEOUT_MS, smsbridge, smsbridgeWith, type Run } from '../support/smsbridge-cli.ts';

/** A generous safety net for a test that runs a few processes (never a speed check). */
const TIMEOUT = RUN_SAFETY_TIMEOUT_MS + 30_000;

/** Parses text that must be exactly one JSON object on one line (trailing newline allowed). */
function oneJsonObject(text: string, where: string): Record<string, unknown> {
  const lines = text.split('\n').filter((line) => line.length > 0);
  expect(lines, `${where}: ${JSON.stringify(text)}`).toHaveLength(1);
  const value: unknown = JSON.parse(lines[0] ?? '');
  expect(value !== null && typeof value === 'object' && !Array.isArray(value), `${where} is an object`).toBe(true);
  return value as Record<string, unknown>;
}

/** Exit 0, nothing on stderr, one JSON object on stdout. */
function success(run: Run, what: string): Record<string, unknown> {
  expect({ code: run.code, stderr: run.stderr }, what).toEqual({ code: 0, stderr: '' });
  return oneJsonObject(run.stdout, `${what} stdout`);
}

/** Exit 1 and nothing on stdout; returns stderr. */
function failure(run: Run, what: string): string {
  expect({ code: run.code, stdout: run.stdout }, what).toEqual({ code: 1, stdout: '' });
  expect(run.stderr.trim(), `${what} says why on stderr`).not.toBe('');
  return run.stderr;
}

const DECODE_KEYS = [
  'type',
  'smsc',
  'address',
  'mr',
  'pid',
  'dcs',
  'encoding',
  'text',
  'dataHex',
  'udh',
  'concat',
  'ports',
  'timestamp',
  'dischargeTime',
  'status',
  'statusReportRequested',
].sort();

/** Checks the exact key set and returns the object for value checks. */
function decoded(run: Run, what: string): Record<string, unknown> {
  const json = success(run, what);
  expect(Object.keys(json).sort(), `${what} keys`).toEqual(DECODE_KEYS);
  return json;
}

// --- Hand-built vectors ------------------------------------------------------------------------

/** The classic SMS-DELIVER example (GSM 03.40 era), "hellohello" from 27838890001. */
const CLASSIC_DELIVER = '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37';

/** SMS-DELIVER, 8-bit, part 1 of 2 with concatenation and 16-bit ports (LwM2M over SMS). */
const DELIVER_CONCAT_PORTS =
  '07' + //           SMSC length: 7 octets (type + 6)
  '91' + //           international, ISDN
  '947102000000' + // +491720000000
  '44' + //           TP-MTI 00 DELIVER, TP-MMS 1 (no more messages, 0x04), TP-UDHI 1 (0x40)
  '0C' + //           TP-OA length: 12 digits
  '91' + //           international, ISDN
  '947110325476' + // +491701234567
  '00' + //           TP-PID
  '04' + //           TP-DCS 8-bit data
  '42507101030080' + // TP-SCTS 24-05-17 10:30:00, zone 0x80 = +8 quarters = +02:00
  '11' + //           TP-UDL 17 octets = 12 header + 5 data
  '0B' + //           UDHL 11
  '0003' + //         IEI 00 concatenation (8-bit reference), IEDL 3
  '2A0201' + //       reference 42, 2 parts, part 1
  '0504' + //         IEI 05 16-bit ports, IEDL 4
  '1634C000' + //     destination 5684 (CoAP), source 49152
  '40011234FF'; //    data

/** SMS-SUBMIT with TP-SRR, relative validity, GSM 7-bit "hello". */
const SUBMIT =
  '00' + //           no SMSC address
  '31' + //           TP-MTI 01 SUBMIT, TP-VPF 10 relative (0x10), TP-SRR (0x20)
  '2A' + //           TP-MR 42
  '0D' + //           TP-DA length: 13 digits
  '91' + //           international, ISDN
  '945111325476F8' + // +4915112345678, F fill
  '00' + //           TP-PID
  '00' + //           TP-DCS GSM 7-bit
  'A7' + //           TP-VP 0xA7 = 24 hours
  '05' + //           TP-UDL 5 septets
  'E8329BFD06'; //    "hello" packed

/** SMS-STATUS-REPORT for message 42, delivered (TP-ST 0), no TP-PI. */
const STATUS_REPORT =
  '07' + //           SMSC length 7
  '91' + //           international, ISDN
  '947102000000' + // +491720000000
  '06' + //           TP-MTI 10 STATUS-REPORT, TP-MMS 1 (0x04), TP-SRQ 0
  '2A' + //           TP-MR 42
  '0B' + //           TP-RA length: 11 digits
  '81' + //           unknown type of number, ISDN
  '1007214365F7' + // 01701234567, F fill
  '42507101030080' + // TP-SCTS 2024-05-17 10:30:00 +02:00
  '42507101035180' + // TP-DT   2024-05-17 10:30:15 +02:00
  '00'; //            TP-ST 0: received by the SME

/** SMS-DELIVER from an alphanumeric sender, UCS2 text. */
const DELIVER_ALPHANUMERIC_UCS2 =
  '00' + //           no SMSC address
  '04' + //           DELIVER, TP-MMS 1
  '0E' + //           TP-OA length: 14 semi-octets = 8 septets × 7 bits / 4
  'D0' + //           alphanumeric (101), numbering plan 0
  'CC7B5BD69ECAED' + // "Lwm2mSrv" as packed GSM 7-bit (L=4C|w<<7 → CC, w>>1|m<<6 → 7B, …)
  '00' + //           TP-PID
  '08' + //           TP-DCS UCS2
  '42507101030080' + // TP-SCTS 2024-05-17 10:30:00 +02:00
  '0A' + //           TP-UDL 10 octets
  '0047007200FC00DF0065'; // "Grüße" in UTF-16BE

// --- Tests ---------------------------------------------------------------------------------------

describe.concurrent('smsbridge pdu decode', () => {
  it(
    'prints one JSON object with every field for deliver, concatenated deliver, submit and status report',
    async ({ expect }) => {
      const [classic, concat, submit, report, alpha] = await Promise.all(
        [CLASSIC_DELIVER, DELIVER_CONCAT_PORTS, SUBMIT, STATUS_REPORT, DELIVER_ALPHANUMERIC_UCS2].map((hex) =>
          smsbridge('pdu', 'decode', hex),
        ),
      );

      expect(decoded(classic!, 'classic deliver')).toEqual({
        type: 'deliver',
        smsc: '+27381000015',
        address: '27838890001', // TON 100 subscriber: no "+"
        mr: null,
        pid: 0,
        dcs: 0,
        encoding: 'gsm7',
        text: 'hellohello',
        dataHex: '68656c6c6f68656c6c6f', // unpacked septets, one per byte
        udh: null,
        concat: null,
        ports: null,
        timestamp: '1999-03-29T15:16:59+02:00',
        dischargeTime: null,
        status: null,
        statusReportRequested: false,
      });

      expect(decoded(concat!, '8-bit concatenated deliver')).toEqual({
        type: 'deliver',
        smsc: '+491720000000',
        address: '+491701234567',
        mr: null,
        pid: 0,
        dcs: 4,
        encoding: '8bit',
        text: null,
        dataHex: '40011234ff',
        udh: [
          { iei: 0, dataHex: '2a0201' },
          { iei: 5, dataHex: '1634c000' },
        ],
        concat: { ref: 42, total: 2, seq: 1 },
        ports: { dst: 5684, src: 49152 },
        timestamp: '2024-05-17T10:30:00+02:00',
        dischargeTime: null,
        status: null,
        statusReportRequested: false,
      });

      expect(decoded(submit!, 'submit')).toEqual({
        type: 'submit',
        smsc: null,
        address: '+4915112345678',
        mr: 42,
        pid: 0,
        dcs: 0,
        encoding: 'gsm7',
        text: 'hello',
        dataHex: '68656c6c6f',
        udh: null,
        concat: null,
        ports: null,
        timestamp: null,
        dischargeTime: null,
        status: null,
        statusReportRequested: true,
      });

      expect(decoded(report!, 'status report')).toEqual({
        type: 'status-report',
        smsc: '+491720000000',
        address: '01701234567',
        mr: 42,
        pid: 0, // absent TP-PID: its default
        dcs: 0, // absent TP-DCS: the default alphabet
        encoding: 'gsm7',
        text: '', // no TP-UD: empty text in the default alphabet (src/cli/pdu-json.ts)
        dataHex: '',
        udh: null,
        concat: null,
        ports: null,
        timestamp: '2024-05-17T10:30:00+02:00',
        dischargeTime: '2024-05-17T10:30:15+02:00',
        status: 0,
        statusReportRequested: false,
      });

      const alphaJson = decoded(alpha!, 'alphanumeric UCS2 deliver');
      expect(alphaJson).toMatchObject({
        type: 'deliver',
        smsc: null,
        address: 'Lwm2mSrv',
        dcs: 8,
        encoding: 'ucs2',
        text: 'Grüße',
        dataHex: '0047007200fc00df0065',
        udh: null,
        timestamp: '2024-05-17T10:30:00+02:00',
      });
    },
    TIMEOUT,
  );

  it(
    'rejects bad input with exit 1, nothing on stdout and a JSON error on stderr',
    async ({ expect }) => {
      const [notHex, truncated, missing] = await Promise.all([
        smsbridge('pdu', 'decode', 'zz'),
        smsbridge('pdu', 'decode', '0791'),
        smsbridge('pdu', 'decode'),
      ]);

      const hexError = oneJsonObject(failure(notHex!, 'decode zz'), 'decode zz stderr');
      expect(hexError).toMatchObject({ code: 'GW_ERR_PDU_HEX', field: 'PDU', offset: 0 });
      expect(typeof hexError['message']).toBe('string');

      const truncError = oneJsonObject(failure(truncated!, 'decode 0791'), 'decode 0791 stderr');
      // 07 announces 7 octets (type + 6); the type 91 is there, the 6 address octets from byte 2 are not.
      expect(truncError).toMatchObject({ code: 'GW_ERR_PDU_TRUNCATED', offset: 2 });
      expect(truncError['field']).toMatch(/SMSC/);

      failure(missing!, 'decode without argument');
    },
    TIMEOUT,
  );
});

describe.concurrent('smsbridge pdu encode', () => {
  it(
    'splits 300 bytes with ports, status report and SMSC into 3 parts that decode back',
    async ({ expect }) => {
      const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 5) & 0xff)).toString('hex');
      const encoded = success(
        await smsbridge(
          'pdu', 'encode',
          '--to', '+491701234567',
          '--data-hex', data,
          '--port', '5684:49152',
          '--ref', '7',
          '--status-report',
          '--smsc', '+491720000000',
        ),
        'encode 300 bytes',
      );
      expect(Object.keys(encoded)).toEqual(['parts']);
      const parts = encoded['parts'] as { hex: string; tpduLength: number }[];
      expect(parts).toHaveLength(3); // 12-octet header (concat + ports): 128 data octets per part
      for (const part of parts) {
        expect(Object.keys(part).sort()).toEqual(['hex', 'tpduLength']);
        expect(part.hex).toMatch(/^(?:[0-9A-Fa-f]{2})+$/);
        expect(part.hex.toUpperCase().startsWith('0791947102000000')).toBe(true); // SMSC field first
        expect(part.tpduLength).toBe(part.hex.length / 2 - 8);
      }

      const decodes = await Promise.all(parts.map((part) => smsbridge('pdu', 'decode', part.hex)));
      let reassembled = '';
      for (const [index, run] of decodes.entries()) {
        const json = decoded(run, `decode part ${index + 1}`);
        const seq = index + 1;
        expect(json).toMatchObject({
          type: 'submit',
          smsc: '+491720000000',
          address: '+491701234567',
          dcs: 4,
          encoding: '8bit',
          text: null,
          concat: { ref: 7, total: 3, seq },
          ports: { dst: 5684, src: 49152 },
          udh: [
            { iei: 0, dataHex: `07030${seq}` },
            { iei: 5, dataHex: '1634c000' },
          ],
          timestamp: null,
          statusReportRequested: true,
        });
        reassembled += json['dataHex'] as string;
      }
      expect(reassembled).toBe(data);
    },
    TIMEOUT,
  );

  it(
    'encodes text with a 16-bit reference and no SMSC (field 00)',
    async ({ expect }) => {
      const text = `${'Hello LwM2M! '.repeat(15)}end.`; // 199 GSM 7-bit characters
      const encoded = success(
        await smsbridge('pdu', 'encode', '--to', '01701234567', '--text', text, '--ref16', '--ref', '4660'),
        'encode text',
      );
      const parts = encoded['parts'] as { hex: string; tpduLength: number }[];
      // 16-bit reference: 7-octet header = 8 septets, 152 septets of text per part.
      expect(parts).toHaveLength(2);
      for (const part of parts) {
        expect(part.hex.startsWith('00')).toBe(true);
        expect(part.tpduLength).toBe(part.hex.length / 2 - 1);
      }
      const [first, second] = await Promise.all(parts.map((part) => smsbridge('pdu', 'decode', part.hex)));
      const j1 = decoded(first!, 'decode text part 1');
      const j2 = decoded(second!, 'decode text part 2');
      for (const [json, seq] of [[j1, 1], [j2, 2]] as const) {
        expect(json).toMatchObject({
          type: 'submit',
          smsc: null,
          address: '01701234567',
          encoding: 'gsm7',
          dcs: 0,
          concat: { ref: 4660, total: 2, seq },
          ports: null,
          udh: [{ iei: 8, dataHex: `1234020${seq}` }],
          statusReportRequested: false,
        });
      }
      expect(j1['text']).toBe(text.slice(0, 152));
      expect(j2['text']).toBe(text.slice(152));
    },
    TIMEOUT,
  );

  it(
    'rejects bad options with exit 1 and GW_ERR_CONFIG naming the option on stderr',
    async ({ expect }) => {
      const cases: { what: string; args: string[]; option: string }[] = [
        { what: 'both --text and --data-hex', args: ['--to', '+491701234567', '--text', 'hi', '--data-hex', '00'], option: '--text' },
        { what: 'neither --text nor --data-hex', args: ['--to', '+491701234567'], option: '--text' },
        { what: 'odd hex', args: ['--to', '+491701234567', '--data-hex', 'abc'], option: '--data-hex' },
        { what: '--port 99999', args: ['--to', '+491701234567', '--data-hex', '00', '--port', '99999'], option: '--port' },
        { what: '--port 1:2:3', args: ['--to', '+491701234567', '--data-hex', '00', '--port', '1:2:3'], option: '--port' },
        { what: '--ref 256 (8-bit)', args: ['--to', '+491701234567', '--data-hex', '00', '--ref', '256'], option: '--ref' },
        { what: 'bad --to', args: ['--to', 'abc!!!!!!!!!!!!', '--text', 'hi'], option: '--to' },
      ];
      const runs = await Promise.all(cases.map((c) => smsbridge('pdu', 'encode', ...c.args)));
      for (const [index, c] of cases.entries()) {
        const error = oneJsonObject(failure(runs[index]!, c.what), `${c.what} stderr`);
        expect(error, c.what).toMatchObject({ code: 'GW_ERR_CONFIG', option: c.option });
        expect(String(error['message']).startsWith(`${c.option}:`), c.what).toBe(true);
      }

      // Missing --to is a usage error: exit 1, nothing on stdout, one JSON object on stderr.
      const missing = oneJsonObject(failure(await smsbridge('pdu', 'encode', '--text', 'hi'), 'missing --to'), 'missing --to stderr');
      expect(missing['code']).toBe('GW_ERR_USAGE');
      expect(missing['message']).toMatch(/--to/);
    },
    TIMEOUT,
  );

  it(
    'refuses what it used to encode silently: --to=-1 as "1", letters in --to and --smsc, an empty payload (issue 9)',
    async ({ expect }) => {
      const cases: { what: string; args: string[]; option: string }[] = [
        { what: '--to=-1', args: ['--to=-1', '--text', 'hi'], option: '--to' },
        { what: '--to abc', args: ['--to', 'abc', '--text', 'hi'], option: '--to' },
        { what: '--to with a dash', args: ['--to', '0170-1234567', '--text', 'hi'], option: '--to' },
        { what: '--to of 21 digits', args: ['--to', `+${'1'.repeat(21)}`, '--text', 'hi'], option: '--to' },
        { what: '--smsc xyz', args: ['--to', '+491701234567', '--smsc', 'xyz', '--text', 'hi'], option: '--smsc' },
        { what: 'empty --text', args: ['--to', '+491701234567', '--text', ''], option: '--text' },
        { what: 'empty --data-hex', args: ['--to', '+491701234567', '--data-hex', ''], option: '--data-hex' },
      ];
      const runs = await Promise.all(cases.map((c) => smsbridge('pdu', 'encode', ...c.args)));
      for (const [index, c] of cases.entries()) {
        const error = oneJsonObject(failure(runs[index]!, c.what), `${c.what} stderr`);
        expect(error, c.what).toMatchObject({ code: 'GW_ERR_CONFIG', option: c.option });
      }

      // The longest number a TP address holds (20 digits) still encodes, to exactly those digits.
      const longest = `+${'12345678901234567890'}`;
      const encoded = success(await smsbridge('pdu', 'encode', '--to', longest, '--text', 'hi'), 'encode to 20 digits');
      const [part] = encoded['parts'] as { hex: string }[];
      expect(decoded(await smsbridge('pdu', 'decode', part!.hex), 'decode 20 digits')['address']).toBe(longest);
    },
    TIMEOUT,
  );
});

describe.concurrent('smsbridge pdu decode - (standard input)', () => {
  it(
    'prints one JSON object per input line, in order, with an error object for each bad line; exit 1',
    async ({ expect }) => {
      const megabyteLine = 'AB'.repeat(512 * 1024); // 1 MiB of hex: more than argv can carry
      const overLimitLine = 'AB'.repeat(5 * 512 * 1024); // 5 MiB: over the 4 MiB a line may have
      const input = [CLASSIC_DELIVER, 'zz', '', `${SUBMIT}\r`, megabyteLine, STATUS_REPORT, overLimitLine, CLASSIC_DELIVER].join('\n');
      const run = await smsbridgeWith({ input }, 'pdu', 'decode', '-');
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 1, stderr: '' });
      const lines = run.stdout.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toHaveLength(7); // the empty line 3 gives nothing
      expect(lines[0]).toMatchObject({ type: 'deliver', text: 'hellohello' });
      expect(lines[1]).toEqual({ line: 2, error: expect.objectContaining({ code: 'GW_ERR_PDU_HEX', field: 'PDU', offset: 0 }) });
      expect(lines[2]).toMatchObject({ type: 'submit', address: '+4915112345678', text: 'hello' });
      expect(lines[3]).toMatchObject({ line: 5, error: { code: expect.stringMatching(/^GW_ERR_PDU_/) } });
      expect(lines[4]).toMatchObject({ type: 'status-report', mr: 42 });
      expect(lines[5]).toMatchObject({ line: 7, error: { code: 'GW_ERR_PDU_TRAILING', field: 'PDU' } });
      expect(String((lines[5]?.['error'] as Record<string, unknown>)['message'])).toContain(`line of ${overLimitLine.length} characters`);
      expect(lines[6]).toMatchObject({ type: 'deliver', text: 'hellohello' });
    },
    TIMEOUT,
  );

  it(
    'stops quietly when its reader goes away (… | head -1) instead of dying of EPIPE',
    async ({ expect }) => {
      const child = spawn(process.execPath, [BIN, 'pdu', 'decode', '-'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.on('error', () => undefined); // once it has stopped, it reads no more
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      // Keep feeding PDUs until the process ends, as `yes <pdu> | smsbridge pdu decode - | head -1` does.
      const feed = (): void => {
        if (child.exitCode !== null || child.stdin.destroyed) return;
        if (child.stdin.write(`${CLASSIC_DELIVER}\n`.repeat(100))) setImmediate(feed);
        else child.stdin.once('drain', feed);
      };
      feed();
      const firstLine = await new Promise<string>((resolve) => {
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('\n')) {
            child.stdout.destroy(); // the reader goes away
            resolve(text.slice(0, text.indexOf('\n')));
          }
        });
      });
      expect(JSON.parse(firstLine)).toMatchObject({ type: 'deliver', text: 'hellohello' });
      expect({ code: await exited, stderr }).toEqual({ code: 0, stderr: '' });
    },
    TIMEOUT,
  );

  it(
    'exits 0 when every line decodes, and takes --no-smsc for each line',
    async ({ expect }) => {
      const bare = SUBMIT.slice(2); // without the SMSC field 00
      const run = await smsbridgeWith({ input: `${bare}\n${bare}\n` }, 'pdu', 'decode', '--no-smsc', '-');
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toMatchObject({ type: 'submit', smsc: null, text: 'hello' });
    },
    TIMEOUT,
  );
});
