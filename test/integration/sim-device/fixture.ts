/**
 * Peers of a simulated device in integration tests, built from raw sockets and the codecs only:
 *
 *   CoapTestServer: a tiny LwM2M server on a dgram socket. It answers Register (2.01 with a
 *     Location-Path), Update (2.04) and De-register (2.02), logs every request, and sends its
 *     own requests (CON) and waits for the piggybacked answer.
 *   TestGateway: the gateway's modem as a subscriber of the simulated network. It reassembles
 *     concatenated SMS by itself (originator, reference, total) and sends CoAP as 8-bit SMS.
 */
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import {
  CoapCode, CoapOptionNumber, coapRequest, coapResponse, decodeCoap, encodeCoap, isRequest, uriPath, type CoapMessage, type CoapRequestInit,
} from '../../../src/lwm2m/index.ts';
import { SimNetworkClient } from '../../../src/sim/network/network-client.ts';
import type { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { decodePdu, splitIntoSubmitPdus } from '../../../src/sms/index.ts';

/** The gateway modem's number in these tests. */
export const GATEWAY_NUMBER = '+491700000099';
/** The simulated device's number. */
export const DEVICE_NUMBER = '+491700000101';

/** Runs cleanups in reverse order (call from afterEach). */
export class Cleanups {
  readonly #steps: (() => Promise<void> | void)[] = [];

  add<T>(value: T, cleanup: (value: T) => Promise<void> | void): T {
    this.#steps.push(() => cleanup(value));
    return value;
  }

  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await step();
  }
}

/** A request the test server received. */
export interface Received {
  readonly message: CoapMessage;
  readonly from: { readonly host: string; readonly port: number };
  /** Date.now() on arrival. */
  readonly atMs: number;
}

/** Resolves when `predicate` holds for an entry of `log` at index ≥ `after`, checked on every `event`. */
function waitInLog<T>(log: readonly T[], emitter: EventEmitter, predicate: (entry: T) => boolean, after: number, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const found = log.slice(after).find(predicate);
      if (found === undefined) return false;
      clearTimeout(timer);
      emitter.off('entry', check);
      resolve(found);
      return true;
    };
    const timer = setTimeout(() => {
      emitter.off('entry', check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    if (!check()) emitter.on('entry', check);
  });
}

/** `POST /rd`, `POST /rd/x`, `DELETE /rd/x`, `GET /3/0`. */
export function describeRequest(message: CoapMessage): string {
  const method = ['', 'GET', 'POST', 'PUT', 'DELETE'][message.code] ?? String(message.code);
  return `${method} /${uriPath(message).join('/')}`;
}

/** A tiny LwM2M server (see the module documentation). */
export class CoapTestServer {
  /** Every request received, duplicates included, in order. */
  readonly requests: Received[] = [];
  /** Register requests to leave unanswered (to make the device retransmit). */
  dropRegisters = 0;
  readonly #socket: Socket;
  readonly #events = new EventEmitter();
  /** Requests awaiting an answer: an ACK matches by Message ID, a NON or CON response by token. */
  readonly #answers = new Map<number, { readonly token: string; readonly resolve: (message: CoapMessage) => void }>();
  #messageId = 0x1000;
  #registrations = 0;

  private constructor(socket: Socket, readonly location: readonly string[]) {
    this.#socket = socket;
    socket.on('message', (bytes, remote) => this.#onMessage(new Uint8Array(bytes), { host: remote.address, port: remote.port }));
  }

  /** Binds 127.0.0.1 on a free port. Registrations get Location-Path `location` (default rd/<n>). */
  static async start(location: readonly string[] = []): Promise<CoapTestServer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new CoapTestServer(socket, location);
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.#socket.address().port };
  }

  /** The first request (received at index ≥ `after`) with this method and path, e.g. `POST /rd`. */
  waitFor(description: string, after = 0, timeoutMs = 5_000): Promise<Received> {
    return waitInLog(this.requests, this.#events, (r) => describeRequest(r.message) === description, after, timeoutMs, description);
  }

  /** Requests received so far with this method and path. */
  count(description: string): number {
    return this.requests.filter((r) => describeRequest(r.message) === description).length;
  }

  /** Sends a CON request to `to` and resolves with the piggybacked response (rejects after `timeoutMs`). */
  request(to: { host: string; port: number }, init: Omit<CoapRequestInit, 'messageId'>, timeoutMs = 2_000): Promise<CoapMessage> {
    const messageId = this.#messageId++;
    const bytes = encodeCoap(coapRequest({ token: Uint8Array.of(0xbe, 0xef), ...init, messageId }));
    return this.sendAndAwait(to, bytes, timeoutMs);
  }

  /** Sends the encoded request `bytes` and resolves with its ACK (same Message ID) or NON/CON response (same token). */
  sendAndAwait(to: { host: string; port: number }, bytes: Uint8Array, timeoutMs = 2_000): Promise<CoapMessage> {
    const { messageId, token } = decodeCoap(bytes);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#answers.delete(messageId);
        reject(new Error(`no answer to Message ID ${messageId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#answers.set(messageId, {
        token: Buffer.from(token).toString('hex'),
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      });
      this.send(to, bytes);
    });
  }

  /** Sends raw bytes. */
  send(to: { host: string; port: number }, bytes: Uint8Array): void {
    this.#socket.send(bytes, to.port, to.host);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #onMessage(bytes: Uint8Array, from: { host: string; port: number }): void {
    const message = decodeCoap(bytes);
    if (!isRequest(message.code)) {
      const token = Buffer.from(message.token).toString('hex');
      for (const [messageId, answer] of this.#answers) {
        if (message.type === 'ACK' ? messageId === message.messageId : answer.token === token) {
          this.#answers.delete(messageId);
          answer.resolve(message);
          return;
        }
      }
      return;
    }
    this.requests.push({ message, from, atMs: Date.now() });
    this.#events.emit('entry');
    const path = uriPath(message);
    let response: CoapMessage | null = null;
    if (message.code === CoapCode.POST && path.length === 1 && path[0] === 'rd') {
      if (this.dropRegisters > 0) {
        this.dropRegisters--;
        return;
      }
      const location = this.location.length > 0 ? this.location : ['rd', `dev${++this.#registrations}`];
      const options = location.map((segment) => ({ number: CoapOptionNumber.LOCATION_PATH, value: new TextEncoder().encode(segment) }));
      response = coapResponse(message, CoapCode.CREATED, undefined, { options });
    } else if (message.code === CoapCode.POST && path[0] === 'rd') {
      response = coapResponse(message, CoapCode.CHANGED);
    } else if (message.code === CoapCode.DELETE && path[0] === 'rd') {
      response = coapResponse(message, CoapCode.DELETED);
    }
    if (response !== null) this.send(from, encodeCoap(response));
  }
}

/** A whole message the test gateway received, and how many SMS carried it. */
export interface GatewayMessage {
  readonly from: string;
  readonly bytes: Uint8Array;
  readonly parts: number;
}

/** The gateway's modem on the simulated network (see the module documentation). */
export class TestGateway {
  /** Whole messages received, in order. */
  readonly messages: GatewayMessage[] = [];
  /** SMS received. */
  smsReceived = 0;
  readonly #events = new EventEmitter();
  readonly #partial = new Map<string, Map<number, Uint8Array>>();
  #reference = 0;

  private constructor(readonly client: SimNetworkClient) {
    client.on('deliver', (delivery) => {
      client.ack(delivery.deliveryId, true);
      if (delivery.kind !== 'deliver') return;
      const pdu = decodePdu(delivery.pduHex);
      if (pdu.type !== 'deliver') return;
      this.smsReceived++;
      const from = pdu.originator.value;
      const concat = pdu.userData.header?.concatenation ?? null;
      if (concat === null) {
        this.#push({ from, bytes: pdu.userData.data, parts: 1 });
        return;
      }
      const key = `${from}/${concat.reference}/${concat.total}`;
      const parts = this.#partial.get(key) ?? new Map<number, Uint8Array>();
      this.#partial.set(key, parts);
      parts.set(concat.sequence, pdu.userData.data);
      if (parts.size < concat.total) return;
      this.#partial.delete(key);
      const ordered = [...parts.entries()].sort(([a], [b]) => a - b).map(([, data]) => data);
      this.#push({ from, bytes: new Uint8Array(Buffer.concat(ordered)), parts: concat.total });
    });
  }

  /** Attaches `number` to `network`. */
  static async attach(network: SimNetwork, number = GATEWAY_NUMBER): Promise<TestGateway> {
    return new TestGateway(await SimNetworkClient.connect({ ...network.address, msisdn: number }));
  }

  /** The first message received at index ≥ `after`. */
  next(after: number, timeoutMs = 5_000): Promise<GatewayMessage> {
    return waitInLog(this.messages, this.#events, () => true, after, timeoutMs, `a message at index ${after}`);
  }

  /** The first message (at index ≥ `after`) that decodes to a CoAP message satisfying `predicate`. */
  nextCoap(predicate: (message: CoapMessage) => boolean, after = 0, timeoutMs = 5_000): Promise<GatewayMessage & { message: CoapMessage }> {
    return waitInLog(this.messages, this.#events, (m) => predicate(decodeCoap(m.bytes)), after, timeoutMs, 'a matching CoAP message').then((m) => ({ ...m, message: decodeCoap(m.bytes) }));
  }

  /** Sends `bytes` to `to` as 8-bit SMS (concatenated when needed); resolves with the SMS count. */
  async send(to: string, bytes: Uint8Array): Promise<number> {
    const parts = splitIntoSubmitPdus({ destination: to, payload: { data: bytes }, concatReference: this.#reference++ & 0xff });
    for (const part of parts) {
      const result = await this.client.submit(part.hex.slice(2));
      if (!result.ok) throw new Error(`the network refused an SMS (cause ${result.cause})`);
    }
    return parts.length;
  }

  close(): Promise<void> {
    return this.client.close();
  }

  #push(message: GatewayMessage): void {
    this.messages.push(message);
    this.#events.emit('entry');
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
