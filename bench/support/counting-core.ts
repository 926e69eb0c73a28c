/**
 * The core of the crash scenario (bench/reliability/crash.ts): a minimal LwM2M server on one
 * UDP socket that counts what its application sees. It de-duplicates as RFC 7252 §4.5 tells a
 * recipient to (by Message ID and source endpoint; a duplicate CON is answered with the same
 * ACK again), answers Registers 2.01 and Sends 2.04, and sends confirmable GET requests to
 * devices with RFC 7252 retransmission (§4.2: ACK_TIMEOUT 2 s, doubled, MAX_RETRANSMIT 4),
 * taking the device's answer as a separate response matched by token.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { coapAck, coapRequest } from '../../src/lwm2m/coap-builders.ts';
import { CoapCode } from '../../src/lwm2m/coap-codes.ts';
import { decodeCoap, encodeCoap, type CoapMessage } from '../../src/lwm2m/coap-message.ts';
import { CoapOptionNumber, uriPath, uriQuery } from '../../src/lwm2m/coap-options.ts';

/** What happened to one request of the core. */
export interface CoreRequestOutcome {
  readonly tokenHex: string;
  readonly endpoint: string;
  readonly sentAtMs: number;
  /** When the gateway's ACK came, or null (it never acknowledged: 4 retransmissions went unanswered). */
  ackedAtMs: number | null;
  /** When the answer (2.05) came, or null. */
  answeredAtMs: number | null;
  /** An error answer instead (the gateway's 5.03 when the SMS could not be sent), e.g. `5.03`, or null. */
  errorCode: string | null;
  /** Answers after the first (the application saw the answer again). */
  extraAnswers: number;
}

/** See the file comment. */
export class CountingCore {
  /** Application-level uplinks (after de-duplication) per uplink id: should be 1 each. */
  readonly uplinksById = new Map<string, { count: number; firstAtMs: number }>();
  /** Datagrams dropped as duplicates by Message ID (a re-send after a crash the core recognised). */
  duplicatesAbsorbed = 0;
  /** Registered endpoints and where their core-facing socket is. */
  readonly devices = new Map<string, RemoteInfo>();
  readonly requests = new Map<string, CoreRequestOutcome>();
  private readonly seen = new Map<string, Buffer | null>();
  private nextMessageId = 1;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly socket: Socket) {
    socket.on('message', (bytes, from) => this.onDatagram(bytes, from));
  }

  /** Binds on 127.0.0.1 (a free port). */
  static async start(): Promise<CountingCore> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new CountingCore(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Sends GET /3/0/0 to `endpoint` (registered) with `token`, retransmitted until ACKed. */
  request(endpoint: string, token: Uint8Array): void {
    const device = this.devices.get(endpoint);
    if (device === undefined) throw new Error(`${endpoint} is not registered`);
    const messageId = this.nextMessageId++ & 0xffff;
    const bytes = encodeCoap(coapRequest({ code: CoapCode.GET, messageId, token, path: ['3', '0', '0'] }));
    const outcome: CoreRequestOutcome = { tokenHex: Buffer.from(token).toString('hex'), endpoint, sentAtMs: Date.now(), ackedAtMs: null, answeredAtMs: null, errorCode: null, extraAnswers: 0 };
    this.requests.set(outcome.tokenHex, outcome);
    this.pendingAcks.set(messageId, outcome);
    let attempt = 0;
    const send = (): void => {
      if (outcome.ackedAtMs !== null || attempt > 4) return;
      this.socket.send(bytes, device.port, device.address);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        attempt += 1;
        send();
      }, 2000 * 2 ** attempt);
      this.timers.add(timer);
    };
    send();
  }

  private readonly pendingAcks = new Map<number, CoreRequestOutcome>();

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private onDatagram(bytes: Buffer, from: RemoteInfo): void {
    let message: CoapMessage;
    try {
      message = decodeCoap(bytes);
    } catch {
      return;
    }
    if (message.type === 'ACK' || message.type === 'RST') {
      const outcome = this.pendingAcks.get(message.messageId);
      if (outcome !== undefined) {
        this.pendingAcks.delete(message.messageId);
        outcome.ackedAtMs = Date.now();
        if (message.code === CoapCode.CONTENT) this.answered(outcome.tokenHex);
        else if (message.code >= 128) this.failed(outcome.tokenHex, message.code);
      }
      return;
    }
    // RFC 7252 §4.5: a message with the Message ID of one seen before from the same endpoint is a duplicate.
    const key = `${from.address}:${from.port}#${message.messageId}`;
    if (this.seen.has(key)) {
      this.duplicatesAbsorbed += 1;
      const ack = this.seen.get(key);
      if (ack) this.socket.send(ack, from.port, from.address);
      return;
    }
    this.seen.set(key, null);
    const reply = (code: number, options: CoapMessage['options'] = []): void => {
      if (message.type !== 'CON') return;
      const ack = Buffer.from(encodeCoap(code === 0 ? coapAck(message.messageId) : { ...coapAck(message.messageId), code, token: message.token, options }));
      this.seen.set(key, ack);
      this.socket.send(ack, from.port, from.address);
    };
    if (message.code >= 64) {
      // A separate response to one of our requests (matched by token), or a notification (Observe).
      if (message.options.some((option) => option.number === CoapOptionNumber.OBSERVE)) this.uplink(message);
      else if (message.code === CoapCode.CONTENT) this.answered(Buffer.from(message.token).toString('hex'));
      else if (message.code >= 128) this.failed(Buffer.from(message.token).toString('hex'), message.code);
      reply(0);
      return;
    }
    const path = uriPath(message);
    if (message.code === CoapCode.POST && path[0] === 'rd' && path.length === 1) {
      const endpoint = uriQuery(message).find((q) => q.startsWith('ep='))?.slice(3) ?? '';
      this.devices.set(endpoint, from);
      reply(CoapCode.CREATED, [
        { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') },
        { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(endpoint) },
      ]);
    } else if (message.code === CoapCode.POST && path[0] === 'dp') {
      this.uplink(message);
      reply(CoapCode.CHANGED);
    } else {
      reply(CoapCode.CHANGED); // an Update
    }
  }

  private uplink(message: CoapMessage): void {
    const id = (JSON.parse(Buffer.from(message.payload).toString()) as { u: string }).u;
    const entry = this.uplinksById.get(id);
    if (entry) entry.count += 1;
    else this.uplinksById.set(id, { count: 1, firstAtMs: Date.now() });
  }

  private failed(tokenHex: string, code: number): void {
    const outcome = this.requests.get(tokenHex);
    if (outcome !== undefined && outcome.errorCode === null) outcome.errorCode = `${code >> 5}.${String(code & 31).padStart(2, '0')}`;
  }

  private answered(tokenHex: string): void {
    const outcome = this.requests.get(tokenHex);
    if (outcome === undefined) return;
    if (outcome.answeredAtMs === null) outcome.answeredAtMs = Date.now();
    else outcome.extraAnswers += 1;
  }
}
