/**
 * The JSON shape that `smsbridge pdu decode` prints: a stable contract for field engineers and
 * acceptance checks. Every field is always present; null where it does not apply.
 */
import { bytesToHex } from '../shared/hex.ts';
import { formatAddress, timestampToIso, type SmsPdu, type UserData } from '../sms/index.ts';

/** One decoded PDU as printed by the CLI. */
export interface PduJson {
  type: 'deliver' | 'submit' | 'status-report';
  smsc: string | null;
  address: string;
  mr: number | null;
  pid: number;
  dcs: number;
  encoding: 'gsm7' | '8bit' | 'ucs2';
  text: string | null;
  dataHex: string;
  udh: { iei: number; dataHex: string }[] | null;
  concat: { ref: number; total: number; seq: number } | null;
  ports: { dst: number; src: number } | null;
  timestamp: string | null;
  dischargeTime: string | null;
  status: number | null;
  statusReportRequested: boolean;
}

function userDataFields(userData: UserData | null): Pick<PduJson, 'text' | 'dataHex' | 'udh' | 'concat' | 'ports'> {
  const header = userData?.header ?? null;
  const concat = header?.concatenation ?? null;
  const ports = header?.ports ?? null;
  return {
    // A status report without user data has empty text in the default alphabet.
    text: userData === null ? '' : userData.text,
    // For GSM 7-bit this is the unpacked septets, one per byte; otherwise the octets.
    dataHex: userData === null ? '' : bytesToHex(userData.data),
    udh: header === null ? null : header.elements.map((e) => ({ iei: e.iei, dataHex: bytesToHex(e.data) })),
    concat: concat === null ? null : { ref: concat.reference, total: concat.total, seq: concat.sequence },
    ports: ports === null ? null : { dst: ports.destination, src: ports.source },
  };
}

/**
 * Maps a decoded PDU to the CLI contract. In a status report without TP-PID or TP-DCS
 * (TS 23.040 §9.2.3.27 makes them optional) `pid` and `dcs` are 0, their default values.
 */
export function pduToJson(pdu: SmsPdu): PduJson {
  const smsc = pdu.smsc === null ? null : formatAddress(pdu.smsc);
  switch (pdu.type) {
    case 'deliver':
      return {
        type: 'deliver', smsc, address: formatAddress(pdu.originator), mr: null,
        pid: pdu.protocolId, dcs: pdu.dcs.raw, encoding: pdu.dcs.encoding, ...userDataFields(pdu.userData),
        timestamp: timestampToIso(pdu.timestamp), dischargeTime: null, status: null,
        statusReportRequested: pdu.statusReportIndication,
      };
    case 'submit':
      return {
        type: 'submit', smsc, address: formatAddress(pdu.destination), mr: pdu.messageReference,
        pid: pdu.protocolId, dcs: pdu.dcs.raw, encoding: pdu.dcs.encoding, ...userDataFields(pdu.userData),
        timestamp: null, dischargeTime: null, status: null,
        statusReportRequested: pdu.statusReportRequest,
      };
    case 'status-report':
      return {
        type: 'status-report', smsc, address: formatAddress(pdu.recipient), mr: pdu.messageReference,
        pid: pdu.protocolId ?? 0, dcs: pdu.dcs?.raw ?? 0, encoding: pdu.dcs?.encoding ?? 'gsm7',
        ...userDataFields(pdu.userData),
        timestamp: timestampToIso(pdu.timestamp), dischargeTime: timestampToIso(pdu.dischargeTime),
        status: pdu.status, statusReportRequested: false,
      };
  }
}
