/**
 * How the relay sends: to the core from the device's own socket, to the device over UDP or SMS,
 * and the responses the gateway writes to the core itself (separate responses, confirmable
 * with RFC 7252 retransmission). No decisions here: the relay chooses bearer, modem and code.
 */
import { systemCoapClock, type CoapClock } from '../lwm2m/coap-clock.ts';
import { encodeCoap, type CoapMessage } from '../lwm2m/coap-message.ts';
import { DEFAULT_CONFIRMABLE_PARAMETERS, transmitConfirmable, type ConfirmableTransmission } from '../lwm2m/coap-retransmission.ts';
import type { DeviceRecord } from '../lwm2m/device-record.ts';
import type { CoreServerAddress } from './core-server-address.ts';
import type { CoreSocketPool } from './core-sockets.ts';
import type { DeviceExchanges } from './exchanges.ts';
import type { DeviceSmsSender, DeviceUdpSender, RelayCounters, RelayEvents } from './relay-types.ts';

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
  ) {}

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
   * by a modem, from `viaModem` when that modem can send).
   */
  async toDevice(record: DeviceRecord, bearer: 'sms' | 'udp', message: CoapMessage, viaModem: string | null): Promise<boolean> {
    const bytes = encodeCoap(message);
    if (bearer === 'udp' && record.udpHost !== null && record.udpPort !== null) {
      this.counters.downlinkUdp += 1;
      this.udp.send(record.udpHost, record.udpPort, bytes);
      return true;
    }
    if (record.msisdn === null) {
      this.dropped({ reason: 'no-route', endpoint: record.endpoint, detail: `no ${bearer} address` });
      return false;
    }
    this.counters.downlinkSms += 1;
    try {
      await this.sms.send(record.msisdn, bytes, viaModem);
      return true;
    } catch (error) {
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
