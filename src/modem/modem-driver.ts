/**
 * The modem driver: owns one modem's port and keeps it working for months. Opens the port,
 * initialises, runs a session, watches its health and escalates (re-initialise, reset command,
 * reopen the port), reopens a vanished port with back-off, blocks a modem that keeps failing,
 * and stops for good only when a person must act (wrong PIN, PUK). States: see {@link ModemState}.
 */
import { realpath } from 'node:fs/promises';
import { GatewayError } from '../shared/errors.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { AtChannel, type AtUrc } from './at-channel.ts';
import { AtClosedError, AtTimeoutError } from './at-errors.ts';
import { DeliveryReportMatcher } from './delivery-reports.ts';
import { initialiseModem, type PinGuard } from './modem-init.ts';
import { ModemSession, type SessionCounters } from './modem-session.ts';
import type { ModemConfig, ModemEvents, ModemState, ModemStatus, PersistReceived, SendRequest, SendResult } from './modem-types.ts';
import { GENERIC_PROFILE, type ModemProfile } from './profile.ts';
import { openSerialLink, type SerialLink } from './serial-link.ts';

/** Collaborators of a driver. */
export interface ModemDriverDeps {
  /** Known profiles (hardware/profiles); the generic profile is used when none matches. */
  readonly profiles: readonly ModemProfile[];
  /** Persistence of received SMS; deletion from the modem waits for it. */
  readonly persist: PersistReceived;
  /** Shared across a pool so a report is matched whichever modem it arrives on. */
  readonly matcher?: DeliveryReportMatcher;
  /** Remembers a rejected PIN across restarts (the gateway keeps it in Redis). */
  readonly pinGuard?: PinGuard;
}

const TERMINAL_CODES = new Set(['GW_ERR_MODEM_PIN_WRONG', 'GW_ERR_MODEM_PUK_REQUIRED']);
const BANNER_KINDS = new Set(['banner', 'cfun']);

/**
 * One modem. Contract: `start()` returns at once and the driver works in the background until
 * `stop()`; `send()` rejects with GW_ERR_MODEM_UNAVAILABLE unless the state is `ready` or
 * `degraded`, and otherwise resolves with a {@link SendResult} (never resends an unknown outcome).
 * Received SMS go to `deps.persist` before they are deleted from the modem.
 */
export class ModemDriver extends TypedEmitter<ModemEvents> {
  readonly matcher: DeliveryReportMatcher;
  private currentState: ModemState = 'stopped';
  private link: SerialLink | null = null;
  /** The channel on the current link; a channel closing that is not this one is ignored. */
  private channel: AtChannel | null = null;
  private session: ModemSession | null = null;
  private readonly counters: SessionCounters & { consecutiveErrors: number; resets: number; reopens: number } = {
    sent: 0, sendFailed: 0, sendUnknown: 0, received: 0, deliveryReports: 0, consecutiveErrors: 0, resets: 0, reopens: 0,
  };
  private lastError: ModemStatus['lastError'] = null;
  private timers: NodeJS.Timeout[] = [];
  private running = false;
  private recovering = false;
  /** Escalation step for the next recovery: 0 re-initialise, 1 reset command, 2 reopen the port. */
  private escalation = 0;
  /** Profile of the last successful initialisation (its reset commands are used before the next). */
  private lastProfile: ModemProfile = GENERIC_PROFILE;
  /** Removes the URC listener of the current session (a re-initialised channel gets a new one). */
  private stopUrcs: () => void = () => undefined;

  constructor(readonly config: ModemConfig, private readonly deps: ModemDriverDeps) {
    super();
    this.matcher = deps.matcher ?? new DeliveryReportMatcher();
  }

  /** The current state. */
  get state(): ModemState {
    return this.currentState;
  }

  /** A snapshot for the admin API and metrics. */
  get status(): ModemStatus {
    const s = this.session;
    return {
      name: this.config.name, path: this.config.path, state: this.currentState,
      identity: s?.setup.identity ?? null, profile: s?.setup.profile.name ?? null,
      registered: s?.network.registered ?? false, registration: s?.network.registration ?? null,
      operator: s?.network.operator ?? null, signalDbm: s?.network.signalDbm ?? null,
      storage: s ? { name: s.setup.storage, used: s.network.storageUsed, total: s.network.storageTotal } : null,
      counters: { ...this.counters }, lastError: this.lastError,
    };
  }

  /** Starts working in the background. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.connect(0);
  }

  /** Stops: cancels timers, closes the port. Pending sends reject with GW_ERR_AT_CLOSED. */
  async stop(): Promise<void> {
    this.running = false;
    this.clearTimers();
    await this.dropConnection();
    this.setState('stopped');
  }

  /** Resolves when the driver reaches `state` (or rejects after `timeoutMs`). */
  async waitFor(state: ModemState, timeoutMs = 30_000): Promise<void> {
    if (this.currentState === state) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${this.config.name}: not ${state} within ${timeoutMs} ms (is ${this.currentState})`));
      }, timeoutMs);
      const off = this.on('state', (now) => {
        if (now !== state) return;
        clearTimeout(timer);
        off();
        resolve();
      });
    });
  }

  /** Sends all parts of one message on this modem. See the class contract. */
  async send(request: SendRequest): Promise<SendResult> {
    const session = this.session;
    if (session === null || (this.currentState !== 'ready' && this.currentState !== 'degraded')) {
      throw new GatewayError('GW_ERR_MODEM_UNAVAILABLE', `${this.config.name} is ${this.currentState}`, { modem: this.config.name });
    }
    return session.send(request);
  }

  /** Runs one sweep of every storage now (also runs every `sweepIntervalMs`). */
  async sweep(): Promise<number> {
    return this.session?.sweep() ?? 0;
  }

  private setState(next: ModemState): void {
    const previous = this.currentState;
    if (previous === next) return;
    this.currentState = next;
    this.emit('state', next, previous);
  }

  private noteError(error: GatewayError): void {
    this.lastError = { code: error.code, message: error.message, atMs: Date.now() };
    this.emit('problem', error);
  }

  /** Open, initialise, sweep, then serve. `attempt` drives the reopen back-off. */
  private async connect(attempt: number): Promise<void> {
    if (!this.running) return;
    this.setState('opening');
    try {
      this.link = await openSerialLink(this.config.path, { baudRate: this.config.baudRate });
    } catch (error) {
      this.noteError(error as GatewayError);
      this.scheduleReopen(attempt);
      return;
    }
    const channel = new AtChannel(this.link.stream, {});
    this.channel = channel;
    channel.on('closed', () => this.onPortLost(channel));
    channel.on('trace', (direction, line) => this.emit('trace', direction, line));
    this.watchPresence(channel);
    if (!(await this.initialise(channel))) this.afterFailedInit(channel, attempt);
  }

  /** Initialises on `channel` and starts serving; false when it failed (the error was noted). */
  private async initialise(channel: AtChannel): Promise<boolean> {
    this.setState('initialising');
    try {
      const setup = await initialiseModem(channel, {
        pin: this.config.pin, smsc: this.config.smsc, profileName: this.config.profile, pinGuard: this.deps.pinGuard,
        simWaitMs: this.config.simWaitMs, profiles: this.deps.profiles,
      });
      if (!this.running || channel.closed) return false;
      this.lastProfile = setup.profile;
      const session = new ModemSession(channel, setup, {
        config: this.config, persist: this.deps.persist, matcher: this.matcher, counters: this.counters,
        emit: (event, ...args) => this.emit(event, ...args),
        onTransportError: (error) => this.onFailure(error),
      });
      this.stopUrcs();
      this.stopUrcs = channel.on('urc', (urc) => {
        if (this.session === session) this.onUrc(session, urc);
      });
      await session.refreshNetwork();
      this.session = session;
      this.counters.consecutiveErrors = 0;
      this.escalation = 0;
      this.setState('ready');
      this.startTimers(session);
      void session.sweep().catch((error: unknown) => this.onFailure(error as GatewayError));
      return true;
    } catch (error) {
      const typed = error instanceof GatewayError ? error : new GatewayError('GW_ERR_INTERNAL', String(error));
      this.noteError(typed);
      if (TERMINAL_CODES.has(typed.code)) {
        // A wrong PIN is never retried, a PUK never guessed: a person must act.
        this.running = false;
        this.clearTimers();
        await this.dropConnection();
        this.setState('failed');
      }
      return false;
    }
  }

  /** After a failed initialisation: count it, then block or escalate after a pause. */
  private afterFailedInit(channel: AtChannel, attempt: number): void {
    if (!this.running || channel.closed || this.channel !== channel) return; // port loss is handled elsewhere
    this.counters.consecutiveErrors += 1;
    if (this.counters.consecutiveErrors >= this.config.blockAfterErrors) {
      void this.block();
      return;
    }
    this.timers.push(setTimeout(() => void this.recover(attempt + 1), Math.min(this.config.reopenMinDelayMs * 2 ** attempt, this.config.reopenMaxDelayMs)));
  }

  private onUrc(session: ModemSession, urc: AtUrc): void {
    const serving = this.currentState === 'ready' || this.currentState === 'degraded';
    if (serving && BANNER_KINDS.has(urc.header.kind)) {
      // The modem restarted by itself: its settings (CNMI, CMGF, PIN) are gone, and the command
      // in flight will never be answered (an AT+CMGS whose PDU was written is an unknown outcome).
      this.emit('reboot', urc.line);
      session.channel.abortPending('the modem restarted');
      this.escalation = 0;
      void this.recover(0);
      return;
    }
    void session.handleUrc(urc);
  }

  private startTimers(session: ModemSession): void {
    this.clearTimers();
    this.timers.push(setInterval(() => {
      if (this.session !== session || this.recovering) return;
      session.checkHealth().then(
        () => {
          this.counters.consecutiveErrors = 0;
          this.escalation = 0;
          if (this.currentState === 'degraded') this.setState('ready');
        },
        (error: unknown) => this.onFailure(error as GatewayError),
      );
    }, this.config.watchdogIntervalMs));
    this.timers.push(setInterval(() => {
      if (this.session === session && !this.recovering) void session.sweep().catch((error: unknown) => this.onFailure(error as GatewayError));
    }, this.config.sweepIntervalMs));
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /**
   * A failure while serving. Timeouts and a lost port count towards escalation and blocking
   * (smstools `blockafter`/`blocktime`); other errors (a refused SMS, a failed persistence) are
   * only reported.
   */
  private onFailure(error: GatewayError): void {
    if (!this.running) return;
    this.noteError(error);
    if (!(error instanceof AtTimeoutError) && !(error instanceof AtClosedError)) return;
    this.counters.consecutiveErrors += 1;
    if (this.counters.consecutiveErrors >= this.config.blockAfterErrors) {
      void this.block();
      return;
    }
    if (this.currentState === 'ready') this.setState('degraded');
    if (this.counters.consecutiveErrors >= this.config.escalateAfterErrors) void this.recover(0);
  }

  /** Escalation: re-initialise; then the profile's reset commands; then reopen the port. */
  private async recover(attempt: number): Promise<void> {
    if (this.recovering || !this.running) return;
    this.recovering = true;
    this.clearTimers();
    const step = this.escalation;
    this.escalation = Math.min(step + 1, 2);
    const channel = this.channel;
    this.session = null;
    let ready = false;
    try {
      if (step === 2 || channel === null || channel.closed) {
        this.counters.reopens += 1;
        await this.dropConnection();
        this.scheduleReopen(attempt);
        return;
      }
      this.setState('resetting');
      channel.abortPending('the driver is resetting the modem');
      if (step === 1) {
        this.counters.resets += 1;
        for (const command of this.lastProfile.resetCommands) await channel.command(command).catch(() => undefined);
        await new Promise((r) => setTimeout(r, this.lastProfile.resetSettleMs));
      }
      ready = await this.initialise(channel);
    } finally {
      this.recovering = false;
    }
    if (!ready && channel !== null) this.afterFailedInit(channel, attempt);
  }

  private async block(): Promise<void> {
    this.clearTimers();
    await this.dropConnection();
    this.setState('blocked');
    this.timers.push(setTimeout(() => {
      this.counters.consecutiveErrors = 0;
      this.escalation = 0;
      void this.connect(0);
    }, this.config.blockTimeMs));
  }

  /**
   * Watches the device path while the port is open. A vanished or re-pointed path (USB
   * re-enumeration: `/dev/serial/by-id/...` now names another tty, or none) means the open file
   * is dead, even when the serial library reports nothing: a hung-up tty gives neither an error
   * nor a close until the next write (seen with node-serialport on ptys and USB-serial).
   */
  private watchPresence(channel: AtChannel): void {
    if (this.config.path.startsWith('tcp://')) return;
    const path = this.config.path;
    let opened: string | null = null;
    void realpath(path).then((target) => (opened = target), () => undefined);
    const timer = setInterval(() => {
      if (this.channel !== channel) {
        clearInterval(timer);
        return;
      }
      realpath(path).then(
        (target) => {
          if (opened !== null && target !== opened) this.onPortLost(channel);
        },
        () => this.onPortLost(channel),
      );
    }, this.config.presenceCheckIntervalMs);
    timer.unref();
  }

  /** The device vanished (USB re-enumeration, unplugged, terminal server gone): reopen with back-off. */
  private onPortLost(channel: AtChannel): void {
    if (!this.running || this.channel !== channel) return;
    this.noteError(new GatewayError('GW_ERR_AT_CLOSED', `${this.config.path} went away`, { path: this.config.path }));
    channel.close();
    this.clearTimers();
    this.channel = null;
    this.session = null;
    const link = this.link;
    this.link = null;
    void link?.close();
    this.counters.reopens += 1;
    this.scheduleReopen(0);
  }

  private scheduleReopen(attempt: number): void {
    if (!this.running) return;
    this.setState('disconnected');
    const delayMs = Math.min(this.config.reopenMaxDelayMs, this.config.reopenMinDelayMs * 2 ** attempt);
    this.timers.push(setTimeout(() => void this.connect(attempt + 1), delayMs));
  }

  private async dropConnection(): Promise<void> {
    const channel = this.channel;
    this.channel = null;
    this.session = null;
    channel?.close();
    const link = this.link;
    this.link = null;
    await link?.close();
  }
}
