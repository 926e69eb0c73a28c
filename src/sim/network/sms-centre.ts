/**
 * The service-centre logic of the simulated network, without sockets: SMS-SUBMIT in,
 * SMS-DELIVER out (3GPP TS 23.040 §9.2.2.1/§9.2.2.2), status reports (§9.2.2.3), store and
 * forward with retries while a recipient is absent or its storage is full.
 */
import { decodePdu, encodePdu, relativeValiditySeconds, type SmsAddress, type SmsSubmit, type SmsTimestamp } from '../../sms/index.ts';
import { normaliseMsisdn } from './protocol.ts';

/** TS 23.040 §9.2.3.15 TP-ST values used here. */
export const STATUS_DELIVERED = 0x00;
export const STATUS_VALIDITY_EXPIRED = 0x46;

/** One SMS the centre holds for a recipient. */
export interface StoredMessage {
  readonly deliveryId: number;
  readonly recipient: string;
  readonly kind: 'deliver' | 'status-report';
  /** Full PDU (SMSC field first) as the recipient's modem prints it. */
  readonly pdu: string;
  readonly expiresAtMs: number;
  attempts: number;
  /** Status report to send back when delivered, if the sender asked for one. */
  readonly onDelivered: StoredMessage | null;
}

/** Turns a UTC time in milliseconds into a time stamp at offset 0. */
export function timestampAt(epochMs: number): SmsTimestamp {
  const d = new Date(epochMs);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), offsetQuarterHours: 0,
  };
}

function internationalAddress(msisdn: string): SmsAddress {
  return { value: msisdn, typeOfNumber: 'international', numberingPlan: 1 };
}

/** Parameters of {@link SmsCentre}. */
export interface SmsCentreOptions {
  /** The centre's own address (digits), put in front of every PDU it delivers. */
  readonly smscMsisdn: string;
  /** How long an undeliverable SMS is kept when its TP-VP says nothing. @defaultValue 86400 */
  readonly defaultValiditySec?: number;
}

/**
 * Converts submissions into deliveries. Pure apart from the ids it hands out: the caller passes
 * the time and moves the returned messages over the wire.
 */
export class SmsCentre {
  private nextDeliveryId = 1;

  constructor(private readonly options: SmsCentreOptions) {}

  /**
   * Accepts an SMS-SUBMIT TPDU from `senderMsisdn`. Returns the message for the destination,
   * or null with an RP cause (TS 24.011 Annex E: 96 invalid mandatory information) when the
   * TPDU is not a valid SMS-SUBMIT.
   */
  accept(senderMsisdn: string, tpduHex: string, nowMs: number): { message: StoredMessage } | { cause: number } {
    let submit: SmsSubmit;
    try {
      const pdu = decodePdu(tpduHex, { smscPrefix: false });
      if (pdu.type !== 'submit') return { cause: 96 };
      submit = pdu;
    } catch {
      return { cause: 96 };
    }
    const recipient = normaliseMsisdn(submit.destination.value);
    const smsc = internationalAddress(this.options.smscMsisdn);
    const validitySec = submit.validityPeriod?.format === 'relative'
      ? relativeValiditySeconds(submit.validityPeriod.code)
      : (this.options.defaultValiditySec ?? 86_400);
    const deliver = encodePdu({
      type: 'deliver', smsc, moreMessagesToSend: false, loopPrevention: false, replyPath: submit.replyPath,
      statusReportIndication: submit.statusReportRequest, originator: internationalAddress(senderMsisdn),
      protocolId: submit.protocolId, dcs: submit.dcs, timestamp: timestampAt(nowMs), userData: submit.userData,
    });
    const report = submit.statusReportRequest
      ? this.statusReport(senderMsisdn, submit, nowMs, STATUS_DELIVERED, nowMs + validitySec * 1000)
      : null;
    return {
      message: {
        deliveryId: this.nextDeliveryId++, recipient, kind: 'deliver', pdu: deliver.hex,
        expiresAtMs: nowMs + validitySec * 1000, attempts: 0, onDelivered: report,
      },
    };
  }

  /** The status report for `submit`, sent to its sender (TS 23.040 §9.2.2.3). */
  statusReport(senderMsisdn: string, submit: SmsSubmit, submittedAtMs: number, status: number, expiresAtMs: number): StoredMessage {
    const pdu = encodePdu({
      type: 'status-report', smsc: internationalAddress(this.options.smscMsisdn), moreMessagesToSend: false,
      loopPrevention: false, statusReportQualifier: false, messageReference: submit.messageReference,
      recipient: submit.destination, timestamp: timestampAt(submittedAtMs), dischargeTime: timestampAt(submittedAtMs),
      status, parameterIndicator: null, parameterIndicatorExtensions: [], protocolId: null, dcs: null, userData: null,
    });
    return {
      deliveryId: this.nextDeliveryId++, recipient: senderMsisdn, kind: 'status-report', pdu: pdu.hex,
      expiresAtMs, attempts: 0, onDelivered: null,
    };
  }

  /** The same status report with the discharge time and status of the actual outcome. */
  completeReport(report: StoredMessage, status: number, dischargeMs: number): StoredMessage {
    const pdu = decodePdu(report.pdu);
    if (pdu.type !== 'status-report') return report;
    const updated = encodePdu({ ...pdu, status, dischargeTime: timestampAt(dischargeMs) });
    return { ...report, deliveryId: this.nextDeliveryId++, pdu: updated.hex };
  }
}
