/**
 * `smsbridge pdu decode <hex>` and `smsbridge pdu encode …`: the SMS codec for field debugging.
 */
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { EncodeError } from '../shared/errors.ts';
import { hexToBytes } from '../shared/hex.ts';
import { decodePdu, splitIntoSubmitPdus } from '../sms/index.ts';
import type { CliIo } from './io.ts';
import { pduToJson } from './pdu-json.ts';

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

function parsePorts(text: string): { destination: number; source: number } {
  const match = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(text);
  const destination = Number(match?.[1]);
  const source = match?.[2] === undefined ? destination : Number(match[2]);
  if (!match || destination > 0xffff || source > 0xffff) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', '--port', `"${text}" is not <dst>[:<src>] with ports 0..65535`);
  }
  return { destination, source };
}

function payloadOf(options: EncodeOptions): { data: Uint8Array } | { text: string } {
  if ((options.text === undefined) === (options.dataHex === undefined)) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', '--text/--data-hex', 'give exactly one of --text and --data-hex');
  }
  if (options.text !== undefined) return { text: options.text };
  const data = hexToBytes(options.dataHex ?? '');
  if (data === null) throw new EncodeError('GW_ERR_SMS_ENCODE', '--data-hex', 'expected an even number of hexadecimal digits');
  return { data };
}

function concatReferenceOf(options: EncodeOptions): number {
  const max = options.ref16 ? 0xffff : 0xff;
  if (options.ref === undefined) return randomInt(0, max + 1);
  const reference = Number(options.ref);
  if (!/^\d+$/.test(options.ref) || reference > max) {
    throw new EncodeError('GW_ERR_SMS_ENCODE', '--ref', `must be an integer 0..${max}`);
  }
  return reference;
}

/** Adds the `pdu` command group to `program`; results and errors go through `io`. */
export function addPduCommands(program: Command, io: CliIo): void {
  const pdu = program.command('pdu').description('decode and encode SMS PDUs (3GPP TS 23.040)');
  pdu
    .command('decode')
    .description('decode a PDU as a modem prints it (SMSC address first) and print it as JSON')
    .argument('<hex>', 'PDU in hexadecimal, as after +CMT / +CMGR / +CMGL / +CDS')
    .option('--no-smsc', 'the PDU has no SMSC address in front (a bare TPDU)')
    .action((hex: string, options: { smsc: boolean }) => {
      io.json(pduToJson(decodePdu(hex, { smscPrefix: options.smsc })));
    });
  pdu
    .command('encode')
    .description('encode SMS-SUBMIT PDUs, split and concatenated as needed, for AT+CMGS')
    .requiredOption('--to <number>', 'destination number (+<country code>… for international)')
    .option('--text <text>', 'text to send (GSM 7-bit when possible, else UCS2)')
    .option('--data-hex <hex>', 'binary payload to send as 8-bit data (DCS 0x04)')
    .option('--port <dst[:src]>', '16-bit application port addressing (source defaults to the destination port)')
    .option('--ref <n>', 'concatenation reference (default: random)')
    .option('--ref16', 'use a 16-bit concatenation reference')
    .option('--status-report', 'request a status report for each part')
    .option('--smsc <number>', 'SMSC address to put in the PDU (default 00: the modem\'s own)')
    .action((options: EncodeOptions) => {
      const parts = splitIntoSubmitPdus({
        destination: options.to,
        payload: payloadOf(options),
        ports: options.port === undefined ? null : parsePorts(options.port),
        concatReference: concatReferenceOf(options),
        reference16: options.ref16 ?? false,
        statusReportRequest: options.statusReport ?? false,
        smsc: options.smsc ?? null,
      });
      io.json({ parts: parts.map((part) => ({ hex: part.hex, tpduLength: part.tpduLength })) });
    });
}
