/**
 * The simulated SMS network: a TCP server (protocol in ./protocol.ts, docs/sim-network.md) that
 * routes SMS between simulated modems and devices by MSISDN, across processes, with a delivery
 * delay, status reports, and store-and-forward while a recipient is absent or full.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { GatewayError } from '../../shared/errors.ts';
import { TypedEmitter } from '../../shared/typed-emitter.ts';
import { readLines } from './json-lines.ts';
import { MAX_PROTOCOL_LINE_BYTES, formatMessage, normaliseMsisdn, parseClientMessage, type NetworkMessage } from './protocol.ts';
import { STATUS_VALIDITY_EXPIRED, SmsCentre, type StoredMessage } from './sms-centre.ts';

/** Options of {@link SimNetwork.start}. */
export interface SimNetworkOptions {
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @defaultValue 0 */
  readonly port?: number;
  /** The SMSC's own number (digits). @defaultValue '491720000000' */
  readonly smscMsisdn?: string;
  /** Time between acceptance and the first delivery attempt. @defaultValue 20 */
  readonly deliveryDelayMs?: number;
  /** Wait before trying again after a refused or unanswered delivery. @defaultValue 5000 */
  readonly retryIntervalMs?: number;
  /** Time a recipient has to acknowledge a delivery. @defaultValue 30000 */
  readonly ackTimeoutMs?: number;
  /** Default validity of stored SMS. @defaultValue 86400 */
  readonly defaultValiditySec?: number;
}

/** Counters of the network since start. */
export interface SimNetworkStats {
  submitted: number;
  rejected: number;
  delivered: number;
  deliveryAttempts: number;
  refused: number;
  expired: number;
  statusReports: number;
  protocolErrors: number;
}

/** Events of {@link SimNetwork}. */
export type SimNetworkEvents = {
  attached: [msisdn: string];
  detached: [msisdn: string];
  /** An SMS-SUBMIT was accepted from `from` for `to`. */
  submitted: [from: string, to: string, tpduHex: string];
  /** A recipient acknowledged a delivery. */
  delivered: [to: string, kind: 'deliver' | 'status-report', pduHex: string];
};

interface Subscriber {
  readonly socket: Socket;
  readonly queue: StoredMessage[];
  inFlight: { message: StoredMessage; timer: NodeJS.Timeout } | null;
  retryTimer: NodeJS.Timeout | null;
}

/** A fault of the simulated network for one recipient (see {@link SimNetwork.setDeliveryFault}). */
export type DeliveryFault = { readonly status: number } | 'drop';

/**
 * A running simulated network. Per recipient, SMS go out one at a time in order; a refused
 * (`ack` ok:false) or unanswered delivery is retried after `retryIntervalMs` until its validity
 * ends, then the sender gets a status report with TP-ST 0x46 if it asked for one.
 */
export class SimNetwork extends TypedEmitter<SimNetworkEvents> {
  readonly stats: SimNetworkStats = {
    submitted: 0, rejected: 0, delivered: 0, deliveryAttempts: 0, refused: 0, expired: 0, statusReports: 0, protocolErrors: 0,
  };
  private readonly subscribers = new Map<string, Subscriber>();
  /** Messages for numbers with no connection (kept until they attach or the message expires). */
  private readonly held = new Map<string, StoredMessage[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Faults by recipient number (see {@link setDeliveryFault}). */
  private readonly faults = new Map<string, DeliveryFault>();
  private readonly centre: SmsCentre;
  private readonly options: Required<Omit<SimNetworkOptions, 'host' | 'port'>>;

  private constructor(private readonly server: Server, options: SimNetworkOptions) {
    super();
    this.options = {
      smscMsisdn: options.smscMsisdn ?? '491720000000',
      deliveryDelayMs: options.deliveryDelayMs ?? 20,
      retryIntervalMs: options.retryIntervalMs ?? 5000,
      ackTimeoutMs: options.ackTimeoutMs ?? 30_000,
      defaultValiditySec: options.defaultValiditySec ?? 86_400,
    };
    this.centre = new SmsCentre({ smscMsisdn: this.options.smscMsisdn, defaultValiditySec: this.options.defaultValiditySec });
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Starts listening. Rejects with GW_ERR_SIM_UNAVAILABLE when the address cannot be bound. */
  static async start(options: SimNetworkOptions = {}): Promise<SimNetwork> {
    const server = createServer();
    const network = new SimNetwork(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(new GatewayError('GW_ERR_SIM_UNAVAILABLE', `cannot listen: ${error.message}`)));
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return network;
  }

  /** Where the network listens. */
  get address(): { host: string; port: number } {
    const address = this.server.address();
    if (address === null || typeof address === 'string') return { host: '127.0.0.1', port: 0 };
    return { host: address.address, port: address.port };
  }

  /** Numbers with a live connection. */
  get attached(): string[] {
    return [...this.subscribers.keys()];
  }

  /** SMS waiting for `msisdn` (held for an absent number, or queued for a present one). */
  pendingFor(msisdn: string): number {
    const subscriber = this.subscribers.get(msisdn);
    return (this.held.get(msisdn)?.length ?? 0) + (subscriber ? subscriber.queue.length + (subscriber.inFlight ? 1 : 0) : 0);
  }

  /**
   * A fault for SMS to `msisdn` (digits, as attached), or null to clear it. `{ status }`: the
   * network does not deliver them and answers at once with a status report of that TP-ST (TS
   * 23.040 §9.2.3.15, e.g. 0x41 incompatible destination) when the sender asked for one. `drop`:
   * they are accepted and vanish, with no delivery and no report ever.
   */
  setDeliveryFault(msisdn: string, fault: DeliveryFault | null): void {
    const key = normaliseMsisdn(msisdn);
    if (fault === null) this.faults.delete(key);
    else this.faults.set(key, fault);
  }

  /** Closes every connection and the listener. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const subscriber of this.subscribers.values()) {
      this.clearTimers(subscriber);
      subscriber.socket.destroy();
    }
    this.subscribers.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    let msisdn: string | null = null;
    const send = (message: NetworkMessage): void => {
      if (!socket.destroyed) socket.write(formatMessage(message));
    };
    readLines(socket, MAX_PROTOCOL_LINE_BYTES, (line) => {
      try {
        const message = parseClientMessage(line);
        if (message.op === 'attach') {
          msisdn = message.msisdn;
          send({ op: 'attached', msisdn: message.msisdn, smsc: this.options.smscMsisdn });
          this.attach(message.msisdn, socket);
        } else if (msisdn === null) {
          send({ op: 'error', message: 'attach first' });
        } else if (message.op === 'submit') {
          const result = this.submit(msisdn, message.tpdu);
          send({ op: 'submit-result', id: message.id, ...result });
        } else {
          this.acknowledge(msisdn, message.deliveryId, message.ok);
        }
      } catch (error) {
        this.stats.protocolErrors += 1;
        send({ op: 'error', message: error instanceof Error ? error.message : String(error) });
      }
    }, () => (this.stats.protocolErrors += 1));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (msisdn !== null && this.subscribers.get(msisdn)?.socket === socket) this.detach(msisdn);
    });
  }

  private attach(msisdn: string, socket: Socket): void {
    const previous = this.subscribers.get(msisdn);
    if (previous && previous.socket !== socket) {
      // A new connection for the same number (a modem that came back) replaces the old one.
      this.detach(msisdn);
      previous.socket.destroy();
    }
    const subscriber: Subscriber = { socket, queue: this.held.get(msisdn) ?? [], inFlight: null, retryTimer: null };
    this.held.delete(msisdn);
    this.subscribers.set(msisdn, subscriber);
    this.emit('attached', msisdn);
    this.pump(msisdn);
  }

  private detach(msisdn: string): void {
    const subscriber = this.subscribers.get(msisdn);
    if (!subscriber) return;
    this.clearTimers(subscriber);
    this.subscribers.delete(msisdn);
    const undelivered = [...(subscriber.inFlight ? [subscriber.inFlight.message] : []), ...subscriber.queue];
    if (undelivered.length > 0) this.held.set(msisdn, undelivered);
    this.emit('detached', msisdn);
  }

  private submit(from: string, tpduHex: string): { ok: boolean; cause?: number } {
    const outcome = this.centre.accept(from, tpduHex, Date.now());
    if ('cause' in outcome) {
      this.stats.rejected += 1;
      return { ok: false, cause: outcome.cause };
    }
    this.stats.submitted += 1;
    this.emit('submitted', from, outcome.message.recipient, tpduHex);
    const fault = this.faults.get(outcome.message.recipient);
    if (fault === 'drop') return { ok: true };
    if (fault !== undefined) {
      const report = outcome.message.onDelivered;
      if (report !== null) this.later(this.options.deliveryDelayMs, () => this.enqueue(this.centre.completeReport(report, fault.status, Date.now())));
      return { ok: true };
    }
    this.later(this.options.deliveryDelayMs, () => this.enqueue(outcome.message));
    return { ok: true };
  }

  private enqueue(message: StoredMessage): void {
    const subscriber = this.subscribers.get(message.recipient);
    if (subscriber) {
      subscriber.queue.push(message);
      this.pump(message.recipient);
    } else {
      this.held.set(message.recipient, [...(this.held.get(message.recipient) ?? []), message]);
    }
  }

  private pump(msisdn: string): void {
    const subscriber = this.subscribers.get(msisdn);
    if (!subscriber || subscriber.inFlight || subscriber.retryTimer) return;
    const message = subscriber.queue.shift();
    if (!message) return;
    if (Date.now() > message.expiresAtMs) {
      this.expire(message);
      this.pump(msisdn);
      return;
    }
    message.attempts += 1;
    this.stats.deliveryAttempts += 1;
    const timer = setTimeout(() => this.refuse(msisdn, message), this.options.ackTimeoutMs);
    subscriber.inFlight = { message, timer };
    subscriber.socket.write(formatMessage({ op: 'deliver', deliveryId: message.deliveryId, kind: message.kind, pdu: message.pdu }));
  }

  private acknowledge(msisdn: string, deliveryId: number, ok: boolean): void {
    const subscriber = this.subscribers.get(msisdn);
    const inFlight = subscriber?.inFlight;
    if (!subscriber || !inFlight || inFlight.message.deliveryId !== deliveryId) return;
    if (!ok) {
      this.refuse(msisdn, inFlight.message);
      return;
    }
    clearTimeout(inFlight.timer);
    subscriber.inFlight = null;
    const message = inFlight.message;
    this.stats.delivered += 1;
    if (message.kind === 'status-report') this.stats.statusReports += 1;
    this.emit('delivered', msisdn, message.kind, message.pdu);
    if (message.onDelivered) this.enqueue(this.centre.completeReport(message.onDelivered, 0, Date.now()));
    this.pump(msisdn);
  }

  /** The recipient refused or did not answer: try again later, keeping the order. */
  private refuse(msisdn: string, message: StoredMessage): void {
    const subscriber = this.subscribers.get(msisdn);
    if (!subscriber || subscriber.inFlight?.message !== message) return;
    this.stats.refused += 1;
    clearTimeout(subscriber.inFlight.timer);
    subscriber.inFlight = null;
    subscriber.queue.unshift(message);
    subscriber.retryTimer = setTimeout(() => {
      subscriber.retryTimer = null;
      this.pump(msisdn);
    }, this.options.retryIntervalMs);
  }

  private expire(message: StoredMessage): void {
    this.stats.expired += 1;
    if (message.onDelivered) this.enqueue(this.centre.completeReport(message.onDelivered, STATUS_VALIDITY_EXPIRED, Date.now()));
  }

  private clearTimers(subscriber: Subscriber): void {
    if (subscriber.inFlight) clearTimeout(subscriber.inFlight.timer);
    if (subscriber.retryTimer) clearTimeout(subscriber.retryTimer);
    subscriber.retryTimer = null;
  }

  private later(delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    this.timers.add(timer);
  }
}
