/**
 * Logs every event of the gateway's parts: the relay (drops with their reason, held requests,
 * bearer choices), the registration mirror (registrations, updates, de-registrations, lost
 * devices), the inbox consumer (unknown senders, errors, recovery) and each modem driver (state
 * changes, problems, reboots, delivery reports, the AT trace). Each handler map below is typed
 * with every event of its emitter, so an event added later without a log line fails to compile.
 * Lines carry `modem` and `device` (the endpoint) where they apply. See docs/logging.md.
 */
import type { CoreSocketPool, CoreSocketPoolEvents } from '../bridge/core-sockets.ts';
import type { InboxRelay, InboxRelayEvents } from '../bridge/inbox-relay.ts';
import type { Relay } from '../bridge/relay.ts';
import type { DropReason, RelayEvents } from '../bridge/relay-types.ts';
import type { DeviceRecord } from '../lwm2m/device-record.ts';
import type { RegistrationMirror, RegistrationMirrorEvents } from '../lwm2m/registration-mirror.ts';
import type { ModemDriver } from '../modem/modem-driver.ts';
import type { ModemEvents, ModemState } from '../modem/modem-types.ts';
import type { WakeupEvents, WakeupService } from '../queue/wakeup-service.ts';
import { GatewayError } from '../shared/errors.ts';
import type { EventMap, TypedEmitter } from '../shared/typed-emitter.ts';
import { redactAtLine, type Logger } from '../log/index.ts';
import { DropLogThrottle } from './drop-log-throttle.ts';

/** The emitters whose events are logged. */
export interface GatewayEventSources {
  readonly relay: Relay;
  readonly mirror: RegistrationMirror;
  readonly inbox: InboxRelay;
  readonly modems: readonly ModemDriver[];
  readonly sockets: CoreSocketPool;
  /** Wake-up jobs (optional: a gateway assembled without them logs nothing for them). */
  readonly wakeups?: WakeupService;
}

/** Options of {@link GatewayLogging}. */
export interface GatewayLoggingOptions {
  /**
   * Drops by a flood limit (`rate-limited`) or the admission policy (`registration-refused`): the
   * first of a source is logged as it happens, the rest as one summary line per source every
   * this many ms ("dropped N … from X"). 0: no timer
   * (summaries only when {@link GatewayLogging.summarizeDrops} is called). @defaultValue 10000
   */
  readonly dropSummaryIntervalMs?: number;
}

/** One listener per event of `Events`. */
type Handlers<Events extends EventMap> = { [E in keyof Events & string]: (...args: Events[E]) => void };

/** Drops that mean the gateway (not a device or the core) has a problem. */
const FAULT_DROPS: ReadonlySet<DropReason> = new Set(['failed', 'store-failed', 'no-socket', 'sms-failed']);
const BAD_STATES: ReadonlySet<ModemState> = new Set(['failed', 'blocked']);
const WARN_STATES: ReadonlySet<ModemState> = new Set(['degraded', 'disconnected', 'resetting']);

/**
 * Subscribes to every event of `sources` and logs it on `logger`. `setAtTrace` switches the AT
 * trace of one modem (or all) on or off at run time; trace lines are redacted
 * ({@link redactAtLine}). `detach` removes every listener.
 */
export class GatewayLogging {
  private readonly offs: (() => void)[] = [];
  private readonly traced = new Set<string>();
  private readonly drops = new DropLogThrottle();
  private readonly dropTimer: NodeJS.Timeout | null;

  constructor(private readonly sources: GatewayEventSources, private readonly logger: Logger, options: GatewayLoggingOptions = {}) {
    const intervalMs = options.dropSummaryIntervalMs ?? 10_000;
    this.dropTimer = intervalMs > 0 ? setInterval(() => this.summarizeDrops(), intervalMs).unref() : null;
    this.subscribe(sources.relay, this.relayHandlers());
    this.subscribe(sources.mirror, this.mirrorHandlers());
    this.subscribe(sources.inbox, this.inboxHandlers());
    this.subscribe(sources.sockets, this.socketHandlers());
    if (sources.wakeups) this.subscribe(sources.wakeups, this.wakeupHandlers());
    for (const driver of sources.modems) this.subscribe(driver, this.modemHandlers(driver.config.name));
  }

  /** Names of the modems whose AT trace is on. */
  get atTraced(): string[] {
    return [...this.traced];
  }

  /** Switches the AT trace of modem `name` (or `all`) on or off. Throws GW_ERR_CONFIG for an unknown modem. */
  setAtTrace(name: string, on: boolean): void {
    const names = this.sources.modems.map((driver) => driver.config.name);
    if (name !== 'all' && !names.includes(name)) throw new GatewayError('GW_ERR_CONFIG', `no modem named "${name}"`, { modem: name });
    for (const modem of name === 'all' ? names : [name]) {
      if (on) this.traced.add(modem);
      else this.traced.delete(modem);
      this.logger.info({ modem, atTrace: on }, `AT trace ${on ? 'on' : 'off'}`);
    }
  }

  /** Removes every listener (and logs the drop summaries still pending). */
  detach(): void {
    for (const off of this.offs.splice(0)) off();
    if (this.dropTimer !== null) clearInterval(this.dropTimer);
    this.summarizeDrops();
  }

  /**
   * Logs one line per source whose flood-limit drops were not logged one by one since the last
   * call: "dropped N SMS from X" / "dropped N UDP datagrams from X". Called by the timer.
   */
  summarizeDrops(): void {
    for (const { kind, source, dropped } of this.drops.summarize()) {
      const from = source === '*' ? 'further sources (too many to list)' : source;
      if (kind === 'register') {
        this.logger.warn({ reason: 'registration-refused', source, dropped, summary: true }, `dropped ${dropped} Registers/Updates from ${from} (refused by the admission policy)`);
      } else {
        this.logger.warn({ reason: 'rate-limited', source, dropped, summary: true }, `dropped ${dropped} ${kind === 'sms' ? 'SMS' : 'UDP datagrams'} from ${from} (flood limit)`);
      }
    }
  }

  private wakeupHandlers(): Handlers<WakeupEvents> {
    return {
      requested: ({ endpoint, jobId, state, source }) => this.logger.child({ device: endpoint }).info({ jobId, state, source }, 'wake-up requested'),
      trigger: ({ endpoint, jobId, trigger, modem, framing, nextCheckMs, kind, messageId }) => this.logger.child({ device: endpoint, modem }).info({ jobId, trigger, kind, framing, messageId, nextCheckMs }, 'wake-up trigger sent'),
      'trigger-failed': ({ endpoint, jobId, detail }) => this.logger.child({ device: endpoint }).warn({ jobId, detail }, 'wake-up trigger not sent'),
      'trigger-report': ({ endpoint, trigger, part, status, statusName }) => this.logger.child({ device: endpoint }).info({ trigger, part, status }, `trigger status report: ${statusName}`),
      'trigger-answered': ({ endpoint, type, code }) => this.logger.child({ device: endpoint }).info({ type, code }, 'device answered its trigger (consumed, not relayed)'),
      'registration-failed': ({ endpoint, why, failures }) => this.logger.child({ device: endpoint }).info({ why, failures }, 'registration failed'),
      'bootstrap-trigger': ({ endpoint, trigger, failures, modem, error }) => {
        const log = this.logger.child({ device: endpoint, modem });
        if (error === undefined) log.warn({ trigger, failures }, 'Bootstrap-Request Trigger sent after repeated registration failures');
        else log.warn({ trigger, failures, detail: error }, 'Bootstrap-Request Trigger not sent');
      },
      'sms-refused': ({ endpoint, reason, group, scope, spent, budget, detail }) => this.logger.child({ device: endpoint }).warn({ reason, group, scope, spent, budget, detail }, `wake-up trigger refused: ${reason}`),
      outcome: (outcome) => {
        const log = this.logger.child({ device: outcome.endpoint });
        if (outcome.result === 'gave-up') log.warn({ ...outcome }, `wake-up gave up: ${outcome.reason}`);
        else log.info({ ...outcome }, outcome.result === 'woke' ? `device woke after ${outcome.triggers} trigger(s)` : `wake-up skipped: ${outcome.reason}`);
      },
      problem: ({ detail }) => this.logger.warn({ detail }, 'wake-up queue problem'),
    };
  }

  private subscribe<Events extends EventMap>(emitter: TypedEmitter<Events>, handlers: Handlers<Events>): void {
    for (const event of Object.keys(handlers) as (keyof Events & string)[]) {
      this.offs.push(emitter.on(event, handlers[event]));
    }
  }

  private device(endpoint: string | null): Logger {
    return endpoint === null ? this.logger : this.logger.child({ device: endpoint });
  }

  private relayHandlers(): Handlers<RelayEvents> {
    return {
      dropped: ({ reason, endpoint, detail, source }) => {
        // A flood: the first drop of a source is logged, the rest summed (summarizeDrops).
        const flood = reason === 'rate-limited' ? 'udp' : reason === 'registration-refused' && source !== undefined ? 'register' : null;
        if (flood !== null && !this.drops.record(flood, source ?? detail)) return;
        const level = FAULT_DROPS.has(reason) ? 'error' : 'warn';
        this.device(endpoint)[level]({ reason, detail }, `dropped: ${reason}`);
      },
      held: ({ endpoint, held }) => this.device(endpoint).info({ held }, 'request held until the device can be reached'),
      // The gateway answered the core itself (5.03 refused, 5.04 expired…): the core's request failed.
      answered: ({ endpoint, code, reason, detail }) => this.device(endpoint).warn({ code, reason, detail }, `answered the core ${code} itself: ${reason}`),
      // An SMS costs money and takes seconds: info; UDP is the usual case: debug.
      bearer: ({ endpoint, bearer, messageId }) => {
        const level = bearer === 'udp' ? 'debug' : 'info';
        if (this.logger.isLevelEnabled(level)) this.device(endpoint)[level]({ bearer, messageId }, `request from the core goes by ${bearer}`);
      },
      'sms-refused': ({ endpoint, reason, group, scope, spent, budget, detail }) => this.device(endpoint).warn({ reason, group, scope, spent, budget, detail }, `SMS refused: ${reason}`),
    };
  }

  private mirrorHandlers(): Handlers<RegistrationMirrorEvents> {
    const fields = (r: DeviceRecord) => ({ bearer: r.lastBearer, binding: r.binding, lifetimeSec: r.lifetimeSec, msisdn: r.msisdn, smsModem: r.smsModem, location: r.location });
    return {
      // Every Register and Update: no child logger, no fields object while info is off.
      registered: (record) => { if (this.logger.isLevelEnabled('info')) this.device(record.endpoint).info(fields(record), 'registered'); },
      updated: (record) => { if (this.logger.isLevelEnabled('info')) this.device(record.endpoint).info(fields(record), 'registration updated'); },
      deregistered: (record) => this.device(record.endpoint).info(fields(record), 'de-registered'),
      lost: (record) => this.device(record.endpoint).warn(fields(record), 'lost: lifetime passed without a message'),
      refused: (record, why) => this.device(record.endpoint).warn({ ...fields(record), why }, why === 'rejected' ? 'the core refused the Register' : 'the core never answered the Register'),
      forgotten: (endpoint) => this.device(endpoint).debug('registration forgotten; its core-facing port is released'),
    };
  }

  private socketHandlers(): Handlers<CoreSocketPoolEvents> {
    const text = (address: { readonly host: string; readonly port: number }): string => `${address.host}:${address.port}`;
    return {
      unbound: ({ endpoint, address, code, errno, detail }) => this.device(endpoint).error({ code, errno, coreSocket: text(address), detail }, 'core-facing socket not bound; retried by housekeeping'),
      rebound: ({ endpoint, address }) => this.device(endpoint).info({ coreSocket: text(address) }, 'core-facing socket bound on its recorded address'),
      moved: ({ endpoint, from, to }) => this.device(endpoint).warn({ from: text(from), to: text(to) }, 'recorded core-facing address is held by another program; the device moved to a new one'),
      fileLimitLow: ({ neededFiles, limit, message }) => this.logger.warn({ neededFiles, soft: limit?.soft ?? null, hard: limit?.hard ?? null }, message ?? 'open-file limit low'),
    };
  }

  private inboxHandlers(): Handlers<InboxRelayEvents> {
    return {
      'unknown-sender': (originator) => this.logger.warn({ reason: 'unknown-sender', originator }, 'dropped: SMS from a number outside the sender policy'),
      'rate-limited': (originator) => {
        // A flood: the first drop of a number is logged, the rest summed (summarizeDrops).
        if (this.drops.record('sms', originator)) this.logger.warn({ reason: 'rate-limited', originator }, 'dropped: SMS of a number over its flood limit (stored and acknowledged, not relayed)');
      },
      error: (error) => this.logger.error({ err: error }, 'inbox consumer: read failed, retrying'),
      'group-recreated': (streamKey) => this.logger.warn({ streamKey }, 'inbox consumer: stream or group was gone, created again'),
    };
  }

  private modemHandlers(modem: string): Handlers<ModemEvents> {
    const log = this.logger.child({ modem });
    // A trace someone switched on shows even when the configured level is warn or error.
    const traceLog = this.logger.level === 'silent' ? log : this.logger.child({ modem }, { level: 'info' });
    return {
      state: (state, previous) => {
        const level = BAD_STATES.has(state) ? 'error' : WARN_STATES.has(state) ? 'warn' : 'info';
        log[level]({ state, previous }, `modem ${previous} → ${state}`);
      },
      // The message may quote the command (an AT+CPIN with its PIN): redacted, and no raw details.
      problem: (error) => log.warn({ code: error.code }, redactAtLine(error.message)),
      reboot: (banner) => log.warn({ banner }, 'modem restarted by itself'),
      'delivery-report': (report) => log.debug({ messageId: report.messageId, part: report.part, status: report.status }, 'delivery report'),
      'unmatched-report': (pduHex) => log.debug({ pduHex }, 'delivery report for no known message'),
      trace: (direction, line) => {
        if (this.traced.has(modem)) traceLog.info({ at: direction }, redactAtLine(line));
      },
    };
  }
}
