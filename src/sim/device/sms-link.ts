/**
 * The SMS side of a simulated LwM2M device: whole messages (CoAP datagrams) to and from one peer
 * number, carried as 8-bit binary SMS through the simulated network, concatenated when longer
 * than 140 bytes (LwM2M Transport, "SMS Binding": "placing a CoAP message in the SMS payload
 * using 8-bit encoding. SMS concatenation MAY be used for messages larger than 140
 * characters").
 *
 *   SimDevice / SmsTunnel ⇄ DeviceSmsLink ⇄ SimNetworkClient ⇄ SimNetwork ⇄ the gateway's modem
 *
 * Only SMS from the peer number are accepted: LwM2M clients MUST silently ignore SMS "from an
 * MSISDN that is not recorded in the LwM2M Server SMS Number resource" (LwM2M Transport, "SMS
 * Channel Security"; Core Appendix E /0/x/9).
 */
import { GatewayError } from '../../shared/errors.ts';
import { TypedEmitter } from '../../shared/typed-emitter.ts';
import { decodePdu, splitIntoSubmitPdus, type SmsPdu } from '../../sms/index.ts';
import { SimNetworkClient, type SimDelivery } from '../network/network-client.ts';
import { normaliseMsisdn } from '../network/protocol.ts';
import { SmsReassembler, type SmsReassemblerOptions } from './sms-reassembler.ts';
import { WAP_PUSH_PORT, unwrapWapPush } from './wap-push.ts';

/** Options of {@link DeviceSmsLink.connect}. */
export interface DeviceSmsLinkOptions {
  /** The simulated network (`smsbridge sim network`). */
  readonly network: { readonly host: string; readonly port: number };
  /** This handset's own number (`+49…` or digits). */
  readonly msisdn: string;
  /** The only number messages go to and are accepted from: the gateway's modem. */
  readonly peerMsisdn: string;
  readonly reassembly?: SmsReassemblerOptions;
  /** Give up attaching to the network after this long. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
}

/** Why a received SMS was dropped. */
export type SmsIgnoredReason =
  /** From a number other than the peer (LwM2M "SMS Channel Security"). */
  | 'foreign-number'
  /** Not 8-bit data (the binding carries CoAP "using 8-bit encoding"). */
  | 'not-8bit'
  /** Not a decodable SMS-DELIVER. */
  | 'undecodable'
  /** Sent to the WAP Push port but not a WSP Push PDU. */
  | 'not-a-push';

/** Counters of one {@link DeviceSmsLink}; every SMS counts, each part of a concatenated message. */
export interface DeviceSmsLinkStats {
  /** SMS-SUBMITs the network accepted. */
  smsSent: number;
  /** SMS-DELIVERs received, ignored ones included (status reports are not counted). */
  smsReceived: number;
  /** SMS-DELIVERs dropped, see {@link SmsIgnoredReason}. */
  smsIgnored: number;
  /** Whole messages sent (one per {@link DeviceSmsLink.send}). */
  messagesSent: number;
  /** Whole messages received from the peer and handed on. */
  messagesReceived: number;
}

/** Events of {@link DeviceSmsLink}. */
export type DeviceSmsLinkEvents = {
  /** A whole message from the peer (reassembled; a WAP Push unwrapped). */
  message: [payload: Uint8Array];
  /** An SMS was dropped; `from` is its originator as received. */
  ignored: [from: string, reason: SmsIgnoredReason];
  /** The network connection ended. */
  closed: [];
};

/** TS 23.040 §9.2.3.24.1: an 8-bit concatenation reference. */
const REFERENCE_MODULO = 256;

/**
 * One handset's SMS link to one peer. Contract: `send` resolves once the network accepted every
 * part and rejects with {@link GatewayError} `GW_ERR_SIM_UNAVAILABLE` (details `cause`, the RP
 * cause) when it refused one, or `GW_ERR_SMS_TOO_LONG` for a message of more than 255 parts;
 * every delivery is acknowledged at once, whether it is used or ignored; `close` leaves the
 * network.
 */
export class DeviceSmsLink extends TypedEmitter<DeviceSmsLinkEvents> {
  /** Counters since connect. */
  readonly stats: DeviceSmsLinkStats = { smsSent: 0, smsReceived: 0, smsIgnored: 0, messagesSent: 0, messagesReceived: 0 };
  /** This handset's number, digits only. */
  readonly msisdn: string;
  /** The peer's number, digits only. */
  readonly peerMsisdn: string;
  readonly #client: SimNetworkClient;
  readonly #reassembler: SmsReassembler;
  #nextReference: number;

  private constructor(client: SimNetworkClient, options: DeviceSmsLinkOptions) {
    super();
    this.#client = client;
    this.msisdn = normaliseMsisdn(options.msisdn);
    this.peerMsisdn = normaliseMsisdn(options.peerMsisdn);
    this.#reassembler = new SmsReassembler(options.reassembly);
    this.#nextReference = Math.floor(Math.random() * REFERENCE_MODULO);
    client.on('deliver', (delivery) => this.#onDeliver(delivery));
    client.on('closed', () => this.emit('closed'));
  }

  /** Attaches to the network. Rejects with `GW_ERR_SIM_UNAVAILABLE` when it cannot be reached. */
  static async connect(options: DeviceSmsLinkOptions): Promise<DeviceSmsLink> {
    const client = await SimNetworkClient.connect({
      host: options.network.host,
      port: options.network.port,
      msisdn: options.msisdn,
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    });
    return new DeviceSmsLink(client, options);
  }

  /** True once the network connection ended. */
  get closed(): boolean {
    return this.#client.closed;
  }

  /** Incomplete concatenated messages held now. */
  get pendingReassemblies(): number {
    return this.#reassembler.pendingMessages;
  }

  /**
   * Sends `payload` to the peer as 8-bit SMS (DCS 0x04), one part when it fits 140 bytes, else
   * parts of 134 bytes with an 8-bit concatenation reference that changes per message. Resolves
   * with the number of SMS sent. Errors: see the class contract.
   */
  async send(payload: Uint8Array): Promise<number> {
    const reference = this.#nextReference;
    this.#nextReference = (this.#nextReference + 1) % REFERENCE_MODULO;
    const parts = splitIntoSubmitPdus({ destination: `+${this.peerMsisdn}`, payload: { data: payload }, concatReference: reference });
    for (const part of parts) {
      // The part's hex starts with the SMSC field `00`; the network takes the TPDU alone.
      const result = await this.#client.submit(part.hex.slice(2));
      if (!result.ok) {
        throw new GatewayError('GW_ERR_SIM_UNAVAILABLE', `the network refused an SMS to +${this.peerMsisdn} (RP cause ${result.cause})`, { cause: result.cause });
      }
      this.stats.smsSent++;
    }
    this.stats.messagesSent++;
    return parts.length;
  }

  /** Leaves the network; incomplete messages are dropped. */
  async close(): Promise<void> {
    this.#reassembler.clear();
    await this.#client.close();
  }

  #ignore(from: string, reason: SmsIgnoredReason): void {
    this.stats.smsIgnored++;
    this.emit('ignored', from, reason);
  }

  #onDeliver(delivery: SimDelivery): void {
    // The handset took the SMS whatever the LwM2M client then does with it.
    this.#client.ack(delivery.deliveryId, true);
    if (delivery.kind !== 'deliver') return;
    this.stats.smsReceived++;
    let pdu: SmsPdu;
    try {
      pdu = decodePdu(delivery.pduHex);
    } catch {
      this.#ignore('', 'undecodable');
      return;
    }
    if (pdu.type !== 'deliver') {
      this.#ignore('', 'undecodable');
      return;
    }
    const from = pdu.originator.value;
    if (pdu.originator.typeOfNumber === 'alphanumeric' || normaliseMsisdn(from) !== this.peerMsisdn) {
      this.#ignore(from, 'foreign-number');
      return;
    }
    if (pdu.dcs.encoding !== '8bit' || pdu.dcs.compressed) {
      this.#ignore(from, 'not-8bit');
      return;
    }
    const header = pdu.userData.header;
    const message = this.#reassembler.add(this.peerMsisdn, header?.concatenation ?? null, pdu.userData.data);
    if (message === null) return;
    let payload: Uint8Array | null = message;
    if (header?.ports?.destination === WAP_PUSH_PORT) payload = unwrapWapPush(message);
    if (payload === null) {
      this.#ignore(from, 'not-a-push');
      return;
    }
    this.stats.messagesReceived++;
    this.emit('message', payload);
  }
}
