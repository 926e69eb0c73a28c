/**
 * Decoding of SMS PDUs as modems print them (3GPP TS 27.005 §3.1 <pdu>: the SMSC address
 * followed by the TPDU of TS 23.040 §9.2.2).
 */
import { DecodeError, GatewayError } from '../shared/errors.ts';
import { hexToBytes } from '../shared/hex.ts';
import { readSmscAddress, readTpAddress } from './address.ts';
import { PduReader } from './byte-reader.ts';
import { decodeDcs } from './dcs.ts';
import { TIMESTAMP_OCTETS, decodeTimestamp } from './timestamp.ts';
import { readUserData } from './user-data.ts';
import type { SmsDeliver, SmsPdu, SmsStatusReport, SmsSubmit, ValidityPeriod } from './types.ts';

/** Options of {@link decodePdu}. */
export interface DecodePduOptions {
  /**
   * True (the default) when the PDU starts with the SMSC address, as in `+CMT`, `+CMGR`,
   * `+CMGL` and `+CDS` output; false for a bare TPDU.
   */
  readonly smscPrefix?: boolean;
}

/** TS 23.040 §9.2.3.1: TP-MTI, bits 1..0 of the first octet (SC-to-MS direction for 00 and 10). */
const MTI_DELIVER = 0;
const MTI_SUBMIT = 1;
const MTI_STATUS_REPORT = 2;
/** TS 23.040 §9.2.3.1: TP-MTI 11 is reserved. */
const MTI_RESERVED = 3;

function readTimestamp(reader: PduReader, field: string) {
  const offset = reader.offset;
  return decodeTimestamp(reader.take(TIMESTAMP_OCTETS, field), field, offset);
}

function decodeDeliver(reader: PduReader, first: number, smsc: SmsDeliver['smsc']): SmsDeliver {
  const originator = readTpAddress(reader, 'TP-OA');
  const protocolId = reader.byte('TP-PID');
  const dcs = decodeDcs(reader.byte('TP-DCS'));
  const timestamp = readTimestamp(reader, 'TP-SCTS');
  const userData = readUserData(reader, dcs, (first & 0x40) !== 0);
  return {
    type: 'deliver',
    smsc,
    // §9.2.3.2 TP-MMS: 0 means "more messages are waiting".
    moreMessagesToSend: (first & 0x04) === 0,
    loopPrevention: (first & 0x08) !== 0,
    statusReportIndication: (first & 0x20) !== 0,
    replyPath: (first & 0x80) !== 0,
    originator,
    protocolId,
    dcs,
    timestamp,
    userData,
  };
}

function readValidityPeriod(reader: PduReader, first: number): ValidityPeriod | null {
  // §9.2.3.3 TP-VPF, bits 4..3: 00 absent, 10 relative, 01 enhanced, 11 absolute.
  switch ((first >> 3) & 0x03) {
    case 0b10:
      return { format: 'relative', code: reader.byte('TP-VP') };
    case 0b01:
      return { format: 'enhanced', octets: reader.take(7, 'TP-VP') };
    case 0b11:
      return { format: 'absolute', timestamp: readTimestamp(reader, 'TP-VP') };
    default:
      return null;
  }
}

function decodeSubmit(reader: PduReader, first: number, smsc: SmsSubmit['smsc']): SmsSubmit {
  const messageReference = reader.byte('TP-MR');
  const destination = readTpAddress(reader, 'TP-DA');
  const protocolId = reader.byte('TP-PID');
  const dcs = decodeDcs(reader.byte('TP-DCS'));
  const validityPeriod = readValidityPeriod(reader, first);
  const userData = readUserData(reader, dcs, (first & 0x40) !== 0);
  return {
    type: 'submit',
    smsc,
    rejectDuplicates: (first & 0x04) !== 0,
    statusReportRequest: (first & 0x20) !== 0,
    replyPath: (first & 0x80) !== 0,
    messageReference,
    destination,
    protocolId,
    dcs,
    validityPeriod,
    userData,
  };
}

function decodeStatusReport(reader: PduReader, first: number, smsc: SmsStatusReport['smsc']): SmsStatusReport {
  const messageReference = reader.byte('TP-MR');
  const recipient = readTpAddress(reader, 'TP-RA');
  const timestamp = readTimestamp(reader, 'TP-SCTS');
  const dischargeTime = readTimestamp(reader, 'TP-DT');
  const status = reader.byte('TP-ST');
  // §9.2.2.3: TP-PI and what it announces are optional; the report may end after TP-ST.
  let parameterIndicator: number | null = null;
  const parameterIndicatorExtensions: number[] = [];
  let protocolId: number | null = null;
  let dcs: SmsStatusReport['dcs'] = null;
  let userData: SmsStatusReport['userData'] = null;
  if (reader.remaining > 0) {
    parameterIndicator = reader.byte('TP-PI');
    // §9.2.3.27: bit 7 extends TP-PI into further octets (reserved today): kept, not interpreted.
    let extension = parameterIndicator;
    while ((extension & 0x80) !== 0) {
      extension = reader.byte('TP-PI');
      parameterIndicatorExtensions.push(extension);
    }
    if ((parameterIndicator & 0x01) !== 0) protocolId = reader.byte('TP-PID');
    if ((parameterIndicator & 0x02) !== 0) dcs = decodeDcs(reader.byte('TP-DCS'));
    if ((parameterIndicator & 0x04) !== 0) {
      userData = readUserData(reader, dcs ?? decodeDcs(0), (first & 0x40) !== 0);
    }
  }
  return {
    type: 'status-report',
    smsc,
    moreMessagesToSend: (first & 0x04) === 0,
    loopPrevention: (first & 0x08) !== 0,
    statusReportQualifier: (first & 0x20) !== 0,
    messageReference,
    recipient,
    timestamp,
    dischargeTime,
    status,
    parameterIndicator,
    parameterIndicatorExtensions,
    protocolId,
    dcs,
    userData,
  };
}

/**
 * Decodes an SMS-DELIVER, SMS-SUBMIT or SMS-STATUS-REPORT from hexadecimal text (either case)
 * or bytes. TP-MTI 10 is read as a status report (the SC-to-MS meaning; an SMS-COMMAND is never
 * printed by a modem), and the reserved TP-MTI 11 as an SMS-DELIVER (TS 23.040 §9.2.3.1). Throws only {@link DecodeError}, with a stable code, the field and its
 * byte offset, whatever the input.
 */
export function decodePdu(input: string | Uint8Array, options: DecodePduOptions = {}): SmsPdu {
  try {
    return decodePduUnchecked(input, options);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // A defect in the codec must still surface as a typed error, never as a crash of the caller.
    throw new DecodeError('GW_ERR_PDU_FIELD', 'TPDU', 0, `internal decoder error: ${String(error)}`);
  }
}

function decodePduUnchecked(input: string | Uint8Array, options: DecodePduOptions): SmsPdu {
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    const parsed = hexToBytes(input.trim());
    if (parsed === null) {
      throw new DecodeError('GW_ERR_PDU_HEX', 'PDU', 0, 'expected an even number of hexadecimal digits');
    }
    bytes = parsed;
  } else {
    bytes = input;
  }
  const reader = new PduReader(bytes);
  const smsc = options.smscPrefix === false ? null : readSmscAddress(reader);
  const firstOffset = reader.offset;
  const first = reader.byte('TP-MTI');
  let pdu: SmsPdu;
  switch (first & 0x03) {
    case MTI_DELIVER:
    case MTI_RESERVED:
      // §9.2.3.1: a TPDU with the reserved TP-MTI 11 is processed as if it were an SMS-DELIVER
      // (and stored exactly as received: the inbox keeps the raw PDU).
      pdu = decodeDeliver(reader, first, smsc);
      break;
    case MTI_SUBMIT:
      pdu = decodeSubmit(reader, first, smsc);
      break;
    case MTI_STATUS_REPORT:
      pdu = decodeStatusReport(reader, first, smsc);
      break;
    default:
      throw new DecodeError('GW_ERR_PDU_MTI', 'TP-MTI', firstOffset, `message type ${first & 0x03} is unknown`); // unreachable: two bits
  }
  reader.expectEnd();
  return pdu;
}
