/**
 * A simulated GSM/LTE modem on a real pseudo-terminal: the {@link AtEngine} speaking AT on a
 * {@link PtyLink}, sending and receiving SMS through the simulated network
 * ({@link SimNetworkClient}), with fault injection for tests.
 *
 *   host ⇄ pty (socat) ⇄ PtyLink ⇄ AtEngine ⇄ SimNetworkClient ⇄ SimNetwork (TCP, JSON lines)
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../shared/errors.ts';
import { TypedEmitter } from '../../shared/typed-emitter.ts';
import { SimNetworkClient } from '../network/network-client.ts';
import { AtEngine } from './at-engine.ts';
import type { AtEngineStats, AtEngineStatus, StoredMessageView } from './engine-status.ts';
import type { AtEngineOptions, RegistrationOutcome } from './modem-state.ts';
import type { SmsMemory } from './profiles.ts';
import { PtyLink } from './pty-link.ts';
import { systemScheduler } from './scheduler.ts';

/** Faults active from the start (each also has a method). */
export interface SimModemFaults {
  /** See {@link SimModem.setResponseDelayMs}. @defaultValue 0 */
  readonly responseDelayMs?: number;
  /** See {@link SimModem.dropNextResponses}. @defaultValue 0 */
  readonly dropResponses?: number;
  /** See {@link SimModem.hang}. @defaultValue false */
  readonly hung?: boolean;
  /** Storages filled at start, see {@link SimModem.setStorageFull}. @defaultValue [] */
  readonly storageFull?: readonly SmsMemory[];
}

/** Options of {@link SimModem.start}; the engine options (profile, PIN, timings, …) are included. */
export interface SimModemOptions extends Omit<AtEngineOptions, 'msisdn'> {
  /** The modem's own number, `+49…` or digits: attach identity on the network and `AT+CNUM`. */
  readonly msisdn: string;
  /** Where the pty's slave is symlinked (the host opens this path). */
  readonly linkPath: string;
  /** The simulated network to attach to; null runs standalone (sends fail with `+CMS ERROR: 331`). */
  readonly network: { readonly host: string; readonly port: number } | null;
  /** Print the profile's boot banner right after start, as if just powered on. @defaultValue false */
  readonly bannerOnStart?: boolean;
  readonly faults?: SimModemFaults;
  /** The socat executable. @defaultValue 'socat' */
  readonly socatPath?: string;
}

/** Counters of one simulated modem. */
export interface SimModemStats extends AtEngineStats {
  /** Bytes the host wrote. */
  readonly bytesIn: number;
  /** Bytes written to the host (dropped ones while unplugged included). */
  readonly bytesOut: number;
}

/** The outcome of an {@link SimModem.injectIncoming} as the modem acknowledged it. */
export interface InjectedAck {
  readonly ok: boolean;
  /** RP cause when refused (22 = memory capacity exceeded). */
  readonly cause?: number;
}

/** Events of {@link SimModem}. */
export type SimModemEvents = {
  /** The network connection ended; sends now fail with `+CMS ERROR: 331`. */
  networkLost: [];
  /** socat died without unplug/stop. */
  ptyLost: [];
};

/** Kinds of garbage {@link SimModem.injectGarbage} writes. */
export type GarbageKind = 'random' | 'nul' | 'long-line';

/**
 * One running simulated modem. Contract: `start` resolves when the host can open `linkPath` (and
 * the network attach is confirmed); `stop` ends the socat process, removes the link, refuses
 * unacknowledged messages to the network and closes the network connection. Fault methods act
 * at once; none throws while the modem runs.
 */
export class SimModem extends TypedEmitter<SimModemEvents> {
  /** The number the modem attached with. */
  readonly msisdn: string;
  /** The path the host opens (a symlink to the pty's slave while plugged). */
  readonly linkPath: string;
  readonly #engine: AtEngine;
  readonly #link: PtyLink;
  #client: SimNetworkClient | null;
  #bytesIn = 0;
  #bytesOut = 0;
  #stopped = false;

  private constructor(options: SimModemOptions, engine: AtEngine, link: PtyLink, client: SimNetworkClient | null) {
    super();
    this.msisdn = options.msisdn;
    this.linkPath = options.linkPath;
    this.#engine = engine;
    this.#link = link;
    this.#client = client;
  }

  /**
   * Starts socat, the engine and the network connection.
   * @throws GatewayError GW_ERR_SIM_UNAVAILABLE when socat or the network is unavailable;
   * RangeError for invalid options.
   */
  static async start(options: SimModemOptions): Promise<SimModem> {
    let sink: ((chunk: string) => void) | null = null;
    const engine = new AtEngine({ ...options, msisdn: options.msisdn }, { output: (chunk) => sink?.(chunk), scheduler: systemScheduler() });
    let client: SimNetworkClient | null = null;
    if (options.network !== null) {
      try {
        client = await SimNetworkClient.connect({ host: options.network.host, port: options.network.port, msisdn: options.msisdn });
      } catch (error) {
        engine.dispose();
        throw error;
      }
    }
    let link: PtyLink;
    try {
      link = await PtyLink.open(options.linkPath, options.socatPath === undefined ? {} : { socatPath: options.socatPath });
    } catch (error) {
      engine.dispose();
      await client?.close();
      throw error;
    }
    const modem = new SimModem(options, engine, link, client);
    sink = (chunk) => modem.#write(chunk);
    modem.#wire(options);
    return modem;
  }

  #wire(options: SimModemOptions): void {
    this.#link.on('data', (chunk) => {
      this.#bytesIn += chunk.length;
      this.#engine.handleInput(chunk);
    });
    this.#link.on('lost', () => this.emit('ptyLost'));
    const client = this.#client;
    if (client !== null) {
      this.#engine.setNetwork(client);
      client.on('deliver', (delivery) => {
        this.#engine.deliver({ kind: delivery.kind, pduHex: delivery.pduHex, ack: (ok, cause) => client.ack(delivery.deliveryId, ok, cause) });
      });
      client.on('closed', () => {
        this.#engine.setNetwork(null);
        if (!this.#stopped) this.emit('networkLost');
      });
    }
    const faults = options.faults ?? {};
    if (faults.responseDelayMs !== undefined) this.setResponseDelayMs(faults.responseDelayMs);
    if (faults.dropResponses !== undefined) this.dropNextResponses(faults.dropResponses);
    if (faults.hung === true) this.hang();
    for (const memory of faults.storageFull ?? []) this.setStorageFull(memory);
    if (options.bannerOnStart === true) this.#engine.reboot();
  }

  #write(chunk: string): void {
    const bytes = Buffer.from(chunk, 'latin1');
    this.#bytesOut += bytes.length;
    this.#link.write(bytes);
  }

  /** Counters since start. */
  get stats(): SimModemStats {
    return { ...this.#engine.stats, bytesIn: this.#bytesIn, bytesOut: this.#bytesOut };
  }

  /** What the modem's state is now (SIM, registration, CNMI, storage use, …). */
  get status(): AtEngineStatus {
    return this.#engine.status;
  }

  /** True while the pty exists. */
  get plugged(): boolean {
    return this.#link.plugged;
  }

  /** The messages in one storage, in index order. */
  messages(memory: SmsMemory): StoredMessageView[] {
    return this.#engine.messages(memory);
  }

  /**
   * Delivers an SMS (`deliver`) or status report directly, as if from the network, without one.
   * @param pduHex - full PDU with SMSC field, as `+CMT` prints it.
   * @returns the modem's acknowledgement (after `AT+CNMA` when routed with `AT+CSMS=1`).
   */
  injectIncoming(pduHex: string, kind: 'deliver' | 'status-report' = 'deliver'): Promise<InjectedAck> {
    return new Promise((resolve) => {
      this.#engine.deliver({ kind, pduHex, ack: (ok, cause) => resolve(cause === undefined ? { ok } : { ok, cause }) });
    });
  }

  /** Writes a URC now (between lines). */
  emitUrc(text: string): void {
    this.#engine.emitUrc(text);
  }

  // --- Faults -------------------------------------------------------------------------------

  /** Delays every byte to the host by `delayMs` from now on (0 = none). */
  setResponseDelayMs(delayMs: number): void {
    this.#engine.setResponseDelayMs(delayMs);
  }

  /** The next `count` command lines get no answer (echo stays). */
  dropNextResponses(count: number): void {
    this.#engine.dropNextResponses(count);
  }

  /**
   * Writes garbage to the host now: `random` bytes, `nul` bytes, or a `long-line` of 10,000
   * printable bytes ended by CRLF. `length` applies to the first two. @defaultValue 64
   */
  injectGarbage(kind: GarbageKind, length = 64): void {
    let bytes: Buffer;
    if (kind === 'random') bytes = randomBytes(length);
    else if (kind === 'nul') bytes = Buffer.alloc(length);
    else bytes = Buffer.concat([Buffer.alloc(10_000, 'X'), Buffer.from('\r\n')]);
    this.#engine.writeRaw(bytes.toString('latin1'));
  }

  /** Reboots now: deaf for `rebootDelayMs`, then the banner; SIM asks for its PIN again. */
  reboot(): void {
    this.#engine.reboot();
  }

  /** Stops answering anything until {@link SimModem.unhang}. */
  hang(): void {
    this.#engine.setHung(true);
  }

  /** Ends {@link SimModem.hang}. */
  unhang(): void {
    this.#engine.setHung(false);
  }

  /** Removes the pty: the host's port fails and the path disappears. State is kept. */
  async unplug(): Promise<void> {
    await this.#link.unplug();
    this.#engine.resetInput();
  }

  /** A new pty at the same path, same modem state. */
  async replug(): Promise<void> {
    if (this.#stopped) throw new GatewayError('GW_ERR_INTERNAL', 'replug after stop', { linkPath: this.linkPath });
    await this.#link.replug();
  }

  /** Fills `memory` with old read messages (deletable by the host). @returns messages added. */
  setStorageFull(memory: SmsMemory): number {
    return this.#engine.fillStorage(memory);
  }

  /** Writes `urc` between the next `AT+CMGS=<n>` echo and its `> ` prompt. */
  injectUrcBeforeNextPrompt(urc = '+CREG: 1'): void {
    this.#engine.injectUrcBeforeNextPrompt(urc);
  }

  /**
   * The next command line whose body (after `AT`) starts with `prefix`, e.g. `+CNMI=2,1`, is
   * answered `ERROR` without running.
   */
  refuseNext(prefix: string): void {
    this.#engine.refuseNext(prefix);
  }

  /** Writes `urc` just before the final result code of the next command line. */
  injectUrcBeforeNextFinal(urc: string): void {
    this.#engine.injectUrcBeforeNextFinal(urc);
  }

  /**
   * The next `AT+CMGS`/`AT+CMSS` is submitted to the network at once, but its `+CMGS: <mr>` and
   * `OK` are written only when the returned function is called; URCs (a status report) go out
   * meanwhile. For testing hosts against URCs that overtake a send's result.
   */
  holdNextSendResult(): () => void {
    return this.#engine.holdNextPendingResult();
  }

  /** `+CSQ` `<rssi>` from now on. */
  setSignal(rssi: number): void {
    this.#engine.setSignal(rssi);
  }

  /** What the network grants from now on (URCs per `+CREG=<n>`). */
  setRegistration(outcome: RegistrationOutcome): void {
    this.#engine.setRegistration(outcome);
  }

  /** Stops the modem for good. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#engine.dispose();
    const client = this.#client;
    this.#client = null;
    await Promise.all([this.#link.close(), client?.close()]);
  }
}
