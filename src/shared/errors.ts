/**
 * The one error registry of lwm2m-sms-bridge.
 *
 * Every error the gateway raises on purpose carries a stable code from {@link ERROR_CODES}. Codes
 * are part of the public contract (logs, CLI output, admin API): never rename or reuse one; add new
 * codes at the end of their group. `docs/errors.md` lists them all, and a test fails when the two
 * disagree (pattern from fastify `lib/errors.js`).
 */

/** Stable error codes with a one-line meaning each. */
export const ERROR_CODES = {
  // --- General ---
  GW_ERR_INTERNAL: 'A defect: an error the code did not expect. Report it with the log line.',
  // --- SMS PDU codec (src/sms), 3GPP TS 23.040 / 23.038 ---
  GW_ERR_PDU_HEX: 'The PDU text is not an even-length string of hexadecimal digits.',
  GW_ERR_PDU_TRUNCATED: 'The PDU ended before a field was complete.',
  GW_ERR_PDU_TRAILING: 'The PDU has bytes after the end of its user data.',
  GW_ERR_PDU_MTI: 'The message type indicator names a type this codec does not decode.',
  GW_ERR_PDU_FIELD: 'A PDU field holds a value that the specification does not allow.',
  GW_ERR_PDU_UDH: 'The user data header is malformed.',
  GW_ERR_PDU_TEXT: 'The user data cannot be decoded in its declared alphabet.',
  GW_ERR_SMS_ENCODE: 'The message cannot be encoded as requested (bad address, text or option).',
  GW_ERR_SMS_TOO_LONG: 'The payload needs more than 255 concatenated parts.',
  // --- AT command channel (src/modem) ---
  GW_ERR_AT_PARSE: 'An AT response line does not have the syntax its prefix announces.',
} as const;

/** A code from the registry. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Base class of every error the gateway raises on purpose. `code` is stable; `message` is for
 * people and may change. `details` holds structured context safe to log (never secrets).
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...details });
  }

  /** A plain object for JSON output: `{ code, message, ...details }`. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/**
 * A PDU (or other byte codec input) could not be decoded. `field` names the protocol field
 * (for example `TP-UDL`), `offset` is the byte offset in the input where that field starts.
 */
export class DecodeError extends GatewayError {
  readonly field: string;
  readonly offset: number;

  constructor(code: ErrorCode, field: string, offset: number, message: string) {
    super(code, `${field} at byte ${offset}: ${message}`, { field, offset });
    this.field = field;
    this.offset = offset;
  }
}

/** Encoding input was invalid (for example a destination with letters, or a port over 65535). */
export class EncodeError extends GatewayError {
  readonly field: string;

  constructor(code: ErrorCode, field: string, message: string) {
    super(code, `${field}: ${message}`, { field });
    this.field = field;
  }
}

/** True when `value` is a {@link GatewayError} (works across module copies by checking the code). */
export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}
