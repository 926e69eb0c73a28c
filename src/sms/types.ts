/**
 * Value types of the SMS PDU codec (3GPP TS 23.040, TS 23.038). Plain data, no behaviour: every
 * decoded PDU can be given back to the matching encoder and yields the same bytes.
 */

/** Type of number, TS 23.040 §9.1.2.5 (bits 6..4 of the type-of-address octet). */
export type TypeOfNumber =
  | 'unknown' // 000
  | 'international' // 001
  | 'national' // 010
  | 'network-specific' // 011
  | 'subscriber' // 100
  | 'alphanumeric' // 101, GSM 7-bit default alphabet packed
  | 'abbreviated' // 110
  | 'reserved'; // 111

/** An SMS address (TP-OA, TP-DA, TP-RA or the SMSC address). */
export interface SmsAddress {
  /**
   * Digits as text (`0-9`, and `*`, `#`, `a`, `b`, `c` for BCD codes A..E, TS 23.040 §9.1.2.3),
   * without a leading `+`; for alphanumeric addresses the decoded text.
   */
  readonly value: string;
  readonly typeOfNumber: TypeOfNumber;
  /** Numbering plan identification, bits 3..0 of the type-of-address octet (1 = ISDN/E.164). */
  readonly numberingPlan: number;
}

/** Character set of the user data, from the DCS (TS 23.038 §4). */
export type SmsEncoding = 'gsm7' | '8bit' | 'ucs2';

/** Message waiting indication carried by DCS groups 1100..1110 (TS 23.038 §4). */
export interface MessageWaiting {
  /** True when the indication is set (bit 3), false when it is cleared. */
  readonly active: boolean;
  readonly kind: 'voicemail' | 'fax' | 'email' | 'other';
  /** Group 1100 says the message may be discarded after the indication was shown. */
  readonly discard: boolean;
}

/** What a TP-DCS octet means. */
export interface DataCodingScheme {
  /** The raw octet, kept for exact re-encoding. */
  readonly raw: number;
  readonly encoding: SmsEncoding;
  /** Message class 0..3 where the DCS gives one, else null. */
  readonly messageClass: 0 | 1 | 2 | 3 | null;
  /** TS 23.042 compression flag; compressed user data is not decoded to text. */
  readonly compressed: boolean;
  /** General data coding group 01xx: marked for automatic deletion. */
  readonly autoDelete: boolean;
  readonly messageWaiting: MessageWaiting | null;
}

/** One information element of a user data header (TS 23.040 §9.2.3.24). */
export interface InformationElement {
  /** Information element identifier. */
  readonly iei: number;
  readonly data: Uint8Array;
}

/** Concatenation information (IEI 0x00 with an 8-bit reference, IEI 0x08 with a 16-bit one). */
export interface Concatenation {
  readonly reference: number;
  readonly referenceBits: 8 | 16;
  /** Total number of parts, 1..255. */
  readonly total: number;
  /** This part's sequence number, 1..total. */
  readonly sequence: number;
}

/** Application port addressing (IEI 0x04 with 8-bit ports, IEI 0x05 with 16-bit ports). */
export interface PortAddressing {
  readonly destination: number;
  readonly source: number;
  readonly portBits: 8 | 16;
}

/** A decoded user data header: all elements in order, plus the ones this gateway interprets. */
export interface UserDataHeader {
  readonly elements: readonly InformationElement[];
  /** Null when absent or when the element's values are out of range (the spec says: ignore it). */
  readonly concatenation: Concatenation | null;
  readonly ports: PortAddressing | null;
  /**
   * True when the header's final element ran past the header length, so the whole header was
   * ignored (TS 23.040 §9.2.3.24); absent otherwise. The message itself is still delivered.
   */
  readonly ignoredAsMalformed?: true;
}

/** User data (TP-UD) with its header split off. */
export interface UserData {
  readonly header: UserDataHeader | null;
  /** Decoded text for gsm7 and ucs2 (header excluded); null for 8-bit or compressed data. */
  readonly text: string | null;
  /**
   * The user data without the header: octets for 8bit and ucs2, unpacked septet values (one
   * per byte, 0..127) for gsm7.
   */
  readonly data: Uint8Array;
}

/** Service-centre time stamp (TS 23.040 §9.2.3.11), also the absolute validity period format. */
export interface SmsTimestamp {
  /** Four-digit year; the PDU carries two digits, read in the window 1990..2089. */
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Offset from UTC in quarters of an hour, -79..79. */
  readonly offsetQuarterHours: number;
}

/** TP-VP in one of its three formats (TS 23.040 §9.2.3.12). */
export type ValidityPeriod =
  | { readonly format: 'relative'; readonly code: number }
  | { readonly format: 'absolute'; readonly timestamp: SmsTimestamp }
  | { readonly format: 'enhanced'; readonly octets: Uint8Array };

/** SMS-DELIVER, SC to MS (TS 23.040 §9.2.2.1). */
export interface SmsDeliver {
  readonly type: 'deliver';
  readonly smsc: SmsAddress | null;
  /** TP-MMS inverted: true when the SC has more messages waiting. */
  readonly moreMessagesToSend: boolean;
  readonly loopPrevention: boolean;
  readonly replyPath: boolean;
  /** TP-SRI: the sender asked for a status report. */
  readonly statusReportIndication: boolean;
  readonly originator: SmsAddress;
  readonly protocolId: number;
  readonly dcs: DataCodingScheme;
  readonly timestamp: SmsTimestamp;
  readonly userData: UserData;
}

/** SMS-SUBMIT, MS to SC (TS 23.040 §9.2.2.2). */
export interface SmsSubmit {
  readonly type: 'submit';
  readonly smsc: SmsAddress | null;
  readonly rejectDuplicates: boolean;
  readonly replyPath: boolean;
  readonly statusReportRequest: boolean;
  readonly messageReference: number;
  readonly destination: SmsAddress;
  readonly protocolId: number;
  readonly dcs: DataCodingScheme;
  readonly validityPeriod: ValidityPeriod | null;
  readonly userData: UserData;
}

/** SMS-STATUS-REPORT, SC to MS (TS 23.040 §9.2.2.3). */
export interface SmsStatusReport {
  readonly type: 'status-report';
  readonly smsc: SmsAddress | null;
  readonly moreMessagesToSend: boolean;
  readonly loopPrevention: boolean;
  /** TP-SRQ: true when this reports on an SMS-COMMAND, false for an SMS-SUBMIT. */
  readonly statusReportQualifier: boolean;
  readonly messageReference: number;
  readonly recipient: SmsAddress;
  readonly timestamp: SmsTimestamp;
  readonly dischargeTime: SmsTimestamp;
  /** TP-ST, TS 23.040 §9.2.3.15. */
  readonly status: number;
  /** The TP-PI octet, or null when the report ends after TP-ST. */
  readonly parameterIndicator: number | null;
  /** Further TP-PI octets announced by bit 7 (reserved; kept for exact re-encoding). */
  readonly parameterIndicatorExtensions: readonly number[];
  /** TP-PID when present, else null. */
  readonly protocolId: number | null;
  /** TP-DCS when present, else null. */
  readonly dcs: DataCodingScheme | null;
  /** TP-UD when TP-UDL is present, else null. */
  readonly userData: UserData | null;
}

/** Any PDU this codec decodes. */
export type SmsPdu = SmsDeliver | SmsSubmit | SmsStatusReport;
