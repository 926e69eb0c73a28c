/**
 * A subscriber's connection to the simulated network (used by simulated modems and devices).
 */
import { connect, type Socket } from 'node:net';
import { GatewayError } from '../../shared/errors.ts';
import { TypedEmitter } from '../../shared/typed-emitter.ts';
import { readLines } from './json-lines.ts';
import { MAX_PROTOCOL_LINE_BYTES, formatMessage, normaliseMsisdn, parseNetworkMessage, type ClientMessage } from './protocol.ts';

/** An SMS the network hands to this subscriber. Acknowledge it with {@link SimNetworkClient.ack}. */
export interface SimDelivery {
  readonly deliveryId: number;
  readonly kind: 'deliver' | 'status-report';
  /** Full PDU with the SMSC field, as a modem prints it after `+CMT`. */
  readonly pduHex: string;
}

/** Outcome of a submission: accepted, or refused with a TS 24.011 RP cause. */
export type SubmitResult = { readonly ok: true } | { readonly ok: false; readonly cause: number };

/** Events of {@link SimNetworkClient}. */
export type SimNetworkClientEvents = {
  deliver: [SimDelivery];
  /** The connection ended; pending submissions were refused with cause 38 (network out of order). */
  closed: [];
};

/** Options of {@link SimNetworkClient.connect}. */
export interface SimNetworkClientOptions {
  readonly host: string;
  readonly port: number;
  readonly msisdn: string;
  /** Give up connecting after this long. @defaultValue 5000 */
  readonly connectTimeoutMs?: number;
}

/** TS 24.011 Annex E: RP cause 38, network out of order. */
const CAUSE_NETWORK_OUT_OF_ORDER = 38;

/**
 * One attached subscriber. Contract: `connect` resolves once the network confirmed the attach;
 * `submit` resolves with the network's result and never rejects (a lost connection gives cause
 * 38); deliveries arrive as `deliver` events and must be acknowledged.
 */
export class SimNetworkClient extends TypedEmitter<SimNetworkClientEvents> {
  private nextId = 1;
  private readonly pending = new Map<number, (result: SubmitResult) => void>();
  /** Deliveries that arrived before anyone listened (held SMS come right after the attach). */
  private readonly unheard: SimDelivery[] = [];
  private ended = false;

  private constructor(private readonly socket: Socket, readonly msisdn: string) {
    super();
  }

  /** Connects and attaches. Rejects with GW_ERR_SIM_UNAVAILABLE when the network cannot be reached. */
  static connect(options: SimNetworkClientOptions): Promise<SimNetworkClient> {
    const msisdn = normaliseMsisdn(options.msisdn);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port });
      const client = new SimNetworkClient(socket, msisdn);
      const timer = setTimeout(() => fail(new Error('timed out')), options.connectTimeoutMs ?? 5000);
      function fail(error: Error): void {
        clearTimeout(timer);
        socket.destroy();
        reject(new GatewayError('GW_ERR_SIM_UNAVAILABLE', `network ${options.host}:${options.port}: ${error.message}`));
      }
      socket.once('error', fail);
      readLines(socket, MAX_PROTOCOL_LINE_BYTES, (line) => {
        let message;
        try {
          message = parseNetworkMessage(line);
        } catch {
          return; // A line we cannot read is ignored; the network never sends one.
        }
        if (message.op === 'attached') {
          clearTimeout(timer);
          socket.off('error', fail);
          socket.on('error', () => undefined);
          resolve(client);
        } else {
          client.handle(message);
        }
      }, () => undefined);
      socket.on('close', () => client.onClose());
      socket.once('connect', () => client.send({ op: 'attach', msisdn }));
    });
  }

  /**
   * Adds a listener. Deliveries that arrived before the first `deliver` listener are handed to
   * it (in order, on the next tick), so none is lost between `connect` and `on`.
   */
  override on<E extends keyof SimNetworkClientEvents & string>(event: E, listener: (...args: SimNetworkClientEvents[E]) => void): () => void {
    const off = super.on(event, listener);
    if (event === 'deliver' && this.unheard.length > 0) {
      setImmediate(() => {
        for (const delivery of this.unheard.splice(0)) this.emit('deliver', delivery);
      });
    }
    return off;
  }

  /** True once the connection ended. */
  get closed(): boolean {
    return this.ended;
  }

  /** Submits an SMS-SUBMIT TPDU (hex, no SMSC field). */
  submit(tpduHex: string): Promise<SubmitResult> {
    if (this.ended) return Promise.resolve({ ok: false, cause: CAUSE_NETWORK_OUT_OF_ORDER });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ op: 'submit', id, tpdu: tpduHex });
    });
  }

  /** Acknowledges a delivery; ok=false (cause 22: memory capacity exceeded) makes the network retry later. */
  ack(deliveryId: number, ok: boolean, cause?: number): void {
    this.send(cause === undefined ? { op: 'ack', deliveryId, ok } : { op: 'ack', deliveryId, ok, cause });
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (this.ended) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 500).unref();
    });
  }

  private handle(message: ReturnType<typeof parseNetworkMessage>): void {
    if (message.op === 'submit-result') {
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      resolve?.(message.ok ? { ok: true } : { ok: false, cause: message.cause ?? CAUSE_NETWORK_OUT_OF_ORDER });
    } else if (message.op === 'deliver') {
      const delivery = { deliveryId: message.deliveryId, kind: message.kind, pduHex: message.pdu };
      if (this.listenerCount('deliver') === 0 || this.unheard.length > 0) this.unheard.push(delivery);
      else this.emit('deliver', delivery);
    }
  }

  private send(message: ClientMessage): void {
    if (!this.socket.destroyed) this.socket.write(formatMessage(message));
  }

  private onClose(): void {
    if (this.ended) return;
    this.ended = true;
    for (const resolve of this.pending.values()) resolve({ ok: false, cause: CAUSE_NETWORK_OUT_OF_ORDER });
    this.pending.clear();
    this.emit('closed');
  }
}
