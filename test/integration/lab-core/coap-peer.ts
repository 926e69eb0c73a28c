/**
 * A raw CoAP peer for lab-core tests: one UDP socket on loopback that sends messages built with
 * the gateway's codec and hands back every datagram it receives, decoded, in order. It plays the
 * LwM2M client (a device, or the gateway in front of one) datagram by datagram, lock-step style.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  CoapCode,
  ContentFormat,
  coapRequest,
  decodeCoap,
  encodeCoap,
  type CoapMessage,
} from '../../../src/lwm2m/index.ts';

/** A received datagram. */
export interface Received {
  readonly message: CoapMessage;
  readonly bytes: Uint8Array;
}

/** A UDP address. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** One UDP socket speaking raw CoAP to the lab core. */
export class RawCoapPeer {
  private readonly inbox: Received[] = [];
  private waiter: (() => void) | null = null;
  private messageIdCounter = 0x1000;

  private constructor(private readonly socket: Socket, readonly target: Address) {
    socket.on('message', (bytes) => {
      const copy = Uint8Array.from(bytes);
      this.inbox.push({ message: decodeCoap(copy), bytes: copy });
      this.waiter?.();
    });
  }

  /** Binds a socket on 127.0.0.1 (a free port) that talks to `target`. */
  static async open(target: Address): Promise<RawCoapPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new RawCoapPeer(socket, target);
  }

  /** The local UDP port. */
  get port(): number {
    return this.socket.address().port;
  }

  /** A fresh Message ID. */
  nextMessageId(): number {
    this.messageIdCounter += 1;
    return this.messageIdCounter;
  }

  /** Sends `message` (or raw bytes) to the target. */
  send(message: CoapMessage | Uint8Array): void {
    const bytes = message instanceof Uint8Array ? message : encodeCoap(message);
    this.socket.send(bytes, this.target.port, this.target.host);
  }

  /** The next datagram received (already queued or arriving within `timeoutMs`). */
  async next(timeoutMs = 2000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const received = this.inbox.shift();
      if (received !== undefined) return received;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no datagram within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Resolves when no datagram arrives for `ms`; throws with the first one that does. */
  async silentFor(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const received = this.inbox.shift();
    if (received !== undefined) throw new Error(`unexpected datagram ${Buffer.from(received.bytes).toString('hex')}`);
  }

  /** Sends a Register (CON POST /rd) and returns the core's answer. */
  async register(query: readonly string[], links = '</1/0>,</3/0>'): Promise<Received> {
    this.send(this.registerMessage(query, links));
    return this.next();
  }

  /** A Register message with a fresh Message ID and token. */
  registerMessage(query: readonly string[], links = '</1/0>,</3/0>', messageId = this.nextMessageId()): CoapMessage {
    return coapRequest({
      code: CoapCode.POST,
      messageId,
      token: Uint8Array.from([0xa0, messageId & 0xff]),
      path: ['rd'],
      query,
      contentFormat: ContentFormat.LINK_FORMAT,
      payload: links,
    });
  }

  /** Sends a CON request and returns the core's answer. */
  async request(code: number, path: readonly string[], query: readonly string[] = [], payload = ''): Promise<Received> {
    const messageId = this.nextMessageId();
    this.send(coapRequest({ code, messageId, token: Uint8Array.from([0xb0, messageId & 0xff]), path, query, payload }));
    return this.next();
  }

  /** Closes the socket. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
