/**
 * The work done on one initialised modem connection: receiving (URCs, reads, sweeps, with
 * persistence before deletion), sending (`AT+CMGS` per part, unknown outcomes reported as
 * such), status-report matching, and health checks. The driver creates a session after each
 * successful initialisation and drops it when the port goes away.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../shared/errors.ts';
import { decodePdu, timestampToIso, type SmsPdu } from '../sms/index.ts';
import { parseCsq, parseInformationLine, parseRegistrationState, type RegistrationState } from './at/line-parser.ts';
import type { AtChannel, AtUrc } from './at-channel.ts';
import { AtClosedError, AtCommandError, AtTimeoutError } from './at-errors.ts';
import type { ModemSetup } from './modem-init.ts';
import type { ReceivedPdu, SendRequest, SendResult, SentPartResult } from './modem-types.ts';
import type { NetworkView, SendHints, SessionContext } from './session-types.ts';
import { receiveRouteOfSession, type ReceiveRoute } from './receive-route.ts';
import type { BatchedStoredReader } from './stored-batch.ts';
import { MessageStore, isReceived, type StoredPdu } from './stored-messages.ts';

export type { NetworkView, SendHints, SessionContext, SessionCounters } from './session-types.ts';

/**
 * TS 27.005 §3.5.6: with `AT+CMMS=1` the ME keeps the relay link until 1 to 5 s (its choice)
 * passed after the last send's result, then falls back to 0 by itself. The driver assumes the
 * shortest hold and sends `AT+CMMS=1` again after a longer pause.
 */
const CMMS_SHORTEST_HOLD_MS = 1000;

function safeDecode(pduHex: string): SmsPdu | null {
  try {
    return decodePdu(pduHex);
  } catch {
    return null;
  }
}

/** One initialised connection. Not reusable after the channel closed. */
export class ModemSession {
  readonly store: MessageStore;
  readonly network: NetworkView;
  /** The home storage's reader with `storedRead: batch` on the stored or adaptive route; null otherwise. */
  readonly batch: BatchedStoredReader | null;
  /** The receive route and its switches (receive-route.ts). */
  readonly route: ReceiveRoute;
  private readonly busy = new Set<string>();
  private readonly registrations = new Map<string, RegistrationState>();
  /** `AT+CMGS` transactions whose `+CMGS: <mr>` has not been recorded in the matcher yet. */
  private sendsInFlight = 0;
  /** Status reports that found no sent part while a send was in flight (see {@link matchReport}). */
  private earlyReports: { pdu: Extract<SmsPdu, { type: 'status-report' }>; pduHex: string }[] = [];
  /** Until when the modem keeps the relay link after `AT+CMMS=1` (0: not held). */
  private linkHeldUntilMs = 0;
  /** The modem refused `AT+CMMS=1` once on this connection: not sent again. */
  private cmmsRefused = false;

  constructor(readonly channel: AtChannel, readonly setup: ModemSetup, private readonly context: SessionContext) {
    this.store = new MessageStore(channel, setup.storage);
    this.network = { registered: false, registration: null, operator: null, signalDbm: null, storageUsed: setup.storageUsed, storageTotal: setup.storageTotal };
    const { batch, route } = receiveRouteOfSession({
      adaptive: context.config.receiveRoute === 'auto', batchRead: context.config.storedRead === 'batch', setup, thresholds: context.receiveRouteThresholds,
      reader: { store: this.store, storage: setup.storage, take: (stored, via) => this.take(stored, via), report: (error) => this.report(error) },
      route: { channel, modem: context.config.name, after: context.after, report: (error) => this.report(error), switched: () => void (context.counters.receiveRouteSwitches += 1) },
    });
    this.batch = batch;
    this.route = route;
  }

  /** Handles one URC; never rejects (problems become `problem` events). */
  async handleUrc(urc: AtUrc): Promise<void> {
    try {
      const header = urc.header;
      switch (header.kind) {
        case 'cmti':
        case 'cdsi': {
          const home = header.mem.toUpperCase() === this.setup.storage;
          if (home) this.route.storedArrived();
          if (this.batch !== null && home) this.batch.indicate();
          else await this.processStored(header.mem.toUpperCase(), header.index);
          return;
        }
        case 'cmt':
          if (urc.pdu !== null) await this.processRouted(urc.pdu, 'cmt');
          return;
        case 'cds':
          if (urc.pdu !== null) await this.processRouted(urc.pdu, 'cds');
          return;
        case 'registration':
          this.noteRegistration(header.registration);
          return;
        case 'rssi':
          this.network.signalDbm = header.dbm;
          return;
        default:
          return;
      }
    } catch (error) {
      this.report(error);
    }
  }

  /** Reads every storage with `AT+CMGL=4` and processes what it finds (lost indications). */
  async sweep(): Promise<number> {
    let found = 0;
    for (const storage of this.setup.readableStorages) {
      if (this.batch !== null && storage === this.setup.storage) {
        found += await this.batch.sweep();
        continue;
      }
      let stored: StoredPdu[];
      try {
        stored = await this.store.list(storage);
      } catch (error) {
        if (error instanceof AtCommandError) continue; // a storage that cannot be listed now
        throw error;
      }
      for (const message of stored.filter(isReceived)) {
        found += 1;
        await this.handleStored(message, 'sweep');
      }
    }
    return found;
  }

  /** `AT`, `AT+CSQ`, registration and storage: throws on a dead modem (timeouts). */
  async checkHealth(): Promise<void> {
    await this.channel.command('AT', { timeoutMs: 5000 });
    await this.refreshNetwork();
  }

  /** Polls signal, registration, operator and storage use. */
  async refreshNetwork(): Promise<void> {
    const csq = parseCsq((await this.channel.command('AT+CSQ')).lines[0] ?? '');
    if (csq) this.network.signalDbm = csq.dbm;
    for (const command of ['AT+CREG?', 'AT+CEREG?']) {
      try {
        const { lines } = await this.channel.command(command);
        const state = parseRegistrationState(lines[0] ?? '', 'response');
        if (state) this.noteRegistration(state);
      } catch (error) {
        if (!(error instanceof AtCommandError)) throw error; // +CEREG is missing on 2G modems
      }
    }
    try {
      const fields = parseInformationLine((await this.channel.command('AT+COPS?')).lines[0] ?? '', '+COPS');
      this.network.operator = fields?.[2] ?? null;
    } catch (error) {
      if (!(error instanceof AtCommandError)) throw error;
    }
    const usage = await this.store.usage().catch(() => null);
    if (usage) {
      this.network.storageUsed = usage.used;
      this.network.storageTotal = usage.total;
    }
  }

  /**
   * Sends every part in order. Waits up to `registrationWaitMs` for network registration first.
   * Never throws for a send problem: the result says which parts left and how the first
   * failure ended (`unknown` when the PDU was written but no answer came: never resent here).
   */
  async send(request: SendRequest, hints: SendHints = {}): Promise<SendResult> {
    const sent: SentPartResult[] = [];
    const fail = (part: number, outcome: 'failed' | 'unknown', error: GatewayError): SendResult => {
      if (outcome === 'unknown') this.context.counters.sendUnknown += 1;
      else this.context.counters.sendFailed += 1;
      return { messageId: request.messageId, modem: this.context.config.name, sent, failure: { part, outcome, error } };
    };
    let registered: boolean;
    try {
      registered = await this.waitRegistered();
    } catch (error) {
      // The port died or the modem stopped answering while we waited: nothing left, say so.
      if (error instanceof AtTimeoutError || error instanceof AtClosedError) this.context.onTransportError(error);
      const typed = error instanceof GatewayError ? error : new GatewayError('GW_ERR_INTERNAL', String(error));
      return fail(1, 'failed', new GatewayError('GW_ERR_MODEM_SEND_FAILED', `before part 1: ${typed.message}`, { part: 1, cause: typed.code }));
    }
    if (!registered) {
      return fail(1, 'failed', new GatewayError('GW_ERR_MODEM_NOT_REGISTERED', `not registered after ${this.context.config.registrationWaitMs} ms`));
    }
    for (const [i, part] of request.parts.entries()) {
      this.sendsInFlight += 1;
      try {
        if (i < request.parts.length - 1 || hints.moreQueued === true) await this.keepRelayLink();
        const mr = await this.channel.sendPdu(part.tpduLength, part.hex, {
          promptTimeoutMs: this.setup.profile.promptTimeoutMs,
          sendTimeoutMs: this.setup.profile.sendTimeoutMs,
        });
        const result = { part: i + 1, messageReference: mr, sentAtMs: Date.now() };
        if (this.linkHeldUntilMs > 0) this.linkHeldUntilMs = result.sentAtMs + CMMS_SHORTEST_HOLD_MS;
        sent.push(result);
        this.context.counters.sent += 1;
        this.context.matcher.record({ messageId: request.messageId, part: i + 1, messageReference: mr, recipient: request.recipient, sentAtMs: result.sentAtMs });
      } catch (error) {
        const written = (error instanceof AtTimeoutError || error instanceof AtClosedError) && error.pduWritten;
        if (error instanceof AtTimeoutError || error instanceof AtClosedError) this.context.onTransportError(error);
        if (written) {
          return fail(i + 1, 'unknown', new GatewayError('GW_ERR_MODEM_SEND_UNKNOWN', `part ${i + 1}: ${(error as Error).message}`, { part: i + 1 }));
        }
        const cause = error instanceof AtCommandError ? { kind: error.kind, errorCode: error.errorCode } : {};
        return fail(i + 1, 'failed', new GatewayError('GW_ERR_MODEM_SEND_FAILED', `part ${i + 1}: ${(error as Error).message}`, { part: i + 1, ...cause }));
      } finally {
        this.sendsInFlight -= 1;
        this.retryEarlyReports();
      }
    }
    return { messageId: request.messageId, modem: this.context.config.name, sent, failure: null };
  }

  /**
   * `AT+CMMS=1` (TS 27.005 §3.5.6) before a send that more SMS follow, unless the link is still
   * held or the profile says the modem rejects it. A refusal is not a failure: the SMS go out
   * one link each, as without it (Huawei E1752: `+CMS ERROR: 500`).
   */
  private async keepRelayLink(): Promise<void> {
    if (!this.setup.profile.moreMessagesToSend || this.cmmsRefused || Date.now() < this.linkHeldUntilMs) return;
    try {
      await this.channel.command('AT+CMMS=1');
      this.linkHeldUntilMs = Date.now() + CMMS_SHORTEST_HOLD_MS;
    } catch (error) {
      if (!(error instanceof AtCommandError)) throw error;
      this.cmmsRefused = true;
    }
  }

  private async waitRegistered(): Promise<boolean> {
    const deadline = Date.now() + this.context.config.registrationWaitMs;
    while (!this.network.registered) {
      if (Date.now() >= deadline) return false;
      await this.refreshNetwork();
      if (!this.network.registered) await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
    }
    return true;
  }

  private noteRegistration(state: RegistrationState): void {
    this.registrations.set(state.prefix, state);
    const all = [...this.registrations.values()];
    this.network.registered = all.some((s) => s.registered);
    this.network.registration = (all.find((s) => s.registered) ?? all[0])?.status ?? null;
  }

  private async processStored(storage: string, index: number): Promise<void> {
    const stored = await this.store.read(storage, index);
    if (stored !== null && isReceived(stored)) await this.handleStored(stored, 'cmti');
  }

  /** Persist (or match a report), then delete. Kept on the modem when persistence fails. */
  private async handleStored(stored: StoredPdu, via: 'cmti' | 'sweep'): Promise<void> {
    const key = `${stored.storage}:${stored.index}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    try {
      await this.take(stored, via);
      await this.store.delete(stored.storage, stored.index);
    } catch (error) {
      this.report(error);
    } finally {
      this.busy.delete(key);
    }
  }

  /** Persists a stored message, or matches it when it is a status report; rejects when not persisted. */
  private async take(stored: StoredPdu, via: 'cmti' | 'sweep'): Promise<void> {
    const pdu = safeDecode(stored.pduHex);
    if (pdu?.type === 'status-report') this.matchReport(pdu, stored.pduHex);
    else await this.persist({ via, storage: stored.storage, index: stored.index, pduHex: stored.pduHex, ...(pdu === null ? {} : { decoded: pdu }) });
  }

  /**
   * `+CMT`/`+CDS`: persist or match, then `AT+CNMA` when phase 2+ requires it (TS 27.005 §3.4.4).
   * An SMS that completes a burst switches the adaptive route to stored while it is persisted,
   * before its `AT+CNMA`, so the network's next SMS meets `<mt>`=1 (receive-route.ts).
   */
  private async processRouted(pduHex: string, kind: 'cmt' | 'cds'): Promise<void> {
    const pdu = safeDecode(pduHex);
    const report = kind === 'cds' || pdu?.type === 'status-report';
    if (report) {
      if (pdu?.type === 'status-report') this.matchReport(pdu, pduHex);
      else this.context.emit('unmatched-report', pduHex);
    } else {
      // A burst: the switch goes out now, beside the persistence, and before this one's AT+CNMA.
      const switching = this.route.routedArrived() ? this.route.switchToStored() : null;
      try {
        // Decoded once: the inbox takes this decode instead of its own (the +CMT waits for it).
        await this.persistBeforeAckDeadline({ via: 'cmt', storage: null, index: null, pduHex, ...(pdu === null ? {} : { decoded: pdu }) });
        await switching;
      } catch (error) {
        await switching;
        // Not persisted: TS 27.005 §3.4.4 <n>=2 answers RP-ERROR at once, so the network keeps the
        // SMS and delivers it again. Staying silent instead makes the ME time out and switch
        // routing off (<mt>=<ds>=0), after which status reports are no longer shown at all.
        this.route.notAcknowledged();
        if (this.setup.cnmaRequired) await this.acknowledge('AT+CNMA=2');
        throw error;
      }
    }
    if (!this.setup.cnmaRequired) return;
    // Counted as it goes out: the next +CMT can be handled before this await resumes.
    if (!report) this.route.acknowledged();
    await this.acknowledge('AT+CNMA');
  }

  /**
   * Refuses a `+CMT` a host before this one left unacknowledged (killed between the `+CMT` and
   * its `AT+CNMA`). The ME waits for that acknowledgement and routes nothing else; when it gives
   * up it turns routing off (`<mt>`=0, TS 27.005 §3.4.4) after this session set `AT+CNMI`, so
   * later SMS would wait in storage for a sweep. `AT+CNMA=2` answers RP-ERROR (the network
   * delivers it again; the inbox de-duplicates). Nothing waiting: `+CMS ERROR: 340`, the usual
   * case. Called once the session handles URCs, so what the ME routes next is received.
   */
  async refuseLeftover(): Promise<void> {
    if (!this.setup.cnmaRequired) return;
    try {
      await this.channel.command('AT+CNMA=2', { urgent: true });
    } catch (error) {
      if (!(error instanceof AtCommandError)) throw error;
    }
  }

  /**
   * Sends `AT+CNMA[=2]` before anything queued. A refusal (`+CMS ERROR: 340`, no acknowledgement
   * expected) means the ME waited too long for it, refused the message (the network redelivers)
   * and, per TS 27.005 §3.4.4, turned routing off: the indication setting is restored.
   */
  private async acknowledge(command: 'AT+CNMA' | 'AT+CNMA=2'): Promise<void> {
    try {
      await this.channel.command(command, { urgent: true });
    } catch (error) {
      if (!(error instanceof AtCommandError)) throw error;
      this.route.notAcknowledged();
      await this.channel.command(`AT+CNMI=${this.route.cnmi}`, { urgent: true });
      // While routing was off, new SMS went to storage without an indication: fetch them now.
      await this.sweep().catch((sweepError: unknown) => this.report(sweepError));
      throw error;
    }
  }

  /**
   * Persists a routed SMS, but with `AT+CSMS=1` gives up at half the profile's `cnmaTimeoutMs`
   * (GW_ERR_MODEM_PERSIST_SLOW): a write that hangs (Redis stalled) must not let the modem time
   * out, which would refuse the SMS anyway and switch routing off (TS 27.005 §3.4.4). A write that
   * lands late is harmless: the network's redelivery is de-duplicated by the inbox.
   */
  private async persistBeforeAckDeadline(fields: Omit<ReceivedPdu, 'modem' | 'receivedAtMs'>): Promise<void> {
    const writing = this.persist(fields);
    if (!this.setup.cnmaRequired) return writing;
    const deadlineMs = Math.floor(this.setup.profile.cnmaTimeoutMs / 2);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new GatewayError('GW_ERR_MODEM_PERSIST_SLOW', `a +CMT was not persisted within ${deadlineMs} ms; refused with AT+CNMA=2, the network delivers it again`, { modem: this.context.config.name }));
      }, deadlineMs);
    });
    writing.catch(() => undefined); // its failure is reported below, or comes after the deadline
    try {
      await Promise.race([writing, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async persist(fields: Omit<ReceivedPdu, 'modem' | 'receivedAtMs'>): Promise<void> {
    await this.context.persist({ modem: this.context.config.name, receivedAtMs: Date.now(), ...fields });
    this.context.counters.received += 1;
  }

  /**
   * Matches a report to its sent part. A report can overtake the result of its own send: the
   * modem prints `+CDS` as soon as the network delivers it, which may be before `+CMGS: <mr>`
   * or in the same read (the URC is then handled before the send's continuation records the
   * TP-MR). So a report that finds nothing while a send is in flight waits until that send has
   * its answer, and is unmatched only when it still finds nothing then.
   */
  private matchReport(pdu: Extract<SmsPdu, { type: 'status-report' }>, pduHex: string): void {
    const part = this.context.matcher.match(pdu.messageReference, pdu.recipient.value, Date.now());
    if (part === null) {
      if (this.sendsInFlight > 0) this.earlyReports.push({ pdu, pduHex });
      else this.context.emit('unmatched-report', pduHex);
      return;
    }
    this.context.counters.deliveryReports += 1;
    this.context.emit('delivery-report', {
      modem: this.context.config.name, messageId: part.messageId, part: part.part, status: pdu.status,
      dischargeTimeIso: timestampToIso(pdu.dischargeTime),
    });
  }

  /** After a send settled: reports that came early are matched again (or reported unmatched). */
  private retryEarlyReports(): void {
    const early = this.earlyReports;
    this.earlyReports = [];
    for (const { pdu, pduHex } of early) this.matchReport(pdu, pduHex);
  }

  private report(error: unknown): void {
    if (error instanceof AtTimeoutError || error instanceof AtClosedError) this.context.onTransportError(error);
    const typed = error instanceof GatewayError ? error : new GatewayError('GW_ERR_INTERNAL', String(error));
    this.context.emit('problem', typed);
  }
}
