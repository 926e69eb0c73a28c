/**
 * An SMS tunnel for an unmodified LwM2M client (Leshan's, Wakaama's, anything that speaks CoAP
 * over UDP): the client sends to a local UDP address, and each datagram travels as SMS from the
 * tunnel's number to the gateway's number; each SMS from the gateway comes back to the client as
 * a datagram. The client thereby behaves as an SMS-only device; the tunnel does not read CoAP.
 *
 *   LwM2M client ── UDP ──► SmsTunnel (listen) ── 8-bit SMS (concatenated if > 140 B) ──► gateway
 *   LwM2M client ◄── UDP ── SmsTunnel           ◄── SMS from the gateway number only ─── gateway
 *
 * Replies go to the address the last datagram came from. The client's own CoAP retransmissions
 * are carried too (each is an SMS): configure the client's timers for SMS latency.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { GatewayError } from '../../shared/errors.ts';
import { TypedEmitter } from '../../shared/typed-emitter.ts';
import type { HostPort } from './device-settings.ts';
import { DeviceSmsLink, type SmsIgnoredReason } from './sms-link.ts';

/** Options of {@link SmsTunnel.start}. Errors name the option: `GW_ERR_CONFIG`, details `option`. */
export interface SmsTunnelOptions {
  /** The tunnel's own number (the simulated device's MSISDN). */
  readonly msisdn: string;
  /** The UDP address the LwM2M client sends to; port 0 picks a free one (see {@link SmsTunnel.address}). */
  readonly listen: HostPort;
  /** The simulated SMS network. */
  readonly network: HostPort;
  /** The gateway modem's number: where SMS go, and the only sender accepted. */
  readonly gatewayNumber: string;
}

/** Counters of one tunnel since start. */
export interface SmsTunnelStats {
  /** Datagrams from the client. */
  readonly datagramsIn: number;
  /** Datagrams to the client. */
  readonly datagramsOut: number;
  /** Messages from the gateway dropped because no client had sent anything yet. */
  readonly datagramsDropped: number;
  /** Datagrams from the client the network refused to carry. */
  readonly sendFailures: number;
  /** SMS sent (each part counts). */
  readonly smsSent: number;
  /** SMS received (each part counts, ignored ones included). */
  readonly smsReceived: number;
  /** SMS from other numbers, or not 8-bit. */
  readonly smsIgnored: number;
}

/** Events of {@link SmsTunnel}. */
export type SmsTunnelEvents = {
  /** A datagram from the client went out as `smsCount` SMS. */
  uplink: [payload: Uint8Array, smsCount: number];
  /** A message from the gateway was handed to the client. */
  downlink: [payload: Uint8Array];
  /** A datagram could not be sent as SMS. */
  sendFailed: [error: unknown];
  smsIgnored: [from: string, reason: SmsIgnoredReason];
};

function configError(option: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG', `${option}: ${message}`, { option });
}

function checkMsisdn(text: string, option: string): void {
  if (!/^\+?\d{1,15}$/.test(text)) throw configError(option, `"${text}" is not a number of 1..15 digits (optionally +)`);
}

/**
 * One running tunnel. Contract: `start` resolves once the network attach is confirmed and the
 * UDP address is bound; datagrams are sent as SMS in the order they came; `stop` closes the
 * socket and leaves the network.
 */
export class SmsTunnel extends TypedEmitter<SmsTunnelEvents> {
  readonly #socket: Socket;
  readonly #sms: DeviceSmsLink;
  readonly #counters = { datagramsIn: 0, datagramsOut: 0, datagramsDropped: 0, sendFailures: 0 };
  #client: HostPort | null = null;
  /** Uplink sends, chained so that SMS leave in datagram order. */
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  private constructor(socket: Socket, sms: DeviceSmsLink) {
    super();
    this.#socket = socket;
    this.#sms = sms;
    socket.on('message', (message, remote) => this.#uplink(new Uint8Array(message), { host: remote.address, port: remote.port }));
    sms.on('message', (payload) => this.#downlink(payload));
    sms.on('ignored', (from, reason) => this.emit('smsIgnored', from, reason));
  }

  /**
   * Attaches to the network and binds the UDP address. Throws `GW_ERR_CONFIG` naming a bad
   * option (`msisdn`, `gatewayNumber`), `GW_ERR_SIM_UNAVAILABLE` when the network cannot be
   * reached or the address cannot be bound (details `option: 'listen'`).
   */
  static async start(options: SmsTunnelOptions): Promise<SmsTunnel> {
    checkMsisdn(options.msisdn, 'msisdn');
    checkMsisdn(options.gatewayNumber, 'gatewayNumber');
    const sms = await DeviceSmsLink.connect({ network: options.network, msisdn: options.msisdn, peerMsisdn: options.gatewayNumber });
    const socket = createSocket(isIP(options.listen.host) === 6 ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', (error) => reject(new GatewayError('GW_ERR_SIM_UNAVAILABLE', `cannot listen on udp://${options.listen.host}:${options.listen.port}: ${error.message}`, { option: 'listen' })));
        socket.bind(options.listen.port, options.listen.host, () => resolve());
      });
    } catch (error) {
      socket.close();
      await sms.close();
      throw error;
    }
    socket.on('error', () => undefined); // send errors surface in the send callbacks
    return new SmsTunnel(socket, sms);
  }

  /** The UDP address actually bound (port 0 resolved). */
  get address(): HostPort {
    const address = this.#socket.address();
    return { host: address.address, port: address.port };
  }

  /** The tunnel's own number, digits. */
  get msisdn(): string {
    return this.#sms.msisdn;
  }

  /** The gateway's number, digits. */
  get gatewayNumber(): string {
    return this.#sms.peerMsisdn;
  }

  /** A snapshot of the counters. */
  get stats(): SmsTunnelStats {
    const sms = this.#sms.stats;
    return { ...this.#counters, smsSent: sms.smsSent, smsReceived: sms.smsReceived, smsIgnored: sms.smsIgnored };
  }

  /** Waits for uplink SMS in progress, closes the socket and leaves the network. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#queue;
    this.#socket.close();
    await this.#sms.close();
  }

  #uplink(payload: Uint8Array, from: HostPort): void {
    if (this.#stopped) return;
    this.#counters.datagramsIn++;
    this.#client = from;
    this.#queue = this.#queue.then(async () => {
      try {
        const parts = await this.#sms.send(payload);
        this.emit('uplink', payload, parts);
      } catch (error) {
        this.#counters.sendFailures++;
        this.emit('sendFailed', error);
      }
    });
  }

  #downlink(payload: Uint8Array): void {
    const client = this.#client;
    if (this.#stopped || client === null) {
      this.#counters.datagramsDropped++;
      return;
    }
    this.#counters.datagramsOut++;
    this.#socket.send(payload, client.port, client.host, () => undefined);
    this.emit('downlink', payload);
  }
}
