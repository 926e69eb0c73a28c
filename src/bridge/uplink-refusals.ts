/**
 * What the relay answers a device whose message it does not relay: a malformed datagram, a
 * message from an unknown device, a registration it could not store, one the admission
 * policy refused, and one that got no core-facing socket. Each is counted and emitted as `dropped`; a UDP device's confirmable message
 * gets the CoAP answer RFC 7252 gives it. Over SMS nothing is ever answered: an answer would cost
 * an SMS, and an SMS device does not retransmit.
 */
import { DecodeError } from '../shared/errors.ts';
import { coapAck, coapReset, coapResponse } from '../lwm2m/coap-builders.ts';
import { CoapCode, isRequest } from '../lwm2m/coap-codes.ts';
import { encodeCoap, isEmpty, peekHeader, type CoapMessage } from '../lwm2m/coap-message.ts';
import type { DeviceSource } from '../lwm2m/device-record.ts';
import type { RegistrationRefusedError } from '../lwm2m/registration-admission.ts';
import type { DeviceUdpSender, RelayCounters, RelayEvents } from './relay-types.ts';

/**
 * Max-Age (seconds) of the 5.03 answered to a request that got no core-facing socket: when the
 * device should try again (RFC 7252 §5.9.3.4, §5.10.5). Neither cause clears at once: a full
 * port range frees a port when a registration ends (an unanswered Register after
 * `registration.registerAnswerTimeoutMs`, 247 s by default), and a reached open-file limit
 * needs LimitNOFILE raised; so the device waits twice CoAP's default Max-Age (60 s).
 */
export const NO_SOCKET_RETRY_AFTER_SEC = 120;

/** See the file comment. Holds no state of its own. */
export class UplinkRefusals {
  constructor(
    private readonly udp: DeviceUdpSender,
    private readonly counters: RelayCounters,
    private readonly dropped: (event: RelayEvents['dropped'][0]) => void,
  ) {}

  /** Undecodable bytes: RFC 7252 §4.2, a malformed CON is answered with RST. */
  malformed(source: DeviceSource, bytes: Uint8Array, error: unknown): void {
    this.counters.malformed += 1;
    this.dropped({ reason: 'malformed-from-device', endpoint: null, detail: String(error) });
    const header = peekHeader(bytes);
    if (source.bearer === 'udp' && header?.type === 'CON') this.udp.send(source.host, source.port, encodeCoap(coapReset(header.messageId)));
  }

  /** No registration matches the source: RST to a UDP CON (RFC 7252 §4.2, the message cannot be processed). */
  unknownDevice(source: DeviceSource, message: CoapMessage): void {
    this.counters.unknownDevice += 1;
    this.dropped({ reason: 'unknown-device', endpoint: null, detail: JSON.stringify(source) });
    if (source.bearer === 'udp' && message.type === 'CON') this.udp.send(source.host, source.port, encodeCoap(coapReset(message.messageId)));
  }

  /**
   * A Register or Update that could not be taken: an invalid one (the core is the authority, but
   * without an endpoint there is no socket to relay from) is answered 4.00 as the core would;
   * anything else (Redis refused a write) is the gateway's failure: 5.03 Service Unavailable
   * (RFC 7252 §5.9.3.4).
   */
  notStored(source: DeviceSource, message: CoapMessage, endpoint: string | null, error: unknown): void {
    const invalid = error instanceof DecodeError;
    this.dropped({ reason: invalid ? 'invalid-registration' : 'store-failed', endpoint, detail: String(error) });
    if (message.type === 'CON' && source.bearer === 'udp') {
      const code = invalid ? CoapCode.BAD_REQUEST : CoapCode.SERVICE_UNAVAILABLE;
      this.udp.send(source.host, source.port, encodeCoap({ ...coapAck(message.messageId), code, token: message.token }));
    }
  }

  /**
   * No core-facing socket could be opened for `endpoint` (no free address in the port range,
   * the open-file limit, a bind failure; for a known device also one waiting for its recorded
   * address after a restart): the message is not relayed, and the drop says what it was and
   * what the device got. The Register without a socket and every later message of a known device
   * end here (one implementation):
   * - a confirmable request over UDP (Register, Update, De-register, Send) is answered 5.03
   *   Service Unavailable with Max-Age {@link NO_SOCKET_RETRY_AFTER_SEC} (RFC 7252 §5.9.3.4),
   *   so the device backs off instead of retransmitting into the void;
   * - a confirmable response or notification over UDP cannot be answered with a response, and
   *   is not acknowledged either: the device retransmits it (RFC 7252 §4.2, for up to
   *   MAX_TRANSMIT_WAIT, 93 s), and a retransmission is relayed once the socket is bound (the
   *   pool retries it); a Reset would end an observation (RFC 7641 §3.6);
   * - a CoAP ping over UDP (an empty CON, RFC 7252 §4.3) is not answered either: the Reset that
   *   answers a ping is the core's (it is relayed like any message), and one from the gateway
   *   would tell the device its server is reachable while none of its messages reach it; the
   *   device retransmits the ping, and a retransmission is relayed once the socket is bound;
   * - an ACK or RST (a piggy-backed response) is never answered (RFC 7252 §4.2), nor is a NON;
   * - over SMS nothing is answered: each SMS costs money, and an SMS device does not retransmit
   *   (LwM2M Transport, SMS binding).
   */
  noSocket(source: DeviceSource, message: CoapMessage, endpoint: string, error: unknown): void {
    const answered = message.type === 'CON' && source.bearer === 'udp' && isRequest(message.code);
    this.dropped({ reason: 'no-socket', endpoint, detail: `${kindOf(message)} over ${source.bearer} ${answered ? `answered 5.03 Max-Age ${NO_SOCKET_RETRY_AFTER_SEC}` : notAnswered(source, message)}: ${String(error)}` });
    if (!answered) return;
    const answer = coapResponse(message, CoapCode.SERVICE_UNAVAILABLE, undefined, { maxAgeSec: NO_SOCKET_RETRY_AFTER_SEC });
    this.udp.send(source.host, source.port, encodeCoap(answer));
  }

  /**
   * The admission refused a Register or Update: nothing was stored and no socket bound. A UDP
   * device gets 4.03 Forbidden, or 5.03 Service Unavailable for a limit that may pass (RFC 7252
   * §5.9.2.4, §5.9.3.4).
   */
  refused(source: DeviceSource, message: CoapMessage, error: RegistrationRefusedError): void {
    this.counters.refusedRegistrations += 1;
    this.dropped({ reason: 'registration-refused', endpoint: error.endpoint, source: source.bearer === 'udp' ? source.host : source.msisdn, detail: error.message });
    if (message.type !== 'CON' || source.bearer !== 'udp') return;
    const code = error.temporary ? CoapCode.SERVICE_UNAVAILABLE : CoapCode.FORBIDDEN;
    this.udp.send(source.host, source.port, encodeCoap({ ...coapAck(message.messageId), code, token: message.token }));
  }
}

/**
 * What a message is, for a drop's detail: `CON request`, `CON response`, `CON ping` (an empty CON,
 * RFC 7252 §4.3), `ACK empty` (an empty ACK), `RST empty` (a Reset, RFC 7252 §4.1).
 */
function kindOf(message: CoapMessage): string {
  if (isRequest(message.code)) return `${message.type} request`;
  if (!isEmpty(message)) return `${message.type} response`;
  return message.type === 'CON' ? 'CON ping' : `${message.type} empty`;
}

/** Why a message without a core-facing socket got no answer (see {@link UplinkRefusals.noSocket}). */
function notAnswered(source: DeviceSource, message: CoapMessage): string {
  if (source.bearer === 'sms') return 'not answered (an SMS answer costs money)';
  if (message.type === 'CON' && isEmpty(message)) return 'not answered (a Reset would say the server is reachable; the device retransmits it)';
  if (message.type === 'CON') return 'not acknowledged (the device retransmits it)';
  return 'not answered';
}
