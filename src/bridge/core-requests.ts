/**
 * Requests of the core for a registered device: carried to it now (UDP, or one SMS from the modem
 * it accepts), held while it cannot be reached ({@link HeldRequests}), or answered at once when
 * they cannot be carried; and the device's answers to the requests the gateway acknowledged
 * itself, which go to the core as separate responses (RFC 7252 §5.2.2); and the core's separate
 * responses to the device's requests. Part of the relay.
 */
import { bytesToHex } from '../shared/hex.ts';
import { coapAck, coapResponse, coapSeparateResponse } from '../lwm2m/coap-builders.ts';
import { CoapCode, codeToString } from '../lwm2m/coap-codes.ts';
import { isEmpty, type CoapMessage } from '../lwm2m/coap-message.ts';
import type { DeviceRecord } from '../lwm2m/device-record.ts';
import { chooseBearer, type BearerChoice } from './bearer.ts';
import type { Presence } from '../lwm2m/presence.ts';
import type { DeviceGroups } from './device-groups.ts';
import type { DeviceExchanges, SmsExchange } from './exchanges.ts';
import { MemoryHeldRequestStore, type HeldRequest, type HeldRequestStore, type HoldResult } from './held-request-store.ts';
import { DEFAULT_HELD_REQUEST_TTL_MS, heldRequestLimits, HeldRequests, type HeldAnswerReason, type HeldRequestsConfig } from './held-requests.ts';
import type { RelayOutput } from './relay-output.ts';
import type { RelayCounters, RelayEvents } from './relay-types.ts';

/** What {@link CoreRequests} uses of the relay. */
export interface CoreRequestsContext {
  readonly output: RelayOutput;
  readonly counters: RelayCounters;
  /** Whether each device is awake, and over which bearer (the bearer choice reads it). */
  readonly presence: Presence;
  readonly groups: DeviceGroups;
  /** The mirror's record of `endpoint`. */
  record(endpoint: string): DeviceRecord | undefined;
  /** The exchange state of `endpoint`, created when missing. */
  exchangesOf(endpoint: string): DeviceExchanges;
  /** The exchange state of `endpoint` if it exists (never created). */
  knownExchanges(endpoint: string): DeviceExchanges | undefined;
  onHeld(event: RelayEvents['held'][0]): void;
  onAnswered(event: RelayEvents['answered'][0]): void;
  onBearer(event: RelayEvents['bearer'][0]): void;
  onDropped(event: RelayEvents['dropped'][0]): void;
  /** A request is held for a device that cannot be reached now: ask for it to be woken. */
  requestWakeup(endpoint: string): void;
  now(): number;
}

/** See the file comment. Never throws from its entry points. */
export class CoreRequests {
  /** The held requests (the relay wakes them on uplink and tells them when a device leaves). */
  readonly held: HeldRequests;
  private readonly heldTtlMs: number;
  private readonly groups: DeviceGroups;

  constructor(private readonly ctx: CoreRequestsContext, heldConfig: HeldRequestsConfig & { readonly store?: HeldRequestStore } = {}) {
    this.groups = ctx.groups;
    this.heldTtlMs = heldConfig.ttlMs ?? DEFAULT_HELD_REQUEST_TTL_MS;
    this.held = new HeldRequests(heldConfig.store ?? new MemoryHeldRequestStore(heldRequestLimits(heldConfig)), {
      bearerOf: (endpoint) => this.bearerOf(endpoint),
      deliver: (request) => this.deliverHeld(request),
      abandon: (request) => {
        const exchange = ctx.knownExchanges(request.endpoint)?.smsExchangeByCoreId(request.message.messageId);
        if (exchange) exchange.answered = true; // a late answer of the device is dropped
      },
      answerCore: (request, code, reason) => this.answerHeld(request, code, reason),
    }, () => ctx.now());
  }

  /**
   * A request from the core for a registered device: to the device over UDP or SMS now, or held.
   * While requests of the device are held or one of them is in flight, a new one queues behind
   * them (arrival order). A request that cannot be carried is answered at once, never acknowledged
   * as if it would be.
   */
  async request(record: DeviceRecord, exchanges: DeviceExchanges, message: CoapMessage): Promise<void> {
    const known = exchanges.smsExchangeByCoreId(message.messageId);
    if (known !== undefined) {
      // A retransmission while the SMS is pending (or answered): never a second SMS.
      this.ctx.counters.coreRetransmissionsAbsorbed += 1;
      if (message.type === 'CON') this.ctx.output.toCore(record.endpoint, coapAck(message.messageId));
      return;
    }
    const bearer = chooseBearer(record, this.ctx.presence.isAwakeOverUdp(record.endpoint, this.ctx.now()));
    this.ctx.onBearer({ endpoint: record.endpoint, bearer, messageId: message.messageId });
    if (bearer === 'udp' && !this.held.hasWork(record.endpoint)) {
      await this.ctx.output.toDevice(record, 'udp', message, null);
      return;
    }
    if (bearer === 'sms' && !this.held.hasWork(record.endpoint)) {
      await this.requestBySms(record, exchanges, message);
      return;
    }
    await this.hold(record, message, bearer);
  }

  /**
   * The core's separate response to one of the device's requests goes back on the bearer the
   * device last used. Over SMS a confirmable one is acknowledged here and sent as NON (RFC 7252
   * §5.2.2 allows either): the device's ACK would cost an SMS, and the core's retransmissions
   * while the SMS is under way must not become more SMS.
   */
  async responseFromCore(record: DeviceRecord, exchanges: DeviceExchanges, message: CoapMessage): Promise<void> {
    const viaModem = this.groups.serverModemOf(record)?.modem ?? null;
    if (record.lastBearer === 'udp' || message.type !== 'CON') {
      await this.ctx.output.toDevice(record, record.lastBearer, message, viaModem);
      return;
    }
    this.ctx.output.toCore(record.endpoint, coapAck(message.messageId));
    if (!exchanges.firstSeparateResponse(message.messageId, this.ctx.now())) {
      this.ctx.counters.coreRetransmissionsAbsorbed += 1;
      return;
    }
    await this.ctx.output.toDevice(record, 'sms', { ...message, type: 'NON', messageId: exchanges.allocateDeviceId() }, viaModem);
  }

  /**
   * One SMS from the modem whose number the device accepts as its server's (learned from its
   * SMS, from its device group, or the only modem). Without one the core gets 5.03 at once:
   * an SMS from another modem would be ignored by the device (RFC 7252 §5.9.3.4: the service
   * is unavailable; no Max-Age, the condition does not pass by itself).
   */
  private async requestBySms(record: DeviceRecord, exchanges: DeviceExchanges, message: CoapMessage): Promise<void> {
    const server = this.groups.serverModemOf(record);
    if (server === null) {
      this.refuse(record.endpoint, exchanges, message, undefined, 'no-server-number', 'the gateway modem whose number the device accepts is unknown (no SMS from it yet, no device group names one)');
      return;
    }
    const exchange = openExchange(exchanges, message, this.ctx.now());
    if (message.type === 'CON') this.ctx.output.toCore(record.endpoint, coapAck(message.messageId));
    if (await this.ctx.output.toDevice(record, 'sms', { ...message, messageId: exchange.deviceMessageId }, server.modem)) return;
    // The SMS did not leave (no modem of the route, refused, outcome unknown): the core is told.
    exchange.answered = true;
    this.ctx.output.respondToCore(record.endpoint, exchanges, coapSeparateResponse(message, CoapCode.SERVICE_UNAVAILABLE, exchanges.allocateCoreId(), 'SMS to the device could not be sent', { type: exchange.coreType }));
  }

  /** Holds a request: acknowledged when stored, answered 5.03 with Max-Age when the hold is full. */
  private async hold(record: DeviceRecord, message: CoapMessage, bearer: BearerChoice): Promise<void> {
    const endpoint = record.endpoint;
    const nowMs = this.ctx.now();
    const ttlMs = this.groups.heldRequestTtlMsOf(record, this.heldTtlMs);
    let result: HoldResult;
    try {
      result = await this.held.hold({ endpoint, message, heldAtMs: nowMs, expiresAtMs: nowMs + ttlMs });
    } catch (error) {
      this.refuse(endpoint, this.ctx.exchangesOf(endpoint), message, 1, 'hold-failed', String(error));
      return;
    }
    if (result.kind === 'full') {
      this.refuse(endpoint, this.ctx.exchangesOf(endpoint), message, result.retryAfterSec, 'hold-full', `the ${result.scope === 'device' ? 'device' : 'gateway'} holds the most requests allowed`);
      return;
    }
    if (message.type === 'CON') this.ctx.output.toCore(endpoint, coapAck(message.messageId)); // again for a retransmission: our ACK may be lost
    if (result.kind === 'duplicate') {
      this.ctx.counters.coreRetransmissionsAbsorbed += 1;
      return;
    }
    this.ctx.counters.held += 1;
    this.ctx.onHeld({ endpoint, held: result.heldForDevice });
    if (bearer === 'hold') this.ctx.requestWakeup(endpoint); // the wake-up queue decides whether a trigger may go
    if (bearer !== 'hold') await this.held.wake(endpoint); // reachable: queued behind the earlier ones
  }

  /**
   * Answers a request the gateway did not acknowledge with `code` 5.03 (piggybacked for CON, a
   * NON response for NON; RFC 7252 §5.2), with Max-Age `retryAfterSec` when given (§5.9.3.4).
   */
  private refuse(endpoint: string, exchanges: DeviceExchanges, message: CoapMessage, retryAfterSec: number | undefined, reason: 'no-server-number' | 'hold-full' | 'hold-failed', detail: string): void {
    const extras = { ...(message.type === 'NON' ? { messageId: exchanges.allocateCoreId() } : {}), ...(retryAfterSec === undefined ? {} : { maxAgeSec: retryAfterSec }) };
    this.ctx.output.toCore(endpoint, coapResponse(message, CoapCode.SERVICE_UNAVAILABLE, detail.slice(0, 120), extras));
    this.ctx.counters.refused += 1;
    this.ctx.onAnswered({ endpoint, code: '5.03', reason, detail });
  }

  /** Sends a held request to its device (host of {@link HeldRequests}); false when it cannot leave. */
  private async deliverHeld(request: HeldRequest): Promise<{ sent: boolean; stop?: () => void }> {
    const record = this.ctx.record(request.endpoint);
    const bearer = record === undefined ? 'hold' : chooseBearer(record, this.ctx.presence.isAwakeOverUdp(record.endpoint, this.ctx.now()));
    if (record === undefined || bearer === 'hold') return { sent: false };
    const server = bearer === 'sms' ? this.groups.serverModemOf(record) : null;
    if (bearer === 'sms' && server === null) return { sent: false };
    const exchanges = this.ctx.exchangesOf(request.endpoint);
    const message = request.message;
    const exchange = openExchange(exchanges, message, this.ctx.now());
    const out: CoapMessage = { ...message, messageId: exchange.deviceMessageId };
    let result: { sent: boolean; stop?: () => void };
    if (bearer === 'sms') result = { sent: await this.ctx.output.toDevice(record, 'sms', out, server!.modem) };
    else if (out.type !== 'CON' || record.udpHost === null || record.udpPort === null) result = { sent: await this.ctx.output.toDevice(record, 'udp', out, null) };
    else result = { sent: true, stop: this.ctx.output.confirmableToDevice(record.udpHost, record.udpPort, out) };
    if (result.sent) this.ctx.counters.heldDelivered += 1;
    return result;
  }

  /**
   * The gateway answers a held request itself (host of {@link HeldRequests}): a separate response.
   * Not for a device that left: the core ended that registration itself (its pending requests
   * fail there), and the device's core-facing socket is released; an event says what was dropped.
   */
  private answerHeld(request: HeldRequest, code: number, reason: HeldAnswerReason): void {
    if (reason === 'device-gone') {
      this.ctx.onDropped({ reason: 'device-gone', endpoint: request.endpoint, detail: `held request ${request.message.messageId}: the device left, never delivered` });
      return;
    }
    const exchanges = this.ctx.exchangesOf(request.endpoint);
    const type = request.message.type === 'NON' ? 'NON' : 'CON';
    this.ctx.output.respondToCore(request.endpoint, exchanges, coapSeparateResponse(request.message, code, exchanges.allocateCoreId(), undefined, { type }));
    this.ctx.counters.heldAnsweredByGateway += 1;
    this.ctx.onAnswered({ endpoint: request.endpoint, code: codeToString(code), reason, detail: `held request ${request.message.messageId}` });
  }

  /** The device answered a request the gateway acknowledged itself: a separate response to the core. */
  async answerFromDevice(endpoint: string, exchanges: DeviceExchanges, exchange: SmsExchange, message: CoapMessage): Promise<void> {
    if (message.type === 'RST') {
      this.held.settled(endpoint, exchange.coreMessageId, true);
      return;
    }
    if (isEmpty(message)) {
      this.held.acknowledged(endpoint, exchange.coreMessageId); // the answer follows separately
      return;
    }
    if (exchange.answered) {
      this.ctx.counters.duplicateUplink += 1;
      return;
    }
    exchange.answered = true;
    this.ctx.output.respondToCore(endpoint, exchanges, { ...message, type: exchange.coreType, messageId: exchanges.allocateCoreId() });
    this.held.settled(endpoint, exchange.coreMessageId);
  }

  /** The bearer that reaches `endpoint` now; null when it is not registered. */
  private bearerOf(endpoint: string): BearerChoice | null {
    const record = this.ctx.record(endpoint);
    return record === undefined ? null : chooseBearer(record, this.ctx.presence.isAwakeOverUdp(endpoint, this.ctx.now()));
  }
}

/** Records a core request the gateway acknowledged itself and sends on with a Message ID of its own. */
function openExchange(exchanges: DeviceExchanges, message: CoapMessage, nowMs: number): SmsExchange {
  const exchange: SmsExchange = {
    coreMessageId: message.messageId, coreType: message.type === 'NON' ? 'NON' : 'CON', tokenHex: bytesToHex(message.token),
    deviceMessageId: exchanges.allocateDeviceId(), createdAtMs: nowMs, answered: false,
  };
  exchanges.openSmsExchange(exchange);
  return exchange;
}
