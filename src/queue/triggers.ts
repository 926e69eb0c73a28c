/**
 * Trigger messages a server sends by SMS to make a sleeping LwM2M client act. Pure.
 *
 * - Registration Update Trigger: Execute on the Server object's resource 8, a CoAP POST to
 *   `/1/<instance>/8` (LwM2M 1.0 §E.2 / 1.1 Core Appendix E.2 "LwM2M Server Object", resource 8
 *   "Registration Update Trigger": "If this Resource is executed the LwM2M Client MUST perform
 *   an 'Update' operation with this LwM2M Server"). The client answers with an Update over the
 *   bearer it prefers (for a `UQS` device, UDP: the SMS only wakes it).
 * - Bootstrap-Request Trigger: resource 9 of the same object, `/1/<instance>/9` (1.1 Core
 *   Appendix E.2: the client then initiates a Client Initiated Bootstrap).
 *
 * CON or NON per configuration: LwM2M 1.1 Transport §7 (SMS binding) disables CoAP
 * retransmission over SMS, and 1.1+ clients send no response to a trigger, so the server never
 * waits for one; a 1.0 client may acknowledge a CON trigger.
 *
 * Framing, per device group:
 * - `coap`: the CoAP message alone as the 8-bit user data (LwM2M Transport, SMS binding).
 * - `wap-push`: the WAP Push of LwM2M 1.1 Core Appendix L "Example of Trigger Message from Server
 *   (Informative)": WDP port addressing in the UDH (WAP-259 WDP §6.5 "GSM SMS": 16-bit
 *   application port IE, 3GPP TS 23.040 §9.2.3.24.4), destination port 2948 (WAP-259 Appendix B
 *   "Port Number Definitions": `wap-push` connectionless), then a connectionless WSP Push PDU
 *   (WAP-230 WSP §8.2.4.1 "Push and ConfirmedPush": TID, PDU type, HeadersLen, ContentType,
 *   Headers, Data) with X-WAP-Application-ID `x-wap-application:lwm2m.dm`, then the CoAP message.
 */
import { coapRequest } from '../lwm2m/coap-builders.ts';
import { CoapCode } from '../lwm2m/coap-codes.ts';
import { encodeCoap } from '../lwm2m/coap-message.ts';
import { EncodeError } from '../shared/errors.ts';

/** CoAP message type of a trigger. */
export type TriggerMode = 'CON' | 'NON';

/** How a trigger is carried in the SMS user data. */
export type TriggerFraming = 'coap' | 'wap-push';

/** Which trigger resource of the Server object is executed. */
export type TriggerKind = 'registration-update' | 'bootstrap-request';

/** Input of {@link buildTrigger}. */
export interface TriggerInit {
  readonly kind: TriggerKind;
  /** Instance of the Server object (`/1/<instance>`), 0..65535. @defaultValue 0 */
  readonly serverInstance?: number;
  readonly mode: TriggerMode;
  readonly framing: TriggerFraming;
  /** CoAP Message ID 0..65535 (RFC 7252 §4.4). */
  readonly messageId: number;
  /** CoAP token, 0..8 bytes (RFC 7252 §5.3.1). @defaultValue empty */
  readonly token?: Uint8Array;
}

/** A trigger ready for the SMS sender: 8-bit user data, with the UDH ports it needs (or none). */
export interface TriggerSms {
  /** User data after the UDH: the CoAP message, or the WSP Push PDU carrying it. */
  readonly payload: Uint8Array;
  /** 16-bit application ports for the UDH (3GPP TS 23.040 §9.2.3.24.4), or null for none. */
  readonly ports: { readonly destination: number; readonly source: number } | null;
}

/** WAP-259 WDP Appendix B: `wap-push` (connectionless push, WSP) destination port. */
export const WAP_PUSH_PORT = 2948;

/**
 * WAP-259 WDP Appendix B: 9200 is `wap-wsp` (connectionless WSP); LwM2M Core Appendix L uses
 * 0xC002 (49154), a port from the dynamic range, as the originator port.
 */
export const WAP_PUSH_SOURCE_PORT = 0xc002;

/** WAP-230 WSP §8.2.1 Table 34: PDU type 0x06 = Push. */
const WSP_PDU_PUSH = 0x06;
/**
 * WAP-230 WSP Table 40 (Content Type Assignments, as extended by the OMNA registry): 0x44 =
 * `application/vnd.syncml.notification`, encoded as a short integer (high bit set: 0xC4).
 */
const WSP_CONTENT_TYPE_SYNCML_NOTIFICATION = 0x44 | 0x80;
/** WAP-230 WSP Table 39 (Header Field Name Assignments): 0x2F = X-Wap-Application-Id (short integer 0xAF). */
const WSP_HEADER_X_WAP_APPLICATION_ID = 0x2f | 0x80;
/** OMNA Push Application ID registry: 0x1A = `x-wap-application:lwm2m.dm` (short integer 0x9A). */
const WAP_APPLICATION_ID_LWM2M_DM = 0x1a | 0x80;

/** The Server object's resource executed by each trigger (LwM2M 1.1 Core Appendix E.2). */
const TRIGGER_RESOURCE: Readonly<Record<TriggerKind, string>> = { 'registration-update': '8', 'bootstrap-request': '9' };

/**
 * The trigger's user data and UDH ports. Throws {@link EncodeError} `GW_ERR_COAP_ENCODE` for a
 * Message ID, token or server instance out of range.
 */
export function buildTrigger(init: TriggerInit): TriggerSms {
  const instance = init.serverInstance ?? 0;
  if (!Number.isInteger(instance) || instance < 0 || instance > 0xffff) {
    throw new EncodeError('GW_ERR_COAP_ENCODE', 'Uri-Path', `server instance ${String(instance)} is not 0..65535`);
  }
  const coap = encodeCoap(coapRequest({
    type: init.mode, code: CoapCode.POST, messageId: init.messageId, ...(init.token === undefined ? {} : { token: init.token }),
    path: ['1', String(instance), TRIGGER_RESOURCE[init.kind]],
  }));
  if (init.framing === 'coap') return { payload: coap, ports: null };
  return { payload: wapPushPdu(coap), ports: { destination: WAP_PUSH_PORT, source: WAP_PUSH_SOURCE_PORT } };
}

/** A connectionless WSP Push PDU (WAP-230 §8.2.4.1) carrying `data` for the LwM2M DM application. */
function wapPushPdu(data: Uint8Array): Uint8Array {
  const headers = [WSP_CONTENT_TYPE_SYNCML_NOTIFICATION, WSP_HEADER_X_WAP_APPLICATION_ID, WAP_APPLICATION_ID_LWM2M_DM];
  // TID (WAP-230 §8.2.1: present in connectionless PDUs), PDU type, HeadersLen (uintvar, WAP-230
  // §8.1.2: one octet below 128; it counts the content type and the headers).
  const head = [0x01, WSP_PDU_PUSH, headers.length, ...headers];
  const out = new Uint8Array(head.length + data.length);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}
