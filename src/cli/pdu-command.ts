/**
 * `smsbridge pdu decode <hex|->` and `smsbridge pdu encode …`: the SMS codec for field debugging.
 * The codec is loaded by the actions (`import()`), so other commands do not load it.
 */
import type { Command } from 'commander';
import type { SmsAddress } from '../sms/index.ts';
import type { CliIo } from './io.ts';
import { optionError, parseIntegerOption, parsePhoneNumberOption } from './options.ts';

/** Options of `pdu encode` as commander parses them. */
interface EncodeOptions {
  to: string;
  text?: string;
  dataHex?: string;
  port?: string;
  ref?: string;
  ref16?: boolean;
  statusReport?: boolean;
  smsc?: string;
}

const PORT_RANGE = { min: 0, max: 0xffff } as const;

function parsePorts(text: string): { destination: number; source: number } {
  const [destination, source, ...more] = text.split(':');
  if (more.length > 0) throw optionError('--port', `"${text}" is not <dst>[:<src>]`);
  const dst = parseIntegerOption(destination ?? '', '--port', PORT_RANGE);
  return { destination: dst, source: source === undefined ? dst : parseIntegerOption(source, '--port', PORT_RANGE) };
}

/**
 * `--to` / `--smsc`: a telephone number only. An alphanumeric address (type of number 101,
 * TS 23.040 §9.1.2.5) names a sender; nothing routes a message to one or reaches an SMSC by one,
 * so letters are refused rather than encoded as such.
 */
function addressOf(text: string, option: string): SmsAddress {
  const number = parsePhoneNumberOption(text, option);
  // TS 23.040 §9.1.2.5: `+` → international number; otherwise type unknown (as dialled), both ISDN/E.164 plan (1).
  return { value: number.digits, typeOfNumber: number.international ? 'international' : 'unknown', numberingPlan: 1 };
}

function payloadOf(options: EncodeOptions, hexToBytes: (hex: string) => Uint8Array | null): { data: Uint8Array } | { text: string } {
  if ((options.text === undefined) === (options.dataHex === undefined)) throw optionError('--text', 'give exactly one of --text and --data-hex');
  if (options.text !== undefined) {
    if (options.text.length === 0) throw optionError('--text', 'the text is empty; an SMS needs a payload');
    return { text: options.text };
  }
  const data = hexToBytes(options.dataHex ?? '');
  if (data === null) throw optionError('--data-hex', 'expected an even number of hexadecimal digits');
  if (data.length === 0) throw optionError('--data-hex', 'no bytes given; an SMS needs a payload');
  return { data };
}

/**
 * The longest line `pdu decode -` reads. No PDU comes near it (SMSC field ≤ 12 octets and TPDU
 * ≤ 176 octets: 376 hexadecimal digits); it only bounds memory. A longer line is reported as
 * GW_ERR_PDU_TRAILING without being kept.
 */
export const MAX_PDU_LINE_CHARS = 4 * 1024 * 1024;

/**
 * `pdu decode -`: one PDU per input line, one JSON object per line on stdout; resolves to the
 * number of bad lines. Stops reading when stdout's reader has gone.
 */
async function decodeLines(io: CliIo, smscPrefix: boolean): Promise<number> {
  const [{ decodePdu }, { pduToJson }, { DecodeError, GatewayError }, { inputLines }] = await Promise.all([
    import('../sms/index.ts'), import('./pdu-json.ts'), import('../shared/errors.ts'), import('./input-lines.ts'),
  ]);
  let failed = 0;
  for await (const line of inputLines(io.input, MAX_PDU_LINE_CHARS)) {
    if (io.stdoutClosed?.() === true) break; // nobody reads the answers any more (`… | head -1`)
    try {
      if ('tooLongChars' in line) {
        throw new DecodeError('GW_ERR_PDU_TRAILING', 'PDU', MAX_PDU_LINE_CHARS / 2, `line of ${line.tooLongChars} characters: longer than any PDU (this command reads at most ${MAX_PDU_LINE_CHARS})`);
      }
      const hex = line.text.trim();
      if (hex.length === 0) continue;
      io.json(pduToJson(decodePdu(hex, { smscPrefix })));
    } catch (error) {
      failed += 1;
      const typed = error instanceof GatewayError ? error : new GatewayError('GW_ERR_INTERNAL', String(error));
      io.json({ line: line.number, error: typed.toJSON() });
    }
  }
  return failed;
}

/** Adds the `pdu` command group to `program`; results and errors go through `io`. */
export function addPduCommands(program: Command, io: CliIo): void {
  const pdu = program.command('pdu').description('decode and encode SMS PDUs (3GPP TS 23.040)');
  pdu
    .command('decode')
    .description('decode a PDU as a modem prints it (SMSC address first) and print it as JSON')
    .argument('<hex>', 'PDU in hexadecimal, as after +CMT / +CMGR / +CMGL / +CDS; - reads PDUs from standard input, one per line')
    .option('--no-smsc', 'the PDU has no SMSC address in front (a bare TPDU)')
    .addHelpText('after', `
With -, prints one line per non-empty input line, in order: the decoded PDU's JSON object, or
{"line":<n>,"error":{"code":…,"message":…}} for a line that does not decode; exits 1 if any did not.`)
    .action(async (hex: string, options: { smsc: boolean }) => {
      if (hex === '-') {
        const failed = await decodeLines(io, options.smsc);
        if (failed > 0) {
          const { ReportedFailure } = await import('./exit-status.ts');
          throw new ReportedFailure(`${failed} line(s) did not decode`);
        }
        return;
      }
      const [{ decodePdu }, { pduToJson }] = await Promise.all([import('../sms/index.ts'), import('./pdu-json.ts')]);
      io.json(pduToJson(decodePdu(hex, { smscPrefix: options.smsc })));
    });
  pdu
    .command('encode')
    .description('encode SMS-SUBMIT PDUs, split and concatenated as needed, for AT+CMGS')
    .requiredOption('--to <number>', 'destination number: digits, + in front for international (E.164); letters are refused')
    .option('--text <text>', 'text to send (GSM 7-bit when possible, else UCS2)')
    .option('--data-hex <hex>', 'binary payload to send as 8-bit data (DCS 0x04)')
    .option('--port <dst[:src]>', '16-bit application port addressing (source defaults to the destination port)')
    .option('--ref <n>', 'concatenation reference (default: random)')
    .option('--ref16', 'use a 16-bit concatenation reference')
    .option('--status-report', 'request a status report for each part')
    .option('--smsc <number>', 'SMSC number to put in the PDU (default: 00, the modem\'s own)')
    .action(async (options: EncodeOptions) => {
      const [{ splitIntoSubmitPdus }, { hexToBytes }, { randomInt }] = await Promise.all([
        import('../sms/index.ts'), import('../shared/hex.ts'), import('node:crypto'),
      ]);
      const destination = addressOf(options.to, '--to');
      const smsc = options.smsc === undefined ? null : addressOf(options.smsc, '--smsc');
      const payload = payloadOf(options, hexToBytes);
      const ports = options.port === undefined ? null : parsePorts(options.port);
      const maxReference = options.ref16 ? 0xffff : 0xff;
      const concatReference = options.ref === undefined ? randomInt(0, maxReference + 1) : parseIntegerOption(options.ref, '--ref', { min: 0, max: maxReference });
      const parts = splitIntoSubmitPdus({
        destination, payload, ports, concatReference, smsc,
        reference16: options.ref16 ?? false,
        statusReportRequest: options.statusReport ?? false,
      });
      io.json({ parts: parts.map((part) => ({ hex: part.hex, tpduLength: part.tpduLength })) });
    });
}
