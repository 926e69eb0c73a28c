/**
 * How the relay sends: to the core from the device's own socket, to the device over UDP or SMS,
 * and the responses the gateway writes to the core itself (separate responses, confirmable
 * with RFC 7252 retransmission). No decisions here: the relay chooses bearer, modem and code.
 */
import { GatewayError } from '../shared/errors.ts';
import { systemCoapClock, type CoapClock } from '../lwm2m/coap-clock.ts';
import { encodeCoap, type CoapMessage } from '../lwm2m/coap-message.ts';
import { DEFAULT_CONFIRMABLE_PARAMETERS, transmitConfirmable, type ConfirmableTransmission } from '../lwm2m/coap-retransmission.ts';
import type { DeviceRecord } from '../lwm2m/device-record.ts';
import type { CoreServerAddress } from './core-server-address.ts';
import type { CoreSocketPool } from './core-sockets.ts';
import type { DeviceExchanges } from './exchanges.ts';
import type { DeviceSmsSender, DeviceUdpSender, RelayCounters, RelayEvents } from './relay-types.ts';
import { smsPartsOf, type BudgetRefusal, type SmsReservation, type SmsSpendGate } from './sms-budget.ts';
import type { SmsOperationCounters } from './sms-operations.ts';

/** SMS spend of the relay's output: the budget asked before each SMS, and the counts per operation. */
export interface RelaySpend {
  readonly gate?: SmsSpendGate;
  readonly operations?: SmsOperationCounters;
  /** An SMS was refused by the budget (the caller has already told the core, when there is one). */
  readonly onRefused?: (refusal: BudgetRefusal) => void;
}

/** The relay's senders. Never throws; failures are counted and reported through `dropped`. */
export class RelayOutput {
  private closed = false;

  constructor(
    private readonly sockets: CoreSocketPool,
    private readonly core: CoreServerAddress,
    private readonly sms: DeviceSmsSender,
    private readonly udp: DeviceUdpSender,
    private readonly counters: RelayCounters,
    private readonly dropped: (event: RelayEvents['dropped'][0]) => void,
    private readonly ackTimeoutMs: number,
    private readonly clock: CoapClock = systemCoapClock,
    private readonly spend: RelaySpend = {},
  ) {}

  /**
   * Reserves the SMS parts of `message` for `record` with the budget (sms-budget.ts); the refusal
   * is reported through `onRefused`. Without a budget every SMS may go (`reservation` undefined).
   */
  async reserveSms(record: DeviceRecord, message: CoapMessage | Uint8Array): Promise<{ ok: true; reservation?: SmsReservation } | { ok: false; refusal: BudgetRefusal }> {
    if (this.spend.gate === undefined) return { ok: true };
    const bytes = message instanceof Uint8Array ? message.length : encodeCoap(message).length;
    const decision = await this.spend.gate.reserve(record, smsPartsOf(bytes));
    if (!decision.ok) this.spend.onRefused?.(decision.refusal);
    return decision;
  }

  /** Encodes and sends `message` to the core from the socket of `endpoint`. */
  toCore(endpoint: string, message: CoapMessage): void {
    this.bytesToCore(endpoint, encodeCoap(message));
  }

  /**
   * For the gateway's stop, before the core-facing sockets close: from then on nothing is sent to
   * the core (a send on a closed socket would throw from a timer and end the process).
   */
  close(): void {
    this.closed = true;
  }

  /** Sends `bytes` to the core from the socket of `endpoint` (opened first when needed). */
  bytesToCore(endpoint: string, bytes: Uint8Array): void {
    if (this.closed) return;
    const open = this.sockets.get(endpoint);
    if (open !== undefined) {
      // The usual case, kept synchronous: no promise per datagram on the hot path.
      this.counters.toCore += 1;
      open.send(bytes, this.core.port, this.core.sendAddress);
      return;
    }
    void this.sockets.ensure(endpoint).then(
      (socket) => {
        if (this.closed) return; // the socket was found while the gateway stopped
        this.counters.toCore += 1;
        socket.send(bytes, this.core.port, this.core.sendAddress);
      },
      (error: unknown) => this.dropped({ reason: 'no-socket', endpoint, detail: String(error) }),
    );
  }

  /**
   * A response the gateway built, to the core: NON as is; CON retransmitted (RFC 7252 §4.2)
   * until the core's ACK reaches `exchanges.awaitingCoreAck` or the retransmissions run out.
   */
  respondToCore(endpoint: string, exchanges: DeviceExchanges, response: CoapMessage): void {
    if (response.type === 'NON') {
      this.toCore(endpoint, response);
      return;
    }
    const messageId = response.messageId;
    const bytes = encodeCoap(response);
    const transmission = this.#confirmable(() => this.bytesToCore(endpoint, bytes), () => {
      exchanges.awaitingCoreAck.delete(messageId);
      this.core.refreshSoon(); // a silent core may have moved under its name
      this.dropped({ reason: 'core-did-not-ack', endpoint, detail: `separate response ${messageId}` });
    });
    exchanges.awaitingCoreAck.set(messageId, () => {
      transmission.stop();
      exchanges.awaitingCoreAck.delete(messageId);
    });
  }

  /**
   * Sends `message` to the device; true when it left (UDP: handed to the socket; SMS: accepted
   * by a modem, from `viaModem` when that modem can send). An SMS first needs the budget's
   * reservation (`reservation`: made by the caller already); refused, nothing is sent (false).
   * A send that failed before leaving gives the reservation back.
   */
  /**
   * The core's ACK/RST to a device's UDP message, relayed as received but for the Message ID
   * (header bytes 2–3, RFC 7252 §3; no re-encoding: every Update's 2.04 takes this way). False,
   * sending nothing, when the device has no UDP address.
   */
  answerOverUdp(record: DeviceRecord, bytes: Uint8Array, deviceMessageId: number): boolean {
    if (record.udpHost === null || record.udpPort === null) return false;
    bytes[2] = deviceMessageId >> 8;
    bytes[3] = deviceMessageId & 0xff;
    this.counters.downlinkUdp += 1;
    this.udp.send(record.udpHost, record.udpPort, bytes);
    return true;
  }

  async toDevice(record: DeviceRecord, bearer: 'sms' | 'udp', message: CoapMessage, viaModem: string | null, reservation?: SmsReservation): Promise<boolean> {
    const bytes = encodeCoap(message);
    if (bearer === 'udp' && record.udpHost !== null && record.udpPort !== null) {
      this.counters.downlinkUdp += 1;
      this.udp.send(record.udpHost, record.udpPort, bytes);
      return true;
    }
    if (record.msisdn === null) {
      await reservation?.release();
      this.dropped({ reason: 'no-route', endpoint: record.endpoint, detail: `no ${bearer} address` });
      return false;
    }
    if (reservation === undefined && this.spend.gate !== undefined) {
      const decision = await this.reserveSms(record, bytes);
      if (!decision.ok) {
        this.dropped({ reason: 'budget-exhausted', endpoint: record.endpoint, detail: decision.refusal.detail });
        return false;
      }
      reservation = decision.reservation;
    }
    this.counters.downlinkSms += 1;
    this.spend.operations?.countSent(bytes);
    try {
      await this.sms.send(record.msisdn, bytes, viaModem);
      return true;
    } catch (error) {
      // Refused before leaving: the parts were not spent. An unknown outcome may have left: kept.
      if (!(error instanceof GatewayError && error.code === 'GW_ERR_MODEM_SEND_UNKNOWN')) await reservation?.release();
      this.dropped({ reason: 'sms-failed', endpoint: record.endpoint, detail: String(error) });
      return false;
    }
  }

  /**
   * A confirmable request of the gateway to a UDP device (a held request delivered): sent now and
   * retransmitted per RFC 7252 §4.2 (the gateway is its sender) until the returned stop is called.
   */
  confirmableToDevice(host: string, port: number, message: CoapMessage): () => void {
    const bytes = encodeCoap(message);
    const transmission = this.#confirmable(() => {
      this.counters.downlinkUdp += 1;
      this.udp.send(host, port, bytes);
    });
    return () => transmission.stop();
  }

  /** RFC 7252 §4.2 retransmission of the message `send` puts out, with the relay's ACK_TIMEOUT. */
  #confirmable(send: () => void, onGiveUp?: () => void): ConfirmableTransmission {
    const parameters = { ...DEFAULT_CONFIRMABLE_PARAMETERS, ackTimeoutMs: this.ackTimeoutMs };
    return transmitConfirmable({ clock: this.clock, parameters, send, ...(onGiveUp === undefined ? {} : { onGiveUp }) });
  }
}
