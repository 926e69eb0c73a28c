/**
 * The relay: every device, whatever its bearer, appears to the core LwM2M server as an ordinary
 * UDP client on a socket of its own; every request of the core reaches the device over the
 * bearer its Binding allows.
 *
 *   device ──SMS──► inbox ──► fromSms ─┐                      ┌─► core-facing socket ──► core
 *   device ──UDP──► listener ► fromUdp ┴► mirror, ID mapping ─┘   (one per device)
 *   core ──► device socket ──► fromCore ─► mirror ─► CoreRequests: bearer choice ─► UDP / SMS / hold
 *
 * Datagrams on the core-facing sockets: core-datagrams.ts; requests and separate responses of the
 * core, held requests: core-requests.ts, held-requests.ts; exchange state by device:
 * device-exchange-table.ts; senders: relay-output.ts; answers to messages not relayed:
 * uplink-refusals.ts; inbox entries' Message IDs across a crash: uplink-pin.ts.
 *
 * CoAP over SMS (LwM2M Transport, SMS binding: "CoAP retransmission is disabled") is slow and
 * costs money, so a confirmable request the core sends to an SMS device is acknowledged at once
 * with an empty ACK (RFC 7252 §5.2.2) and carried by exactly one SMS, however often the core
 * retransmits it; the device's answer goes back as a separate response, confirmable towards the
 * core with RFC 7252 retransmission. Empty ACKs are never sent by SMS.
 */
import type { RemoteInfo } from 'node:dgram';
import { GatewayError } from '../shared/errors.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { decodeCoap, encodeCoap, isWellFormedCoap, peekHeader, type CoapMessage } from '../lwm2m/coap-message.ts';
import { coapAck } from '../lwm2m/coap-builders.ts';
import { CoapCode } from '../lwm2m/coap-codes.ts';
import { uriPath } from '../lwm2m/coap-options.ts';
import type { DeviceRecord, DeviceSource } from '../lwm2m/device-record.ts';
import type { RegistrationMirror } from '../lwm2m/registration-mirror.ts';
import { capLifetime, DEFAULT_MAX_LIFETIME_SEC } from '../lwm2m/lifetime-cap.ts';
import { RegistrationRefusedError } from '../lwm2m/registration-admission.ts';
import { CoreServerAddress } from './core-server-address.ts';
import type { CoreSocketPool } from './core-sockets.ts';
import { DeviceGroups } from './device-groups.ts';
import { CoreDatagrams } from './core-datagrams.ts';
import { CoreRequests } from './core-requests.ts';
import { DeviceExchangeTable } from './device-exchange-table.ts';
import type { DeviceExchanges } from './exchanges.ts';
import type { HeldRequestStore } from './held-request-store.ts';
import type { HeldRequests, HeldRequestsConfig } from './held-requests.ts';
import { RelayOutput } from './relay-output.ts';
import type { SmsSpendGate } from './sms-budget.ts';
import type { SmsOperationCounters } from './sms-operations.ts';
import type { DeviceSmsSender, DeviceUdpSender, RelayCounters, RelayEvents, TriggerAnswerPort, UplinkIdPin, WakeupPort } from './relay-types.ts';
import type { SourceRateLimiter } from './source-rate-limiter.ts';
import { UplinkRefusals } from './uplink-refusals.ts';
import { PinFailedError, pinnedUplinkId } from './uplink-pin.ts';
import type { SmsExchangeStore } from './sms-exchange-store.ts';

export type { DeviceSmsSender, DeviceUdpSender } from './relay-types.ts';

/** Options of {@link Relay}. */
export interface RelayOptions {
  /**
   * The core server: an IP literal and port, or a {@link CoreServerAddress} (a host name the
   * composition root resolves). Only its datagrams are accepted on the core-facing sockets.
   */
  readonly core: { readonly host: string; readonly port: number } | CoreServerAddress;
  /** Held requests: bounds, time-to-live (a device group may set its own), and the store (default: in memory). */
  readonly heldRequests?: HeldRequestsConfig & { readonly store?: HeldRequestStore };
  /** Device groups: server modem and hold time per device. @defaultValue none (server modem learned only) */
  readonly deviceGroups?: DeviceGroups;
  /** Where the relay asks for a device to be woken when it holds a request for it. @defaultValue none */
  readonly wakeups?: WakeupPort;
  /** Consumes a device's SMS answer to the gateway's own trigger. @defaultValue none (relayed as any answer) */
  readonly triggerAnswers?: TriggerAnswerPort;
  /** RFC 7252 ACK_TIMEOUT for the gateway's confirmable separate responses. @defaultValue 2000 */
  readonly ackTimeoutMs?: number;
  /** Longest registration lifetime; a larger `lt` is lowered to it on the way to the core. @defaultValue 604800 */
  readonly maxLifetimeSec?: number;
  /** Flood limit per UDP source host, checked before anything else. @defaultValue none */
  readonly udpRateLimiter?: SourceRateLimiter;
  /** SMS spend: the daily budget asked before each SMS to a device (sms-budget.ts). @defaultValue none (unlimited) */
  readonly smsBudget?: SmsSpendGate;
  /** Counts of SMS per LwM2M operation kind, both directions (sms-operations.ts). @defaultValue none */
  readonly smsOperations?: SmsOperationCounters;
  /** Keeps SMS exchanges across a restart, so a device's answer after one still reaches the core. @defaultValue none (memory only) */
  readonly smsExchanges?: SmsExchangeStore;
  readonly now?: () => number;
}

/** See the file comment. Never throws from its entry points; problems are counted and emitted. */
export class Relay extends TypedEmitter<RelayEvents> {
  readonly counters: RelayCounters = {
    uplinkSms: 0, uplinkUdp: 0, toCore: 0, fromCore: 0, downlinkSms: 0, downlinkUdp: 0, coreRetransmissionsAbsorbed: 0,
    held: 0, heldDelivered: 0, heldAnsweredByGateway: 0, refused: 0, malformed: 0, unknownDevice: 0, duplicateUplink: 0, emptyAcksNotSent: 0, refusedRegistrations: 0, failed: 0, rateLimited: 0,
  };
  private readonly exchanges = new DeviceExchangeTable();
  private readonly core: CoreServerAddress;

  /** The held requests: `heldNow()` for metrics, `resume()` at start, `wake(endpoint)` to deliver now. */
  get held(): HeldRequests {
    return this.requests.held;
  }

  /** The core server's address as the relay matches and addresses it. */
  get coreAddress(): CoreServerAddress {
    return this.core;
  }
  private readonly requests: CoreRequests;
  private readonly groups: DeviceGroups;
  private readonly output: RelayOutput;
  private readonly refusals: UplinkRefusals;
  private readonly fromCoreSockets: CoreDatagrams;
  private readonly now: () => number;

  constructor(
    private readonly mirror: RegistrationMirror,
    private readonly sockets: CoreSocketPool,
    private readonly sms: DeviceSmsSender,
    private readonly udp: DeviceUdpSender,
    private readonly options: RelayOptions,
  ) {
    super();
    this.core = options.core instanceof CoreServerAddress ? options.core : new CoreServerAddress(options.core.host, options.core.port);
    this.groups = options.deviceGroups ?? new DeviceGroups([], []);
    this.output = new RelayOutput(sockets, this.core, sms, udp, this.counters, (event) => this.emit('dropped', event), options.ackTimeoutMs ?? 2000, undefined, {
      ...(options.smsBudget === undefined ? {} : { gate: options.smsBudget }), ...(options.smsOperations === undefined ? {} : { operations: options.smsOperations }),
      onRefused: (refusal) => this.emit('sms-refused', refusal),
    });
    this.now = options.now ?? Date.now;
    this.refusals = new UplinkRefusals(udp, this.counters, (event) => this.emit('dropped', event));
    this.requests = new CoreRequests({
      output: this.output, counters: this.counters, presence: mirror.presence, groups: this.groups,
      record: (endpoint) => mirror.get(endpoint), exchangesOf: (endpoint) => this.exchanges.of(endpoint), knownExchanges: (endpoint) => this.exchanges.known(endpoint),
      onHeld: (event) => this.emit('held', event), onAnswered: (event) => this.emit('answered', event), onBearer: (event) => this.emit('bearer', event), onDropped: (event) => this.emit('dropped', event), now: () => this.now(),
      requestWakeup: (endpoint) => options.wakeups?.requestWakeup(endpoint),
      ...(options.smsExchanges === undefined ? {} : { exchangeStore: options.smsExchanges }),
    }, options.heldRequests);
    this.fromCoreSockets = new CoreDatagrams({
      core: this.core, mirror, counters: this.counters, exchanges: this.exchanges, output: this.output, requests: this.requests,
      toDevice: (record, bearer, message) => this.toDevice(record, bearer, message), dropped: (event) => this.emit('dropped', event), fail: (endpoint, error) => this.fail(endpoint, error),
    });
    // A device that goes (de-registered, lapsed, refused) leaves no exchange state behind; its
    // core-facing socket is released by whoever wires the mirror to the pool (Gateway.start).
    mirror.on('forgotten', (endpoint) => this.deviceGone(endpoint));
  }

  /** Devices with exchange state now (memory is kept per device only while it has an exchange). */
  get devicesWithExchanges(): number {
    return this.exchanges.size;
  }

  /**
   * Forgets expired exchange entries of every device and drops the state of devices left with
   * none (the maintenance timer calls this; a device with no traffic never prunes itself).
   */
  sweep(): void {
    const nowMs = this.now();
    this.options.udpRateLimiter?.sweep(nowMs);
    this.exchanges.sweep(nowMs);
  }

  /** A device's registration is gone: its retransmissions stop and its exchange state is freed. */
  private deviceGone(endpoint: string): void {
    this.exchanges.forget(endpoint);
    void this.requests.held.gone(endpoint); // its held requests: answered 5.04, never delivered
  }

  /**
   * A complete (reassembled) SMS payload from `msisdn` (already checked against the sender
   * policy) that arrived on gateway modem `modem`. With `pin` (an inbox entry), a CON/NON goes
   * to the core with the Message ID the pin holds, or one the pin stores before it is sent; when
   * the pin cannot store it, nothing is sent and the returned promise rejects (the entry stays
   * unacknowledged and is read again). Without a pin it never rejects.
   */
  async fromSms(msisdn: string, payload: Uint8Array, modem?: string, pin?: UplinkIdPin): Promise<void> {
    this.counters.uplinkSms += 1;
    this.options.smsOperations?.countReceived(payload);
    try {
      await this.uplink(modem === undefined ? { bearer: 'sms', msisdn } : { bearer: 'sms', msisdn, modem }, payload, pin);
    } catch (error) {
      if (error instanceof PinFailedError) throw error.cause;
      this.fail(null, error);
    }
  }

  /**
   * A datagram from a device on the gateway's device-facing UDP socket. The usual message of a
   * known device is relayed synchronously; the returned promise (when there is one) settles when
   * a slower path (registration, SMS exchange, held requests) is done.
   */
  fromUdp(payload: Uint8Array, from: RemoteInfo): Promise<void> | undefined {
    this.counters.uplinkUdp += 1;
    if (this.options.udpRateLimiter?.admit(from.address, this.now()) === false) {
      this.counters.rateLimited += 1; // refused at once: a flooding source never queues in front of others
      this.emit('dropped', { reason: 'rate-limited', endpoint: null, source: from.address, detail: `UDP source ${from.address} exceeds ${this.options.udpRateLimiter.limit.ratePerSec} datagrams/s` });
      return undefined;
    }
    return this.uplink({ bearer: 'udp', host: from.address, port: from.port }, payload)?.catch((error: unknown) => this.fail(null, error));
  }

  /** A datagram on the core-facing socket of `endpoint`. */
  fromCore(endpoint: string, bytes: Uint8Array, from: RemoteInfo): Promise<void> {
    // One async function per datagram, not two (bench/device-scale: CPU per Register).
    return this.fromCoreSockets.handle(endpoint, bytes, from)
      .catch((error: unknown) => this.fail(endpoint, error)); // e.g. Redis refused to store the core's answer to a Register
  }

  /**
   * A failure in an entry point (Redis refused a write, a defect): counted and emitted, never
   * thrown, so no promise of the relay ever rejects.
   */
  private fail(endpoint: string | null, error: unknown): void {
    this.counters.failed += 1;
    this.emit('dropped', { reason: 'failed', endpoint, detail: String(error) });
  }

  /**
   * The hot path first, synchronous and without decoding (no allocation, no promise per
   * datagram): a well-formed CON/NON of a known device that is no registration request and
   * answers no exchange of the gateway is relayed with only its message ID changed. Everything
   * else goes to {@link uplinkSlow}.
   */
  private uplink(source: DeviceSource, bytes: Uint8Array, pin?: UplinkIdPin): Promise<void> | undefined {
    const header = peekHeader(bytes);
    if (header === null || (header.type !== 'CON' && header.type !== 'NON') || !isWellFormedCoap(bytes)) return this.uplinkSlow(source, bytes, undefined, pin);
    const known = this.mirror.noteActivity(source, header.code);
    // A device without its socket (waiting for its address after a restart) takes the slow path: UplinkRefusals.noSocket.
    if (known !== undefined && pin === undefined && this.sockets.get(known) !== undefined && !this.requests.held.hasWork(known)) {
      const exchanges = this.exchanges.of(known);
      // A response by SMS may answer the gateway's own trigger: checked on the slow path.
      const maybeTriggerAnswer = header.code >= 64 && source.bearer === 'sms' && this.options.triggerAnswers !== undefined;
      if (!(header.code >= 64 && exchanges.hasTokenExchanges) && !maybeTriggerAnswer) {
        exchanges.prune(this.now());
        this.relayUplink(known, exchanges, source, header.messageId, header.type === 'CON', bytes);
        return undefined;
      }
    }
    return this.uplinkSlow(source, bytes, known, pin);
  }

  /** Relayed as received but for the Message ID (header bytes 2–3, RFC 7252 §3). */
  private relayUplink(endpoint: string, exchanges: DeviceExchanges, source: DeviceSource, deviceMessageId: number, confirmable: boolean, bytes: Uint8Array): void {
    // No re-encoding, and no copy: the datagram's buffer belongs to this call alone.
    const messageId = exchanges.uplinkId(deviceMessageId, confirmable, source.bearer, this.now());
    bytes[2] = messageId >> 8;
    bytes[3] = messageId & 0xff;
    this.sendBytesToCore(endpoint, bytes);
  }

  private async uplinkSlow(source: DeviceSource, bytes: Uint8Array, known: string | undefined, pin?: UplinkIdPin): Promise<void> {
    let message: CoapMessage;
    try {
      message = decodeCoap(bytes);
    } catch (error) {
      this.refusals.malformed(source, bytes, error);
      return;
    }
    const capped = capLifetime(message, this.options.maxLifetimeSec ?? DEFAULT_MAX_LIFETIME_SEC);
    if (capped !== message) {
      message = capped;
      bytes = encodeCoap(capped);
    }
    let endpoint: string | null;
    try {
      // A Register is noted synchronously: no turn of the microtask queue (bench/device-scale: CPU per Register).
      const noted = known ?? this.mirror.noteUplink(source, message);
      endpoint = noted instanceof Promise ? await noted : noted;
    } catch (error) {
      if (error instanceof RegistrationRefusedError) {
        this.refusals.refused(source, message, error);
        return;
      }
      this.refusals.notStored(source, message, null, error);
      return;
    }
    if (endpoint === null) {
      this.refusals.unknownDevice(source, message);
      return;
    }
    if (this.sockets.get(endpoint) === undefined && !(await this.socketReady(endpoint, source, message))) return;
    const exchanges = this.exchanges.of(endpoint);
    exchanges.prune(this.now());
    const sms = exchanges.smsExchangeFor(message) ?? (source.bearer === 'sms' ? await this.requests.storedExchange(endpoint, exchanges, message) : undefined);
    if (sms !== undefined) {
      // RFC 7252 §5.2.2: a confirmable separate response is acknowledged (over UDP; an ACK by SMS would cost money).
      if (message.type === 'CON' && source.bearer === 'udp') this.udp.send(source.host, source.port, encodeCoap(coapAck(message.messageId)));
      await this.requests.answerFromDevice(endpoint, exchanges, sms, message);
    } else if (source.bearer === 'sms' && (message.type === 'ACK' || message.type === 'RST' || message.code >= 64) && (await this.options.triggerAnswers?.take(endpoint, message).catch(() => false)) === true) {
      // The device answered the gateway's trigger (LwM2M 1.0 Table 8: a request over SMS is answered over SMS): not the core's.
    } else if (message.type === 'ACK' || message.type === 'RST') {
      this.sendToCore(endpoint, message); // answers a request the core sent over UDP: same ID
    } else if (pin !== undefined) {
      const messageId = await pinnedUplinkId(exchanges, pin, message.messageId, message.type === 'CON', source.bearer, this.now());
      bytes[2] = messageId >> 8; // as relayUplink, with the pinned ID
      bytes[3] = messageId & 0xff;
      this.sendBytesToCore(endpoint, bytes);
    } else {
      this.relayUplink(endpoint, exchanges, source, message.messageId, message.type === 'CON', bytes);
    }
    // Awake now: held requests go out, unless the device is leaving (De-register: they are answered when it is gone).
    if (this.requests.held.hasWork(endpoint) && !isDeregister(message)) await this.requests.held.wake(endpoint);
  }

  /** True when the message left. `viaModem` (SMS): by default the device's server modem. */
  private toDevice(record: DeviceRecord, bearer: 'sms' | 'udp', message: CoapMessage, viaModem: string | null = this.groups.serverModemOf(record)?.modem ?? null): Promise<boolean> {
    return this.output.toDevice(record, bearer, message, viaModem);
  }

  private sendToCore(endpoint: string, message: CoapMessage): void {
    this.output.toCore(endpoint, message);
  }

  /**
   * For the gateway's stop, before the core-facing sockets close: ends every retransmission of a
   * separate response, and from then on nothing is sent to the core (a send on a closed socket
   * would throw from a timer and end the process).
   */
  close(): void {
    this.output.close();
    this.requests.held.close(); // no held request is delivered or answered afterwards
    this.exchanges.stopAll();
  }

  private sendBytesToCore(endpoint: string, bytes: Uint8Array): void {
    this.output.bytesToCore(endpoint, bytes);
  }

  /**
   * Opens the core-facing socket of a device that has none. When that fails (no free address,
   * open-file limit) the message is dropped (a UDP request answered 5.03 with Max-Age, see
   * UplinkRefusals.noSocket), and a registration the core has not accepted yet is rolled back: no record may name a socket that does not exist (the device registers again).
   * When Redis refused to record the socket's address, that is a store failure (see UplinkRefusals.notStored).
   */
  private async socketReady(endpoint: string, source: DeviceSource, message: CoapMessage): Promise<boolean> {
    try {
      await this.sockets.ensure(endpoint);
      return true;
    } catch (error) {
      if (error instanceof GatewayError) this.refusals.noSocket(source, message, endpoint, error);
      else this.refusals.notStored(source, message, endpoint, error);
      await this.mirror.discardUnaccepted(endpoint).catch(() => undefined);
      return false;
    }
  }
}

/** A De-register (`DELETE /rd/<id>`, LwM2M 1.1 Core §6.2.3). */
function isDeregister(message: CoapMessage): boolean {
  return message.code === CoapCode.DELETE && uriPath(message)[0] === 'rd';
}
