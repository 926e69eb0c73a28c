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
  GW_ERR_CONFIG: 'A configuration value or command-line option is invalid; the error names it.',
  GW_ERR_START_ABORTED: 'Start-up was aborted (stop requested) before the gateway was running, e.g. while Redis was unreachable.',
  GW_ERR_USAGE: 'The command line is malformed: unknown command or option, missing argument or option value.',
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
  GW_ERR_AT_TIMEOUT: 'The modem gave no final result code to a command in time.',
  GW_ERR_AT_COMMAND: 'The modem answered a command with ERROR, +CME ERROR or +CMS ERROR.',
  GW_ERR_AT_CLOSED: 'The port closed (or was closed) while a command was queued or in flight, or while the interactive `smsbridge at` console was open.',
  // --- Modem driver and pool (src/modem) ---
  GW_ERR_MODEM_OPEN: 'The modem port could not be opened.',
  GW_ERR_MODEM_PIN_WRONG: 'The SIM rejected the configured PIN; it is not tried again.',
  GW_ERR_MODEM_PUK_REQUIRED: 'The SIM is blocked and needs its PUK; the gateway never guesses one.',
  GW_ERR_MODEM_SIM: 'The SIM is missing, failed, or asks for a code the gateway does not have.',
  GW_ERR_MODEM_INIT: 'The modem lacks a capability the gateway needs (PDU mode, SMS service).',
  GW_ERR_MODEM_NOT_REGISTERED: 'The modem is not registered on a network, so it cannot send now.',
  GW_ERR_MODEM_SEND_FAILED: 'The modem or network rejected the SMS; it was not sent.',
  GW_ERR_MODEM_SEND_UNKNOWN: 'The PDU was written but no result came: the SMS may or may not have left.',
  GW_ERR_MODEM_UNAVAILABLE: 'The modem is not ready (initialising, resetting, disconnected or blocked).',
  GW_ERR_POOL_NO_MODEM: 'No modem of the pool can take the message now.',
  GW_ERR_MODEM_PROFILE: 'A modem profile file is malformed or inconsistent.',
  GW_ERR_MODEM_PERSIST_SLOW: 'A routed SMS (+CMT) was not persisted before the modem needed its acknowledgement; it was refused (AT+CNMA=2) and the network delivers it again.',
  GW_ERR_MODEM_ROUTE_SWITCH: 'The modem refused the AT+CNMI that switches the adaptive receive route; the route stays as it is on this connection.',
  // --- LwM2M and CoAP (src/lwm2m) ---
  GW_ERR_COAP_DECODE: 'The bytes are not a well-formed CoAP message (RFC 7252 §3).',
  GW_ERR_COAP_ENCODE: 'A CoAP message cannot be encoded as given (token, message ID or option out of range).',
  GW_ERR_LINK_FORMAT: 'A link-format payload (RFC 6690) cannot be parsed.',
  GW_ERR_LWM2M_REGISTRATION: 'A Register or Update request has an invalid parameter (lt, b, repeated parameter).',
  // --- Relay (src/bridge) ---
  GW_ERR_RELAY_SOCKET: 'No core-facing UDP socket could be bound for a device (port range exhausted).',
  GW_ERR_REGISTRATION_REFUSED: 'The admission policy refused a Register or Update (source network, endpoint name, another device\'s registration, or a registration limit).',
  GW_ERR_CORE_UNRESOLVED: 'The core server\'s host name did not resolve to an address of the core-facing sockets\' family.',
  GW_ERR_RELAY_FILE_LIMIT: 'The process reached its open-file limit (EMFILE/ENFILE): no socket could be opened; or, at start, coreSockets.capacity + 256 exceeds the hard limit. Raise LimitNOFILE.',
  GW_ERR_WAKEUP_REDIS: 'A wake-up request or query could not reach Redis in time; no job was added (HTTP 503 from the admin API).',
  GW_ERR_SMS_EXPIRED: 'An outbound SMS waited in its queue past its time-to-live (outboundSms.*TtlMs); it was not sent.',
  // --- Simulators (src/sim) ---
  GW_ERR_SIM_PROTOCOL: 'A message to a simulator (network, modem control port) is not valid JSON of a known operation.',
  GW_ERR_CORE_UNKNOWN_CLIENT: 'The lab core has no registration with that endpoint name.',
  GW_ERR_CORE_TIMEOUT: 'The lab core got no acknowledgement or no response to a request in time.',
  GW_ERR_CORE_RESET: 'The client answered the lab core\'s request with a Reset.',
  GW_ERR_CORE_STOPPED: 'The lab core stopped while a request was outstanding.',
  GW_ERR_SIM_UNAVAILABLE: 'A simulator could not start or lost its connection (socat missing, network down).',
  GW_ERR_SIM_LINK_IN_USE: 'The --link path of a simulated modem is held by a running simulated modem or another program.',
  // --- Admin API (src/admin) and the CLI commands over it ---
  GW_ERR_ADMIN_UNAUTHORIZED: 'The admin API request carries no bearer token, or one the gateway does not know (HTTP 401).',
  GW_ERR_ADMIN_FORBIDDEN: 'The admin API request used the read-only token on a route that changes something (HTTP 403).',
  GW_ERR_ADMIN_REQUEST: 'The admin API request is malformed: body not JSON, too large, or not what the route takes (HTTP 400).',
  GW_ERR_ADMIN_NOT_FOUND: 'The admin API has no such route, or the modem or device named in it does not exist (HTTP 404).',
  GW_ERR_ADMIN_REDIS: 'The admin API could not read the queues in Redis: not connected, or no answer in time (HTTP 503).',
  GW_ERR_ADMIN_UNREACHABLE: 'A CLI command could not reach the admin API at its --url (gateway not running, admin disabled, wrong address).',
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
