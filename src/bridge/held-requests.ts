/**
 * Held requests tell the core the truth. A request of the core for a device that cannot be
 * reached now is acknowledged (empty ACK, RFC 7252 §5.2.2) and waits in a
 * {@link HeldRequestStore}, bounded per device and in total; when the device wakes (any message
 * from it: an Update, a new Register, anything) the waiting requests are delivered in arrival
 * order, one at a time (NSTART = 1, RFC 7252 §4.7): the next leaves when the device answered
 * the previous one. The core always gets an answer: the device's (a separate response, sent by
 * the relay), 5.04 Gateway Timeout when the hold expires or the device does not answer before
 * the request's deadline, 5.03 when it cannot be sent. A request past its deadline is never
 * delivered: the core has been told it failed, and a Write or Execute carried out after that
 * would be a safety defect.
 */
import { CoapCode } from '../lwm2m/coap-codes.ts';
import type { BearerChoice } from './bearer.ts';
import type { HeldRequest, HeldRequestLimits, HeldRequestStore, HoldResult } from './held-request-store.ts';

/** Bounds and time-to-live of held requests, as configured. */
export interface HeldRequestsConfig {
  /**
   * Time a request may wait before the core gets 5.04; below the core's request timeout (Leshan's
   * default is 2 min) so that the core never gives up first. @defaultValue 60000
   */
  readonly ttlMs?: number;
  /** Most requests waiting per device; the next gets 5.03 with Max-Age. @defaultValue 16 */
  readonly maxPerDevice?: number;
  /** Most requests waiting for all devices together. @defaultValue 10000 */
  readonly maxTotal?: number;
}

/** {@link HeldRequestsConfig.ttlMs} when not configured. */
export const DEFAULT_HELD_REQUEST_TTL_MS = 60_000;

/** The store's bounds from the config, with the defaults. */
export function heldRequestLimits(config: HeldRequestsConfig = {}): HeldRequestLimits {
  return { maxPerDevice: config.maxPerDevice ?? 16, maxTotal: config.maxTotal ?? 10_000 };
}

/** Why the gateway answered a held request itself. */
export type HeldAnswerReason = 'expired' | 'device-silent' | 'device-gone' | 'undeliverable' | 'device-reset' | 'interrupted' | 'budget-exhausted' | 'budget-unavailable';

/** Why a held request could not leave (see {@link HeldRequestHost.deliver}). */
export interface HeldDeliveryRefusal {
  /** `undeliverable` when not given. */
  readonly reason: HeldAnswerReason;
  /** Max-Age of the 5.03 (RFC 7252 §5.9.3.4): when the core may try again; none when the condition does not pass by itself. */
  readonly retryAfterSec?: number;
}

/** What {@link HeldRequests} needs from the relay. */
export interface HeldRequestHost {
  /** The bearer that reaches `endpoint` now; null when the device is not registered. */
  bearerOf(endpoint: string): BearerChoice | null;
  /**
   * Sends `request` to its device; `sent` false when it could not leave (`refusal`: why, when
   * the core should hear more than `undeliverable`, e.g. the SMS budget and until when).
   * `stop` ends the sender's own retransmissions (called when the device acknowledged or the
   * flight ended).
   */
  deliver(request: HeldRequest): Promise<{ readonly sent: boolean; readonly stop?: () => void; readonly refusal?: HeldDeliveryRefusal }>;
  /** The gateway gave up on a delivered request: a late answer of the device must be dropped. */
  abandon(request: HeldRequest): void;
  /** Answers the core for `request` (already acknowledged): a separate response with `code`, with Max-Age `maxAgeSec` when given. */
  answerCore(request: HeldRequest, code: number, reason: HeldAnswerReason, maxAgeSec?: number): void;
}

interface Flight {
  readonly request: HeldRequest;
  readonly timer: NodeJS.Timeout;
  stop: (() => void) | null;
}

/**
 * The delivery of held requests. Contract: `resume` (at start) takes up what the store holds;
 * `hold` stores and arms the expiry; `wake` delivers
 * (at most one in flight per device); `settled` ends the flight of a request the device answered
 * and delivers the next; `gone` drops every request of a device that left (reason `device-gone`); `close` cancels
 * every timer. Never throws; store failures are answered as 5.03 by the caller of `hold`.
 */
export class HeldRequests {
  private readonly inFlight = new Map<string, Flight>();
  /** Endpoints whose delivery loop runs now (the loop re-checks after every await). */
  private readonly delivering = new Set<string>();
  /** Requests waiting per endpoint, as far as this process knows: the hot path asks synchronously. */
  private readonly waiting = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  /** False until {@link resume} read a durable store: until then any device may have requests waiting. */
  private resumed: boolean;

  constructor(private readonly store: HeldRequestStore, private readonly host: HeldRequestHost, private readonly now: () => number = Date.now) {
    this.resumed = !store.durable;
  }

  /** Requests waiting or in flight now, all devices (as far as this process knows; for metrics). */
  heldNow(): number {
    let count = this.inFlight.size;
    for (const waiting of this.waiting.values()) count += waiting;
    return count;
  }

  /** True while requests of `endpoint` wait or one is in flight (or may wait: a durable store not resumed yet). */
  hasWork(endpoint: string): boolean {
    return !this.resumed || this.waiting.has(endpoint) || this.inFlight.has(endpoint);
  }

  /** Stores `request` (see {@link HeldRequestStore.hold}) and arms its expiry. */
  async hold(request: HeldRequest): Promise<HoldResult> {
    const result = await this.store.hold(request);
    if (result.kind === 'held') {
      this.waiting.set(request.endpoint, (this.waiting.get(request.endpoint) ?? 0) + 1);
      // A few ms late rather than early: a timer that fires before the deadline would find nothing expired.
      this.after(request.expiresAtMs - this.now() + 5, () => void this.sweep());
    }
    return result;
  }

  /**
   * After a (re)start: answers 5.04 (reason `interrupted`) for every request a previous process
   * had delivered and not settled (its outcome is unknown: it is never delivered again, a Write
   * or Execute could be carried out twice); learns from the store which devices have requests
   * waiting (held before the restart, or by a gateway process that was killed); answers 5.04 for
   * those that expired meanwhile; and from then on sweeps at the store's earliest deadline, so a
   * request held by another process expires here too. Resolves with what waited (expired ones
   * included) and what was interrupted. When the store cannot be read it rejects, and tries
   * again every second until it can (every device takes the slow path meanwhile).
   */
  async resume(): Promise<{ readonly devices: number; readonly requests: number; readonly interrupted: number }> {
    try {
      return await this.resumeOnce();
    } catch (error) {
      const retry = (): void => void this.resumeOnce().catch(() => this.after(1000, retry));
      this.after(1000, retry);
      throw error;
    }
  }

  private async resumeOnce(): Promise<{ readonly devices: number; readonly requests: number; readonly interrupted: number }> {
    const interrupted = await this.store.takeInterrupted();
    for (const request of interrupted) this.host.answerCore(request, CoapCode.GATEWAY_TIMEOUT, 'interrupted');
    let requests = 0;
    for (const [endpoint, waiting] of await this.store.waitingByDevice()) {
      this.waiting.set(endpoint, waiting);
      requests += waiting;
    }
    const devices = this.waiting.size;
    this.resumed = true;
    await this.sweepAndRearm();
    return { devices, requests, interrupted: interrupted.length };
  }

  /** Answers 5.04 for every request expired now. Also runs at each request's deadline. */
  async sweep(): Promise<void> {
    if (this.closed) return;
    const expired = await this.store.takeExpired(this.now()).catch(() => []);
    for (const request of expired) this.answer(request, CoapCode.GATEWAY_TIMEOUT, 'expired');
  }

  /** {@link sweep}, then again at the store's earliest deadline (1 s later while the store cannot say). */
  private async sweepAndRearm(): Promise<void> {
    await this.sweep();
    if (this.closed) return;
    const nextMs = await this.store.nextExpiryMs().catch(() => this.now() + 1000);
    if (nextMs !== null) this.after(nextMs - this.now() + 5, () => void this.sweepAndRearm());
  }

  /** Delivers the requests of `endpoint` one at a time while its bearer allows. */
  async wake(endpoint: string): Promise<void> {
    if (this.closed || this.delivering.has(endpoint)) return;
    this.delivering.add(endpoint);
    try {
      for (;;) {
        if (this.closed || this.inFlight.has(endpoint)) return;
        const bearer = this.host.bearerOf(endpoint);
        if (bearer === null || bearer === 'hold') return;
        const { next, expired } = await this.store.takeNext(endpoint, this.now());
        for (const request of expired) this.answer(request, CoapCode.GATEWAY_TIMEOUT, 'expired');
        if (next === null) return;
        this.countTaken(endpoint, 1);
        const flight: Flight = { request: next, timer: this.after(next.expiresAtMs - this.now(), () => this.giveUp(next)), stop: null };
        this.inFlight.set(endpoint, flight);
        const { sent, stop, refusal } = await this.host.deliver(next).catch(() => ({ sent: false, stop: undefined, refusal: undefined }));
        if (this.inFlight.get(endpoint) === flight) flight.stop = stop ?? null;
        else stop?.(); // answered before the send resolved
        if (!sent && this.inFlight.get(endpoint) === flight) {
          this.endFlight(endpoint);
          this.host.answerCore(next, CoapCode.SERVICE_UNAVAILABLE, refusal?.reason ?? 'undeliverable', refusal?.retryAfterSec);
        }
        // Answered already (a fast device), or not sent: go on with the next; else wait for `settled`.
      }
    } finally {
      this.delivering.delete(endpoint);
    }
  }

  /**
   * The device answered the request with core Message ID `coreMessageId` (`reset`: with RST);
   * true when it was the one in flight, which ends, and the next is delivered.
   */
  settled(endpoint: string, coreMessageId: number, reset = false): boolean {
    const flight = this.inFlight.get(endpoint);
    if (flight === undefined || flight.request.message.messageId !== coreMessageId) return false;
    this.endFlight(endpoint);
    if (reset) this.host.answerCore(flight.request, CoapCode.SERVICE_UNAVAILABLE, 'device-reset');
    void this.wake(endpoint);
    return true;
  }

  /** The device acknowledged (empty ACK) the request in flight: its retransmissions stop; the answer follows. */
  acknowledged(endpoint: string, coreMessageId: number): void {
    const flight = this.inFlight.get(endpoint);
    if (flight === undefined || flight.request.message.messageId !== coreMessageId) return;
    flight.stop?.();
    flight.stop = null;
  }

  /** The device left (de-registered, lost): every request of it goes to `answerCore` with `device-gone`, its state removed. */
  async gone(endpoint: string): Promise<void> {
    const flight = this.inFlight.get(endpoint);
    if (flight !== undefined) {
      this.endFlight(endpoint);
      this.host.abandon(flight.request);
      this.host.answerCore(flight.request, CoapCode.GATEWAY_TIMEOUT, 'device-gone');
    }
    this.waiting.delete(endpoint);
    const left = await this.store.takeAll(endpoint).catch(() => []);
    for (const request of left) this.host.answerCore(request, CoapCode.GATEWAY_TIMEOUT, 'device-gone');
  }

  /** Cancels every timer; nothing is delivered or answered afterwards. */
  close(): void {
    this.closed = true;
    for (const flight of this.inFlight.values()) flight.stop?.();
    this.inFlight.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** The deadline of a delivered request passed without an answer from the device. */
  private giveUp(request: HeldRequest): void {
    const flight = this.inFlight.get(request.endpoint);
    if (flight?.request !== request) return;
    this.endFlight(request.endpoint);
    this.host.abandon(request);
    this.host.answerCore(request, CoapCode.GATEWAY_TIMEOUT, 'device-silent');
    void this.wake(request.endpoint);
  }

  private answer(request: HeldRequest, code: number, reason: HeldAnswerReason): void {
    this.countTaken(request.endpoint, 1);
    this.host.answerCore(request, code, reason);
  }

  private countTaken(endpoint: string, n: number): void {
    const left = (this.waiting.get(endpoint) ?? 0) - n;
    if (left > 0) this.waiting.set(endpoint, left);
    else this.waiting.delete(endpoint);
  }

  private endFlight(endpoint: string): void {
    const flight = this.inFlight.get(endpoint);
    if (flight === undefined) return;
    clearTimeout(flight.timer);
    this.timers.delete(flight.timer);
    flight.stop?.();
    this.inFlight.delete(endpoint);
    // Settled (answered by the device or by the gateway): no later process answers it again.
    void this.store.settle(endpoint, flight.request.message.messageId).catch(() => undefined);
  }

  private after(delayMs: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, Math.max(0, delayMs));
    timer.unref();
    this.timers.add(timer);
    return timer;
  }
}
