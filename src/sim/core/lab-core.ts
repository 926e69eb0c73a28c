/**
 * The lab core: a small LwM2M server for labs and tests (a test peer and a demo aid, not a
 * product). Over one UDP socket it serves the Registration Interface (./registration-interface.ts)
 * and sends Read / Write / Execute to registered clients with CoAP retransmission
 * (./downlink-exchanges.ts), like an unmodified core server in front of which the gateway runs.
 *
 * ```
 *  UDP datagram ─ decodeCoap ─┬─ ACK / RST ───────────────────────► DownlinkExchanges
 *                             └─ CON / NON ─ MessageDeduplicator ──┬─ response ─► DownlinkExchanges (ACK a CON)
 *                                                                  └─ request ──► registration interface
 * ```
 *
 * Not implemented: Observe, Send, Bootstrap, block-wise transfer, security, NSTART (requests to
 * one client may overlap).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import {
  ACK_RANDOM_FACTOR,
  ACK_TIMEOUT_SEC,
  CoapCode,
  CoapOptionNumber,
  ContentFormat,
  EXCHANGE_LIFETIME_SEC,
  MAX_RETRANSMIT,
  MessageDeduplicator,
  coapAck,
  coapRequest,
  coapReset,
  coapResponse,
  decodeCoap,
  encodeCoap,
  isEmpty,
  isRequest,
  systemCoapClock,
  isResponse,
  peekHeader,
  stringOptions,
  type CoapMessage,
} from '../../lwm2m/index.ts';
import { GatewayError } from '../../shared/errors.ts';
import { TypedEmitter } from '../../shared/typed-emitter.ts';
import { DownlinkExchanges, type DownlinkStats, type Peer } from './downlink-exchanges.ts';
import { LabCoreRequestError } from './lab-core-errors.ts';
import { lwm2mPathSegments, responseOf, type LabCoreRequest, type LabCoreResponse } from './lwm2m-request.ts';
import { handleRegistrationRequest, refusedRegistration, registerEndpointOf, type RegistrationChange } from './registration-interface.ts';
import { RegistrationTable, type LabCoreClient } from './registration-table.ts';

/** Options of {@link LabCore.start}. Times in milliseconds. */
export interface LabCoreOptions {
  /** Address to bind. @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** UDP port; 0 picks a free one. @defaultValue 0 */
  readonly port?: number;
  /** ACK_TIMEOUT (RFC 7252 §4.8). @defaultValue 2000 */
  readonly ackTimeoutMs?: number;
  /** ACK_RANDOM_FACTOR (≥ 1; 1 makes timing exact for tests). @defaultValue 1.5 */
  readonly ackRandomFactor?: number;
  /** MAX_RETRANSMIT. @defaultValue 4 */
  readonly maxRetransmit?: number;
  /** Overall wait for the response to a downlink request (SMS is slow). @defaultValue 60000 */
  readonly responseTimeoutMs?: number;
  /** How long a received Message ID counts as a duplicate (EXCHANGE_LIFETIME). @defaultValue 247000 */
  readonly exchangeLifetimeMs?: number;
}

/** Counters since start. */
export interface LabCoreStats extends DownlinkStats {
  /** Requests processed (duplicates not counted). */
  requestsReceived: number;
  /** CON/NON messages recognised as duplicates and answered from the cache (RFC 7252 §4.5). */
  duplicates: number;
  /** Datagrams that are not CoAP messages. */
  malformed: number;
  /** Resets sent (malformed CON, CoAP ping, CON response to nothing outstanding). */
  resetsSent: number;
  /** Registers refused on purpose (see {@link LabCore.refuseRegisters}). */
  registersRefused: number;
}

/** Events of {@link LabCore}. */
export type LabCoreEvents = {
  /** A Register succeeded; `replaced` is the previous registration of the same endpoint. */
  registered: [client: LabCoreClient, replaced: LabCoreClient | null];
  updated: [client: LabCoreClient, previous: LabCoreClient];
  deregistered: [client: LabCoreClient];
  /** A registration's lifetime passed without an Update; it was removed. */
  expired: [client: LabCoreClient];
  /** A downlink request got its response (any code). */
  response: [endpoint: string, request: LabCoreRequest, response: LabCoreResponse];
};

/** Options of a downlink request helper. */
export interface LabCoreRequestOptions {
  /** Overall wait for the response; default the core's `responseTimeoutMs`. */
  readonly timeoutMs?: number;
}

/** Largest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Settings {
  readonly ackTimeoutMs: number;
  readonly ackRandomFactor: number;
  readonly maxRetransmit: number;
  readonly responseTimeoutMs: number;
  readonly exchangeLifetimeMs: number;
}

function settingsOf(options: LabCoreOptions): Settings {
  const settings = {
    ackTimeoutMs: options.ackTimeoutMs ?? ACK_TIMEOUT_SEC * 1000,
    ackRandomFactor: options.ackRandomFactor ?? ACK_RANDOM_FACTOR,
    maxRetransmit: options.maxRetransmit ?? MAX_RETRANSMIT,
    responseTimeoutMs: options.responseTimeoutMs ?? 60_000,
    exchangeLifetimeMs: options.exchangeLifetimeMs ?? EXCHANGE_LIFETIME_SEC * 1000,
  };
  const check = (name: keyof Settings, ok: boolean, rule: string): void => {
    if (!ok) throw new GatewayError('GW_ERR_CONFIG', `${name}: ${String(settings[name])} is not ${rule}`, { option: name });
  };
  const inTimerRange = (ms: number, min: number): boolean => Number.isFinite(ms) && ms >= min && ms <= MAX_TIMER_MS;
  check('ackTimeoutMs', inTimerRange(settings.ackTimeoutMs, 1), `a number of milliseconds 1..${MAX_TIMER_MS}`);
  check('ackRandomFactor', Number.isFinite(settings.ackRandomFactor) && settings.ackRandomFactor >= 1, 'a number ≥ 1');
  check('maxRetransmit', Number.isInteger(settings.maxRetransmit) && settings.maxRetransmit >= 0 && settings.maxRetransmit <= 20, 'an integer 0..20');
  check('responseTimeoutMs', inTimerRange(settings.responseTimeoutMs, 1), `a number of milliseconds 1..${MAX_TIMER_MS}`);
  check('exchangeLifetimeMs', Number.isFinite(settings.exchangeLifetimeMs) && settings.exchangeLifetimeMs >= 0, 'a number of milliseconds ≥ 0');
  return Object.freeze(settings);
}

/**
 * A running lab core. Registrations are kept by endpoint name; downlink requests go to the
 * address and port of the client's last Register or Update. {@link stop} releases the socket,
 * every timer, and fails outstanding requests with `stopped`.
 */
export class LabCore extends TypedEmitter<LabCoreEvents> {
  private readonly table: RegistrationTable;
  /** RFC 7252 §4.5: the reply to each CON/NON by (peer, Message ID); null when none was sent. */
  private readonly cache: MessageDeduplicator<Uint8Array | null>;
  private readonly exchanges: DownlinkExchanges;
  private readonly counters = { requestsReceived: 0, duplicates: 0, malformed: 0, resetsSent: 0, registersRefused: 0 };
  /** Endpoints whose Register is refused, with the response code (see {@link refuseRegisters}). */
  private readonly refusedEndpoints = new Map<string, number>();
  private stopping: Promise<void> | null = null;

  private constructor(private readonly socket: Socket, private readonly settings: Settings) {
    super();
    this.table = new RegistrationTable((client) => this.emit('expired', client));
    this.cache = new MessageDeduplicator(systemCoapClock, settings.exchangeLifetimeMs);
    this.exchanges = new DownlinkExchanges(settings, (bytes, peer) => this.sendTo(bytes, peer));
    socket.on('message', (bytes, remote) => this.receive(bytes, remote));
    socket.on('error', () => undefined); // send errors of UDP are losses; retransmission covers them
  }

  /**
   * Binds the UDP socket and starts serving. Throws {@link GatewayError} `GW_ERR_CONFIG` for an
   * option out of range; rejects with `GW_ERR_SIM_UNAVAILABLE` when the address cannot be bound.
   */
  static async start(options: LabCoreOptions = {}): Promise<LabCore> {
    const settings = settingsOf(options);
    const host = options.host ?? '127.0.0.1';
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (error) => {
        socket.close();
        reject(new GatewayError('GW_ERR_SIM_UNAVAILABLE', `lab core cannot bind ${host}:${options.port ?? 0}: ${error.message}`));
      });
      socket.bind(options.port ?? 0, host, () => resolve());
    });
    socket.removeAllListeners('error');
    return new LabCore(socket, settings);
  }

  /** The bound UDP address. */
  get address(): { host: string; port: number } {
    const address = this.socket.address();
    return { host: address.address, port: address.port };
  }

  /**
   * A fault for tests: every Register of `endpoint` is answered `code` (e.g. `CoapCode.FORBIDDEN`,
   * 4.03) and nothing is stored, as a core that refuses the device's credentials would; null
   * accepts its Registers again.
   */
  refuseRegisters(endpoint: string, code: number | null): void {
    if (code === null) this.refusedEndpoints.delete(endpoint);
    else this.refusedEndpoints.set(endpoint, code);
  }

  /** A snapshot of the counters. */
  get stats(): LabCoreStats {
    return { ...this.exchanges.stats, ...this.counters };
  }

  /** Every registration, in order of (re-)registration. */
  clients(): LabCoreClient[] {
    return this.table.list();
  }

  /** The registration of `endpoint`, or null. */
  client(endpoint: string): LabCoreClient | null {
    return this.table.byEndpointName(endpoint);
  }

  /**
   * Sends `request` as a CON to the registered client `endpoint` and resolves with its response
   * (any code: a 4.04 resolves). Rejects with {@link LabCoreRequestError}: `unknown-client`,
   * `bad-request` (path, `timeoutMs`), `timeout`, `reset` or `stopped`; with an `EncodeError`
   * `GW_ERR_COAP_ENCODE` for a query argument the codec refuses.
   */
  async request(endpoint: string, request: LabCoreRequest): Promise<LabCoreResponse> {
    if (this.stopping !== null) throw new LabCoreRequestError('stopped', 'the lab core is stopped', { endpoint });
    const client = this.table.byEndpointName(endpoint);
    if (client === null) throw new LabCoreRequestError('unknown-client', `no client "${endpoint}" is registered`, { endpoint });
    const path = lwm2mPathSegments(request.path, client.objectLinks.rootPath);
    const timeoutMs = request.timeoutMs ?? this.settings.responseTimeoutMs;
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_TIMER_MS)) {
      throw new LabCoreRequestError('bad-request', `timeoutMs: ${timeoutMs} is not a number of milliseconds 1..${MAX_TIMER_MS}`, { endpoint });
    }
    const peer: Peer = { address: client.address, port: client.port };
    const message = coapRequest({
      type: 'CON',
      code: request.method,
      messageId: this.exchanges.newMessageId(),
      token: this.exchanges.newToken(peer),
      path,
      query: request.query ?? [],
      contentFormat: request.contentFormat ?? null,
      accept: request.accept ?? null,
      payload: request.payload ?? new Uint8Array(0),
    });
    const reply = await this.exchanges.send(peer, message, timeoutMs, { endpoint, path: request.path });
    const response = responseOf(reply);
    this.emit('response', endpoint, request, response);
    return response;
  }

  /** Read (GET `path`), optionally with an Accept. Errors as {@link request}. */
  read(endpoint: string, path: string, options: LabCoreRequestOptions & { readonly accept?: number } = {}): Promise<LabCoreResponse> {
    return this.request(endpoint, { method: CoapCode.GET, path, accept: options.accept ?? null, timeoutMs: options.timeoutMs });
  }

  /**
   * Write `payload` in `contentFormat` to `path`: PUT (replace), or POST when `options.partial`
   * (partial update, LwM2M 1.1 Transport §6.4). Errors as {@link request}.
   */
  write(
    endpoint: string,
    path: string,
    payload: Uint8Array | string,
    contentFormat: number,
    options: LabCoreRequestOptions & { readonly partial?: boolean } = {},
  ): Promise<LabCoreResponse> {
    const method = options.partial === true ? CoapCode.POST : CoapCode.PUT;
    return this.request(endpoint, { method, path, payload, contentFormat, timeoutMs: options.timeoutMs });
  }

  /**
   * Execute (POST `path`) with optional arguments (`0='U'`, sent as text/plain; LwM2M 1.1 Core
   * §5.4.5 "Execute"). Errors as {@link request}.
   */
  execute(endpoint: string, path: string, args = '', options: LabCoreRequestOptions = {}): Promise<LabCoreResponse> {
    const withArgs = args.length > 0;
    return this.request(endpoint, {
      method: CoapCode.POST, path, payload: args, contentFormat: withArgs ? ContentFormat.TEXT_PLAIN : null, timeoutMs: options.timeoutMs,
    });
  }

  /** Stops serving: fails outstanding requests with `stopped`, drops registrations (no events), closes the socket. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      this.exchanges.close();
      this.table.clear();
      this.cache.clear();
      this.socket.close(() => resolve());
    });
    return this.stopping;
  }

  private sendTo(bytes: Uint8Array, peer: Peer): void {
    if (this.stopping !== null) return;
    this.socket.send(bytes, peer.port, peer.address, () => undefined);
  }

  private reset(messageId: number, peer: Peer): Uint8Array {
    this.counters.resetsSent += 1;
    const bytes = encodeCoap(coapReset(messageId));
    this.sendTo(bytes, peer);
    return bytes;
  }

  private receive(bytes: Buffer, remote: RemoteInfo): void {
    const peer: Peer = { address: remote.address, port: remote.port };
    let message: CoapMessage;
    try {
      message = decodeCoap(bytes); // the decoded parts are copies of their own (coap-message.ts)
    } catch {
      this.counters.malformed += 1;
      const header = peekHeader(bytes);
      if (header?.type === 'CON') this.reset(header.messageId, peer); // RFC 7252 §4.2
      return;
    }
    if (message.type === 'ACK' || message.type === 'RST') {
      this.exchanges.accept(message, peer);
      return;
    }
    const nowMs = Date.now();
    const cached = this.cache.lookup(peerKey(peer), message.messageId);
    if (cached !== undefined) {
      this.counters.duplicates += 1;
      if (cached.value !== null) this.sendTo(cached.value, peer);
      return;
    }
    let reply: Uint8Array | null = null;
    let change: RegistrationChange | null = null;
    if (isResponse(message.code)) {
      // A separate response (RFC 7252 §5.2.2): ACK a CON that matched, reject one that did not.
      const matched = this.exchanges.accept(message, peer);
      if (message.type === 'CON') {
        if (matched) {
          reply = encodeCoap(coapAck(message.messageId));
          this.sendTo(reply, peer);
        } else {
          reply = this.reset(message.messageId, peer);
        }
      }
    } else if (isRequest(message.code)) {
      this.counters.requestsReceived += 1;
      const refusedCode = this.refusedEndpoints.get(registerEndpointOf(message) ?? '');
      if (refusedCode !== undefined) this.counters.registersRefused += 1;
      const outcome = refusedCode === undefined ? handleRegistrationRequest(message, peer, this.table, nowMs) : refusedRegistration(refusedCode);
      const response = coapResponse(message, outcome.code, outcome.diagnostic, {
        messageId: message.type === 'NON' ? this.exchanges.newMessageId() : undefined,
        options: stringOptions(CoapOptionNumber.LOCATION_PATH, outcome.locationPath, 'Location-Path'),
      });
      reply = encodeCoap(response);
      this.sendTo(reply, peer);
      change = outcome.change;
    } else if (message.type === 'CON') {
      reply = this.reset(message.messageId, peer); // CoAP ping (§4.3) or a reserved code class
    }
    this.cache.remember(peerKey(peer), message.messageId, reply);
    if (change !== null) this.announce(change);
  }

  private announce(change: RegistrationChange): void {
    if (change.kind === 'registered') this.emit('registered', change.client, change.replaced);
    else if (change.kind === 'updated') this.emit('updated', change.client, change.previous);
    else this.emit('deregistered', change.client);
  }
}

/** The de-duplication key of a UDP peer (RFC 7252 §4.5: Message ID and source endpoint). */
function peerKey(peer: Peer): string {
  return `${peer.address}|${peer.port}`;
}
