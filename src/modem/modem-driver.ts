/**
 * The modem driver: owns one modem's port and keeps it working for months. Opens the port,
 * initialises, runs a session, watches its health and escalates (re-initialise, reset command,
 * reopen the port), reopens a vanished port with back-off, blocks a modem that keeps failing,
 * and stops for good only when a person must act (wrong PIN, PUK). States and the events that
 * move them: {@link MODEM_TRANSITIONS}. Every step runs on behalf of one start-to-stop run and
 * one connection, each with its AbortController: `stop()` aborts both, so a step that finishes
 * late (an open, an initialisation, a recovery) finds itself cancelled and changes nothing.
 */
import { GatewayError } from '../shared/errors.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import type { AtUrc } from './at-channel.ts';
import { AtClosedError, AtTimeoutError } from './at-errors.ts';
import { DeliveryReportMatcher } from './delivery-reports.ts';
import { ConnectionAbortedError, ModemConnection, ModemRun } from './modem-connection.ts';
import { initialiseModem, type PinGuard } from './modem-init.ts';
import { ModemSession, type SendHints, type SessionCounters } from './modem-session.ts';
import type { ReceiveRouteThresholds } from './receive-route-states.ts';
import { nextModemState, type ModemEvent } from './modem-transitions.ts';
import type { ModemConfig, ModemEvents, ModemState, ModemStatus, PersistReceived, SendRequest, SendResult } from './modem-types.ts';
import { GENERIC_PROFILE, type ModemProfile } from './profile.ts';

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
  /** When the adaptive receive route switches (default RECEIVE_ROUTE_THRESHOLDS; tests make it independent of machine speed). */
  readonly receiveRouteThresholds?: ReceiveRouteThresholds;
}

const TERMINAL_CODES = new Set(['GW_ERR_MODEM_PIN_WRONG', 'GW_ERR_MODEM_PUK_REQUIRED']);
const BANNER_KINDS = new Set(['banner', 'cfun']);

/**
 * One modem. Contract: `start()` returns at once and the driver works in the background until
 * `stop()`; when `stop()` resolves the port is closed, no command is written any more, and the
 * state stays `stopped` until the next `start()`. `send()` rejects with GW_ERR_MODEM_UNAVAILABLE
 * unless the state is `ready` or `degraded`, and otherwise resolves with a {@link SendResult}
 * (never resends an unknown outcome). Received SMS go to `deps.persist` before they are deleted
 * from the modem.
 */
export class ModemDriver extends TypedEmitter<ModemEvents> {
  readonly matcher: DeliveryReportMatcher;
  private currentState: ModemState = 'stopped';
  /** The run from `start()` to `stop()`, with the reopen and block timers. */
  private run: ModemRun | null = null;
  /** The open port and what runs on it; null while opening, disconnected, blocked or stopped. */
  private connection: ModemConnection | null = null;
  /** The open in progress: `stop()` waits for it and closes a port that opened late. */
  private opening: Promise<ModemConnection | null> | null = null;
  /** Ports being closed: `stop()` resolves only after they are. */
  private readonly closings = new Set<Promise<void>>();
  private readonly counters: SessionCounters & { consecutiveErrors: number; resets: number; reopens: number } = {
    sent: 0, sendFailed: 0, sendUnknown: 0, received: 0, deliveryReports: 0, receiveRouteSwitches: 0, consecutiveErrors: 0, resets: 0, reopens: 0,
  };
  private lastError: ModemStatus['lastError'] = null;
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
      receiveRoute: s?.route.route ?? null, receiveRouteState: s?.route.state ?? null,
      counters: { ...this.counters }, lastError: this.lastError,
    };
  }

  /** Starts working in the background (from `stopped`, or from `failed` once a person acted). */
  start(): void {
    if (this.run !== null) return;
    const run = new ModemRun();
    this.run = run;
    if (!this.move('start', run)) {
      this.run = null;
      return;
    }
    void this.connect(run, 0);
  }

  /**
   * Stops: cancels every step and timer, closes the port (also one that is still opening), and
   * resolves once it is closed. Pending sends reject with GW_ERR_AT_CLOSED (an `AT+CMGS` whose
   * PDU was written is reported as an unknown outcome).
   */
  async stop(): Promise<void> {
    const run = this.run;
    this.run = null;
    run?.abort();
    const late = await this.opening;
    if (late) await this.release(late);
    if (this.connection) await this.release(this.connection);
    await Promise.all([...this.closings]);
    if (this.run === null) this.move('stop');
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

  /**
   * Sends all parts of one message on this modem. See the class contract. `hints.moreQueued`
   * (more messages wait behind this one) lets the driver keep the relay link up (`AT+CMMS=1`).
   */
  async send(request: SendRequest, hints: SendHints = {}): Promise<SendResult> {
    const session = this.session;
    if (session === null || (this.currentState !== 'ready' && this.currentState !== 'degraded')) {
      throw new GatewayError('GW_ERR_MODEM_UNAVAILABLE', `${this.config.name} is ${this.currentState}`, { modem: this.config.name });
    }
    return session.send(request, hints);
  }

  /** Runs one sweep of every storage now (also runs every `sweepIntervalMs`). */
  async sweep(): Promise<number> {
    return this.session?.sweep() ?? 0;
  }

  private get session(): ModemSession | null {
    return this.connection?.session ?? null;
  }

  /**
   * Applies `event` when the transition table allows it from the current state and, when `run`
   * is given, that run is still the current one. Returns whether it applied.
   */
  private move(event: ModemEvent, run?: ModemRun): boolean {
    if (run !== undefined && (run.aborted || run !== this.run)) return false;
    const previous = this.currentState;
    const next = nextModemState(previous, event);
    if (next === null) return false;
    if (next !== previous) {
      this.currentState = next;
      this.emit('state', next, previous);
    }
    return true;
  }

  /** True while `connection` is the driver's current, open connection. */
  private live(connection: ModemConnection): boolean {
    return this.run !== null && this.connection === connection && !connection.aborted;
  }

  private noteError(error: GatewayError): void {
    this.lastError = { code: error.code, message: error.message, atMs: Date.now() };
    this.emit('problem', error);
  }

  /** Open, initialise, sweep, then serve. `attempt` drives the reopen back-off. */
  private async connect(run: ModemRun, attempt: number): Promise<void> {
    if (run.aborted) return;
    const opening = ModemConnection.open(this.config.path, this.config.baudRate, run.signal);
    this.opening = opening.catch(() => null);
    let connection: ModemConnection | null;
    try {
      connection = await opening;
    } catch (error) {
      if (run.aborted) return;
      this.noteError(error as GatewayError);
      this.scheduleReopen(run, attempt);
      return;
    }
    if (connection === null) return; // stopped while opening: the port is closed again
    if (run.aborted || run !== this.run) {
      await this.release(connection);
      return;
    }
    this.connection = connection;
    connection.channel.on('closed', () => this.onPortLost(connection));
    connection.channel.on('trace', (direction, line) => this.emit('trace', direction, line));
    connection.watchPresence(this.config.path, this.config.presenceCheckIntervalMs, () => this.onPortLost(connection));
    if (!this.move('port-opened', run)) return;
    if (!(await this.initialise(run, connection))) this.afterFailedInit(run, connection, attempt);
  }

  /** Initialises on `connection` and starts serving; false when it failed (the error was noted). */
  private async initialise(run: ModemRun, connection: ModemConnection): Promise<boolean> {
    try {
      const setup = await initialiseModem(connection.channel, {
        pin: this.config.pin, smsc: this.config.smsc, profileName: this.config.profile, pinGuard: this.deps.pinGuard,
        simWaitMs: this.config.simWaitMs, profiles: this.deps.profiles, preferStored: this.config.receiveRoute === 'stored',
      });
      connection.check();
      this.lastProfile = setup.profile;
      const session = new ModemSession(connection.channel, setup, {
        config: this.config, persist: this.deps.persist, matcher: this.matcher, counters: this.counters,
        emit: (event, ...args) => this.emit(event, ...args),
        onTransportError: (error) => this.onFailure(connection, error),
        receiveRouteThresholds: this.deps.receiveRouteThresholds,
        after: (delayMs, action) => connection.after(delayMs, () => void (connection.session === session && action())), // this session's only
      });
      this.stopUrcs();
      this.stopUrcs = connection.channel.on('urc', (urc) => {
        if (connection.session === session) this.onUrc(connection, session, urc);
      });
      await session.refreshNetwork();
      connection.check();
      connection.session = session;
      await session.refuseLeftover(); // a +CMT a killed host left unacknowledged
      connection.check();
      this.counters.consecutiveErrors = 0;
      this.escalation = 0;
      if (!this.move('initialised', run)) return false;
      this.startTimers(connection, session);
      void session.sweep().catch((error: unknown) => this.onFailure(connection, error as GatewayError));
      return true;
    } catch (error) {
      if (connection.aborted || !this.live(connection)) return false; // stopped or port lost: nothing to note
      const typed = error instanceof GatewayError ? error : new GatewayError('GW_ERR_INTERNAL', String(error));
      this.noteError(typed);
      if (TERMINAL_CODES.has(typed.code)) {
        // A wrong PIN is never retried, a PUK never guessed: a person must act.
        this.run = null;
        run.abort();
        await this.release(connection);
        this.move('sim-locked');
      }
      return false;
    }
  }

  /** After a failed initialisation: count it, then block or escalate after a pause. */
  private afterFailedInit(run: ModemRun, connection: ModemConnection, attempt: number): void {
    if (!this.live(connection) || connection.channel.closed) return; // port loss is handled elsewhere
    this.counters.consecutiveErrors += 1;
    if (this.counters.consecutiveErrors >= this.config.blockAfterErrors) {
      void this.block(run);
      return;
    }
    const delayMs = Math.min(this.config.reopenMinDelayMs * 2 ** attempt, this.config.reopenMaxDelayMs);
    connection.after(delayMs, () => void this.recover(connection, attempt + 1));
  }

  private onUrc(connection: ModemConnection, session: ModemSession, urc: AtUrc): void {
    const serving = this.currentState === 'ready' || this.currentState === 'degraded';
    if (serving && BANNER_KINDS.has(urc.header.kind)) {
      // The modem restarted by itself: its settings (CNMI, CMGF, PIN) are gone, and the command
      // in flight will never be answered (an AT+CMGS whose PDU was written is an unknown outcome).
      this.emit('reboot', urc.line);
      session.channel.abortPending('the modem restarted');
      this.escalation = 0;
      void this.recover(connection, 0);
      return;
    }
    void session.handleUrc(urc);
  }

  private startTimers(connection: ModemConnection, session: ModemSession): void {
    connection.clearTimers();
    connection.every(this.config.watchdogIntervalMs, () => {
      if (connection.session !== session || this.recovering) return;
      session.checkHealth().then(
        () => {
          if (!this.live(connection)) return;
          this.counters.consecutiveErrors = 0;
          this.escalation = 0;
          this.move('healthy', this.run ?? undefined);
        },
        (error: unknown) => this.onFailure(connection, error as GatewayError),
      );
    });
    connection.every(this.config.sweepIntervalMs, () => {
      if (connection.session === session && !this.recovering) void session.sweep().catch((error: unknown) => this.onFailure(connection, error as GatewayError));
    });
  }

  /**
   * A failure while serving. Timeouts and a lost port count towards escalation and blocking
   * (smstools `blockafter`/`blocktime`); other errors (a refused SMS, a failed persistence) are
   * only reported.
   */
  private onFailure(connection: ModemConnection, error: GatewayError): void {
    const run = this.run;
    if (run === null || !this.live(connection)) return;
    this.noteError(error);
    if (!(error instanceof AtTimeoutError) && !(error instanceof AtClosedError)) return;
    this.counters.consecutiveErrors += 1;
    if (this.counters.consecutiveErrors >= this.config.blockAfterErrors) {
      void this.block(run);
      return;
    }
    this.move('fault', run);
    if (this.counters.consecutiveErrors >= this.config.escalateAfterErrors) void this.recover(connection, 0);
  }

  /** Escalation: re-initialise; then the profile's reset commands; then reopen the port. */
  private async recover(connection: ModemConnection, attempt: number): Promise<void> {
    const run = this.run;
    if (this.recovering || run === null || !this.live(connection)) return;
    this.recovering = true;
    connection.clearTimers();
    const step = this.escalation;
    this.escalation = Math.min(step + 1, 2);
    connection.session = null;
    let ready = false;
    try {
      if (step === 2 || connection.channel.closed) {
        this.counters.reopens += 1;
        await this.release(connection);
        this.scheduleReopen(run, attempt);
        return;
      }
      if (!this.move('reset', run)) return;
      connection.channel.abortPending('the driver is resetting the modem');
      if (step === 1) {
        this.counters.resets += 1;
        for (const command of this.lastProfile.resetCommands) {
          connection.check();
          await connection.channel.command(command).catch(() => undefined);
        }
        await connection.pause(this.lastProfile.resetSettleMs);
      }
      if (!this.move('reinitialise', run)) return;
      ready = await this.initialise(run, connection);
    } catch (error) {
      // Cancelled (stop, port lost) ends the recovery quietly; anything else is noted, never thrown.
      if (!(error instanceof ConnectionAbortedError)) this.noteError(error instanceof GatewayError ? error : new GatewayError('GW_ERR_INTERNAL', String(error)));
      return;
    } finally {
      this.recovering = false;
    }
    if (!ready) this.afterFailedInit(run, connection, attempt);
  }

  private async block(run: ModemRun): Promise<void> {
    if (this.connection) await this.release(this.connection);
    if (!this.move('block', run)) return;
    run.after(this.config.blockTimeMs, () => {
      this.counters.consecutiveErrors = 0;
      this.escalation = 0;
      if (this.move('unblock', run)) void this.connect(run, 0);
    });
  }

  /** The device vanished (USB re-enumeration, unplugged, terminal server gone): reopen with back-off. */
  private onPortLost(connection: ModemConnection): void {
    const run = this.run;
    if (run === null || !this.live(connection)) return;
    this.noteError(new GatewayError('GW_ERR_AT_CLOSED', `${this.config.path} went away`, { path: this.config.path }));
    void this.release(connection);
    this.counters.reopens += 1;
    this.scheduleReopen(run, 0);
  }

  private scheduleReopen(run: ModemRun, attempt: number): void {
    if (!this.move('port-lost', run)) return;
    const delayMs = Math.min(this.config.reopenMaxDelayMs, this.config.reopenMinDelayMs * 2 ** attempt);
    run.after(delayMs, () => {
      if (this.move('reopen', run)) void this.connect(run, attempt + 1);
    });
  }

  /** Closes `connection` (cancelling its steps); `stop()` waits for every close in progress. */
  private release(connection: ModemConnection): Promise<void> {
    if (this.connection === connection) this.connection = null;
    const closing = connection.close();
    this.closings.add(closing);
    void closing.finally(() => this.closings.delete(closing));
    return closing;
  }
}
