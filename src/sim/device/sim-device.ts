/**
 * A simulated LwM2M client (LwM2M 1.0 / 1.1) with the bindings U, S and their queue modes: it
 * registers, updates before its lifetime ends, de-registers on stop, and answers Read, Write and
 * Execute on /1/0 and /3/0. Tests and the cost benchmark measure it through {@link SimDevice.stats}.
 *
 *   UDP server (the gateway, or a test) ⇄ dgram socket ─┐
 *                                                       ├─ DeviceCoapEndpoint ⇄ DeviceObjects
 *   gateway modem ⇄ SimNetwork ⇄ DeviceSmsLink ─────────┘
 *
 * Which bearer carries what (LwM2M 1.0 Table "Binding Mode"; 1.1 Transport):
 * - Register, Update and De-register go over UDP when the binding has U, else over SMS. That
 *   holds for an Update asked for by Execute /1/0/8 over SMS too (UQS: the server "MAY request
 *   the LwM2M Client to perform 'Update' operation via UDP by sending 'Execute' … via SMS").
 * - A request is answered on the bearer it came in on.
 * - Queue mode: after an exchange the device stays awake `awakeWindowMs`, then drops UDP
 *   datagrams (a sleeping device is unreachable over UDP) but still takes SMS; an SMS wakes it.
 */
import type { Socket } from 'node:dgram';
import { CoapCode, ContentFormat, codeToString, locationPath, uriPath, type CoapMessage } from '../../lwm2m/index.ts';
import { TypedEmitter } from '../../shared/typed-emitter.ts';
import { AwakeWindow } from './awake-window.ts';
import { DeviceCoapEndpoint, type CoapPeer, type ExchangeResult, type HandledRequest, type OutgoingRequest } from './coap-endpoint.ts';
import { DeviceObjects } from './device-objects.ts';
import { registerQuery, resolveSimDeviceSettings, type HostPort, type SimDeviceOptions, type SimDeviceSettings } from './device-settings.ts';
import type { RegistrationInfo, SimDeviceEvents, SimDeviceStats, UpdateReason } from './device-types.ts';
import { DeviceSmsLink } from './sms-link.ts';
import { bindUdpSocket, udpPeer } from './udp-bearer.ts';

/** The counters kept here; the SMS ones come from the SMS link. */
type Counters = { -readonly [K in Exclude<keyof SimDeviceStats, 'smsSent' | 'smsReceived' | 'smsIgnored'>]: number };

const METHODS: Readonly<Record<number, string>> = { 1: 'GET', 2: 'POST', 3: 'PUT', 4: 'DELETE', 5: 'FETCH', 6: 'PATCH', 7: 'iPATCH' };

function describeResult(result: ExchangeResult): string {
  return result.ok ? `answered ${codeToString(result.response.code)}` : `${result.reason}: ${result.detail}`;
}

/**
 * One running simulated device. Contract: `start` resolves once its bearers are up and the
 * Register has been sent (watch `registered` / {@link whenRegistered}); a failed Register is
 * retried every `registerRetryMs`; `stop` sends De-register (unless disabled, waiting at most
 * `deregisterTimeoutMs`), then clears every timer and closes the socket and the SMS link.
 */
export class SimDevice extends TypedEmitter<SimDeviceEvents> {
  readonly #settings: SimDeviceSettings;
  readonly #socket: Socket | null;
  readonly #sms: DeviceSmsLink | null;
  readonly #endpoint: DeviceCoapEndpoint;
  readonly #objects: DeviceObjects;
  readonly #serverPeer: CoapPeer | null;
  readonly #smsPeer: CoapPeer | null;
  readonly #counters: Counters = {
    registrations: 0, registrationFailures: 0, updates: 0, updateFailures: 0, deregistrations: 0, requestsReceived: 0, readsAnswered: 0,
    writes: 0, executes: 0, notFound: 0, duplicates: 0, udpSent: 0, udpReceived: 0, udpDropped: 0,
    retransmissions: 0,
  };
  #registration: RegistrationInfo | null = null;
  /** The lifetime the server last heard (Register or Update `lt`). */
  #lifetimeSentSec: number;
  #registering = false;
  #updating: Promise<boolean> | null = null;
  #timer: NodeJS.Timeout | null = null;
  readonly #awake: AwakeWindow;
  /** Set when stop begins: no new Register or Update. */
  #stopping = false;

  private constructor(settings: SimDeviceSettings, socket: Socket | null, sms: DeviceSmsLink | null) {
    super();
    this.#settings = settings;
    this.#socket = socket;
    this.#sms = sms;
    this.#lifetimeSentSec = settings.lifetimeSec;
    this.#objects = new DeviceObjects({
      info: settings.deviceInfo, shortServerId: settings.shortServerId, lifetimeSec: settings.lifetimeSec, binding: settings.bindingText, now: Date.now,
    });
    this.#endpoint = new DeviceCoapEndpoint((request, peer) => this.#handle(request, peer), settings.coap);
    this.#endpoint.on('retransmission', () => this.#counters.retransmissions++);
    this.#endpoint.on('duplicate', () => this.#counters.duplicates++);
    this.#awake = new AwakeWindow({
      queueMode: settings.queueMode,
      awakeWindowMs: settings.awakeWindowMs,
      busy: () => this.#endpoint.pendingExchanges > 0,
      onChange: (awake) => this.emit(awake ? 'awake' : 'asleep'),
    });
    const udp = settings.udp;
    const onUdpSend = (): void => void this.#counters.udpSent++;
    this.#serverPeer = socket !== null && udp !== null ? udpPeer(socket, udp, onUdpSend) : null;
    this.#smsPeer = sms === null ? null : { bearer: 'sms', key: `sms:${sms.peerMsisdn}`, send: async (bytes) => void (await sms.send(bytes)) };
    socket?.on('message', (message, remote) => {
      if (!this.#awake.awake) {
        this.#counters.udpDropped++;
        return;
      }
      this.#counters.udpReceived++;
      this.#endpoint.receive(new Uint8Array(message), udpPeer(socket, { host: remote.address, port: remote.port }, onUdpSend));
    });
    sms?.on('message', (payload) => {
      if (this.#smsPeer === null) return;
      this.#awake.wake(); // an SMS reaches a sleeping device and wakes it
      this.#endpoint.receive(payload, this.#smsPeer);
    });
    sms?.on('ignored', (from, reason) => this.emit('smsIgnored', from, reason));
  }

  /**
   * Validates `options`, opens the bearers of the binding (UDP socket for U, network attach for
   * S) and sends the Register. Throws `GW_ERR_CONFIG` naming a bad option, `GW_ERR_SIM_UNAVAILABLE`
   * when the network cannot be reached or the UDP address cannot be bound.
   */
  static async start(options: SimDeviceOptions): Promise<SimDevice> {
    const settings = resolveSimDeviceSettings(options);
    let sms: DeviceSmsLink | null = null;
    let socket: Socket | null = null;
    try {
      if (settings.network !== null && settings.gatewayNumber !== null) {
        sms = await DeviceSmsLink.connect({ network: settings.network, msisdn: settings.msisdn, peerMsisdn: settings.gatewayNumber });
      }
      if (settings.udp !== null) socket = await bindUdpSocket(settings.udpBind, settings.udp);
    } catch (error) {
      await sms?.close();
      throw error;
    }
    const device = new SimDevice(settings, socket, sms);
    device.#register();
    return device;
  }

  /** Endpoint Client Name. */
  get endpoint(): string {
    return this.#settings.endpoint;
  }

  /** Own number, digits. */
  get msisdn(): string {
    return this.#settings.msisdn;
  }

  /** The binding as registered (`b`). */
  get binding(): string {
    return this.#settings.bindingText;
  }

  /** The LwM2M version it registers with (`lwm2m`). */
  get lwm2mVersion(): '1.0' | '1.1' {
    return this.#settings.lwm2mVersion;
  }

  /** True in queue mode (1.0 UQ, SQ, UQS; 1.1 the `Q` parameter). */
  get queueMode(): boolean {
    return this.#settings.queueMode;
  }

  /** /1/0/1 Lifetime now, seconds. */
  get lifetimeSec(): number {
    return this.#objects.lifetimeSec;
  }

  /** The current registration, or null before the first 2.01 or after losing it. */
  get registration(): RegistrationInfo | null {
    return this.#registration;
  }

  /** False while a queue-mode device sleeps (UDP datagrams are dropped). */
  get awake(): boolean {
    return this.#awake.awake;
  }

  /** The local UDP address (null without U). */
  get udpAddress(): HostPort | null {
    if (this.#socket === null) return null;
    const address = this.#socket.address();
    return { host: address.address, port: address.port };
  }

  /** A snapshot of the counters. */
  get stats(): SimDeviceStats {
    const sms = this.#sms?.stats;
    return { ...this.#counters, smsSent: sms?.smsSent ?? 0, smsReceived: sms?.smsReceived ?? 0, smsIgnored: sms?.smsIgnored ?? 0 };
  }

  /** Resolves with the current registration, or the next one. */
  whenRegistered(): Promise<RegistrationInfo> {
    if (this.#registration !== null) return Promise.resolve(this.#registration);
    return this.next('registered').then(([info]) => info);
  }

  /**
   * Sends an Update now (POST to the registration's location, with `lt` when the lifetime
   * changed since the server last heard it). Resolves true on 2.04. An Update in flight is
   * shared. Without a registration it starts a Register and resolves false; a 4.xx answer
   * drops the registration and registers anew.
   */
  update(reason: UpdateReason = 'manual'): Promise<boolean> {
    if (this.#stopping) return Promise.resolve(false);
    if (this.#registration === null) {
      this.#register();
      return Promise.resolve(false);
    }
    this.#updating ??= this.#sendUpdate(this.#registration, reason).finally(() => {
      this.#updating = null;
      if (!this.#stopping && this.#registration !== null && this.#objects.lifetimeSec !== this.#lifetimeSentSec) void this.update('lifetime-changed');
    });
    return this.#updating;
  }

  /** De-registers (see the class contract) and releases everything. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#clearTimer();
    const registration = this.#registration;
    if (registration !== null && this.#settings.deregisterOnStop) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.#settings.deregisterTimeoutMs)));
      const result = await Promise.race([this.#exchange({ code: CoapCode.DELETE, path: registration.locationPath }), timeout]);
      clearTimeout(timer);
      if (result?.ok === true && result.response.code === CoapCode.DELETED) {
        this.#registration = null;
        this.#counters.deregistrations++;
        this.emit('deregistered');
      }
    }
    this.#awake.close();
    this.#endpoint.close();
    this.#socket?.close();
    await this.#sms?.close();
  }

  /** Sends a request on the bearer for the device's own requests: UDP when the binding has U, else SMS. */
  async #exchange(request: OutgoingRequest): Promise<ExchangeResult> {
    const peer = this.#serverPeer ?? this.#smsPeer;
    if (peer === null) return { ok: false, reason: 'send-failed', detail: 'no bearer' };
    this.#awake.wake();
    const result = await this.#endpoint.request(peer, request);
    this.#awake.wake();
    return result;
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(delayMs: number, action: () => void): void {
    this.#clearTimer();
    if (!this.#stopping) this.#timer = setTimeout(action, delayMs);
  }

  #scheduleUpdate(): void {
    const delayMs = this.#settings.updateIntervalMs ?? this.#lifetimeSentSec * 1000 * this.#settings.updateAtFraction;
    this.#schedule(delayMs, () => void this.update('lifetime'));
  }

  #register(): void {
    if (this.#stopping || this.#registering) return;
    this.#registering = true;
    this.#clearTimer();
    void this.#sendRegister().finally(() => (this.#registering = false));
  }

  async #sendRegister(): Promise<void> {
    const lifetimeSec = this.#objects.lifetimeSec;
    const result = await this.#exchange({
      code: CoapCode.POST,
      path: ['rd'],
      query: registerQuery(this.#settings, lifetimeSec),
      contentFormat: ContentFormat.LINK_FORMAT,
      payload: this.#settings.objectLinks,
    });
    if (this.#stopping) return;
    if (result.ok && result.response.code === CoapCode.CREATED) {
      let path: string[] = [];
      try {
        path = locationPath(result.response);
      } catch {
        // not UTF-8: handled as a missing Location-Path below
      }
      if (path.length > 0) {
        this.#registration = { locationPath: path, location: `/${path.join('/')}`, bearer: this.#serverPeer === null ? 'sms' : 'udp', lifetimeSec };
        this.#lifetimeSentSec = lifetimeSec;
        this.#counters.registrations++;
        this.#scheduleUpdate();
        this.emit('registered', this.#registration);
        return;
      }
    }
    this.#counters.registrationFailures++;
    this.#schedule(this.#settings.registerRetryMs, () => this.#register());
    this.emit('registrationFailed', result.ok && result.response.code === CoapCode.CREATED ? '2.01 without Location-Path' : describeResult(result));
  }

  async #sendUpdate(registration: RegistrationInfo, reason: UpdateReason): Promise<boolean> {
    this.#clearTimer();
    const lifetimeSec = this.#objects.lifetimeSec;
    const query = lifetimeSec === this.#lifetimeSentSec ? [] : [`lt=${lifetimeSec}`];
    const result = await this.#exchange({ code: CoapCode.POST, path: registration.locationPath, query });
    if (this.#stopping) return false;
    if (result.ok && result.response.code === CoapCode.CHANGED) {
      this.#lifetimeSentSec = lifetimeSec;
      this.#registration = { ...registration, lifetimeSec };
      this.#counters.updates++;
      this.#scheduleUpdate();
      this.emit('updated', this.#serverPeer === null ? 'sms' : 'udp', reason);
      return true;
    }
    this.#counters.updateFailures++;
    if (result.ok && result.response.code >> 5 === 4) {
      // LwM2M Core "Update": 4.04 means the server no longer knows the registration: register again.
      this.#registration = null;
      this.emit('updateFailed', describeResult(result));
      this.#register();
      return false;
    }
    this.#schedule(this.#settings.registerRetryMs, () => void this.update(reason));
    this.emit('updateFailed', describeResult(result));
    return false;
  }

  #handle(request: CoapMessage, peer: CoapPeer): HandledRequest {
    this.#awake.wake();
    this.#counters.requestsReceived++;
    const answer = this.#objects.handle(request);
    const success = answer.code >> 5 === 2;
    if (success && answer.operation === 'read') this.#counters.readsAnswered++;
    if (success && answer.operation === 'write') this.#counters.writes++;
    if (success && answer.operation === 'execute') this.#counters.executes++;
    if (answer.code === CoapCode.NOT_FOUND) this.#counters.notFound++;
    let path = '/';
    try {
      path = `/${uriPath(request).join('/')}`;
    } catch {
      // a path that is not UTF-8 was answered 4.00; report it as "/"
    }
    this.emit('request', { method: METHODS[request.code] ?? codeToString(request.code), path, bearer: peer.bearer, code: codeToString(answer.code) });
    const effect = answer.effect;
    return {
      code: answer.code,
      ...(answer.payload === undefined ? {} : { payload: answer.payload }),
      ...(answer.contentFormat === undefined ? {} : { contentFormat: answer.contentFormat }),
      ...(effect === 'none' ? {} : { afterResponse: () => void this.update(effect === 'update-trigger' ? 'trigger' : 'lifetime-changed') }),
    };
  }
}
