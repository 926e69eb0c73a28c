/**
 * Prometheus metrics of the gateway (prom-client, text format 0.0.4), served at `/metrics`.
 * Everything per message is read from the gateway's snapshot ({@link AdminGateway.status}: the
 * relay's, the SMS sender's and each modem's plain counters) when a scrape comes: the hot path
 * allocates nothing per message and knows nothing of Prometheus. Three kinds of rare events are
 * counted as they happen, since no plain counter holds them: a wake-up's outcome (the latency
 * histogram and the outcome counter), a core request the gateway answered itself (5.03, 5.04),
 * and a drop whose reason has no plain counter ({@link EVENT_DROP_REASONS}).
 * One registry per admin server (no global state); {@link AdminMetrics.close} unsubscribes.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AdminGateway, AdminGatewayStatus } from './admin-gateway.ts';
import { queueCounts, type QueueCounts } from './admin-queues.ts';

/**
 * Drop reasons the relay keeps no plain counter of (src/bridge/relay-types.ts `DropReason`): rare
 * (a broken registration, a failed SMS, a missing route or socket …), so counted from the relay's
 * `dropped` events. The other reasons are read from plain counters at scrape time.
 */
const EVENT_DROP_REASONS = ['invalid-registration', 'store-failed', 'no-route', 'no-socket', 'sms-failed', 'core-did-not-ack', 'device-gone'] as const;

const MODEM_STATES = ['opening', 'initialising', 'ready', 'degraded', 'resetting', 'disconnected', 'blocked', 'failed', 'stopped'] as const;

/** A Counter set from a plain counter at scrape time (counters only grow, so this stays a counter). */
function setCounter<T extends string>(counter: Counter<T>, labels: Partial<Record<T, string>>, value: number): void {
  counter.inc(labels, value);
}

/** The gateway's metrics; {@link render} answers one scrape. */
export class AdminMetrics {
  readonly registry = new Registry();
  private readonly modemState = new Gauge({ name: 'smsbridge_modem_state', help: 'Modem state: 1 for the current state, 0 for the others.', labelNames: ['modem', 'state'], registers: [this.registry] });
  private readonly modemSignal = new Gauge({ name: 'smsbridge_modem_signal_dbm', help: 'Received signal strength (AT+CSQ) in dBm; absent while unknown.', labelNames: ['modem'], registers: [this.registry] });
  private readonly modemRegistered = new Gauge({ name: 'smsbridge_modem_registered', help: '1 while the modem is registered on a network (home or roaming).', labelNames: ['modem'], registers: [this.registry] });
  private readonly modemStorageUsed = new Gauge({ name: 'smsbridge_modem_storage_used', help: 'SMS in the modem\'s storage.', labelNames: ['modem'], registers: [this.registry] });
  private readonly modemStorageTotal = new Gauge({ name: 'smsbridge_modem_storage_total', help: 'SMS the modem\'s storage holds at most.', labelNames: ['modem'], registers: [this.registry] });
  private readonly modemSms = new Counter({ name: 'smsbridge_modem_sms_total', help: 'SMS parts by modem and outcome: sent, failed, unknown (written, no answer), received.', labelNames: ['modem', 'outcome'], registers: [this.registry] });
  private readonly modemReceiveRoute = new Gauge({ name: 'smsbridge_modem_receive_route', help: 'How SMS arrive on the modem now: 1 for the route in force (direct: +CMT and AT+CNMA; stored: +CMTI, read in batches or, with storedRead: single, one by one), 0 for the other; absent while not initialised.', labelNames: ['modem', 'route'], registers: [this.registry] });
  private readonly modemRouteSwitches = new Counter({ name: 'smsbridge_modem_receive_route_switches_total', help: 'Switches of the adaptive receive route (receiveRoute: auto) between direct and stored, either way.', labelNames: ['modem'], registers: [this.registry] });
  private readonly relayMessages = new Counter({ name: 'smsbridge_relay_messages_total', help: 'Messages relayed, by bearer (sms, udp) and direction (uplink: from devices, downlink: to devices).', labelNames: ['bearer', 'direction'], registers: [this.registry] });
  private readonly coreDatagrams = new Counter({ name: 'smsbridge_relay_core_datagrams_total', help: 'Datagrams exchanged with the core server, by direction (to_core, from_core).', labelNames: ['direction'], registers: [this.registry] });
  private readonly dropped = new Counter({ name: 'smsbridge_relay_dropped_total', help: 'Messages not relayed, by reason.', labelNames: ['reason'], registers: [this.registry] });
  private readonly held = new Counter({ name: 'smsbridge_relay_held_requests_total', help: 'Core requests held for a device that could not be reached (queue mode).', registers: [this.registry] });
  private readonly heldNow = new Gauge({ name: 'smsbridge_relay_held_requests', help: 'Core requests held now for devices that cannot be reached.', registers: [this.registry] });
  private readonly smsSent = new Counter({ name: 'smsbridge_sms_messages_total', help: 'Messages sent to devices by SMS, by outcome (sent, failed, unknown).', labelNames: ['outcome'], registers: [this.registry] });
  private readonly smsParts = new Counter({ name: 'smsbridge_sms_parts_sent_total', help: 'SMS parts sent (what the operator bills).', registers: [this.registry] });
  private readonly spendToday = new Gauge({ name: 'smsbridge_sms_spend_parts_today', help: 'SMS parts spent today (UTC day) on all devices, as of the last reservation (Redis totals).', registers: [this.registry] });
  private readonly spendParts = new Counter({ name: 'smsbridge_sms_spend_parts_total', help: 'SMS parts reserved from the daily budgets by this process, and released again (the SMS did not leave); spent = reserved - released.', labelNames: ['state'], registers: [this.registry] });
  private readonly budgetRefusals = new Counter({ name: 'smsbridge_sms_budget_refusals_total', help: 'SMS to devices refused by the daily SMS budget (budget_exhausted), or because Redis could not be asked (budget_unavailable).', labelNames: ['reason'], registers: [this.registry] });
  private readonly smsOperations = new Counter({ name: 'smsbridge_sms_operations_total', help: 'SMS messages by LwM2M operation kind and direction (sent: to devices, received: from devices).', labelNames: ['direction', 'kind'], registers: [this.registry] });
  private readonly devices = new Gauge({ name: 'smsbridge_devices', help: 'Devices in the registration mirror, by the bearer they were last heard on.', labelNames: ['bearer'], registers: [this.registry] });
  private readonly redisUp = new Gauge({ name: 'smsbridge_redis_up', help: '1 while both Redis connections are ready.', registers: [this.registry] });
  private readonly coreRequests = new Counter({ name: 'smsbridge_relay_core_requests_total', help: 'Requests of the core for devices, by what became of them: held (device not reachable), delivered (a held one that left for its device), answered_by_gateway (a held one answered 5.03/5.04 by the gateway), refused (5.03 at once: hold full, no SMS route), absorbed (a retransmission of one already carried).', labelNames: ['outcome'], registers: [this.registry] });
  private readonly queueJobs = new Gauge({ name: 'smsbridge_queue_jobs', help: 'Jobs in each BullMQ queue of the gateway, by state; absent while Redis is away.', labelNames: ['queue', 'state'], registers: [this.registry] });
  private readonly coreSockets = new Gauge({ name: 'smsbridge_core_sockets', help: 'Core-facing sockets (one per device) by state: open now, and waiting (devices whose recorded address could not be bound yet; retried by the maintenance timer, backing off from 1 s to 60 s while retries fail).', labelNames: ['state'], registers: [this.registry] });
  private readonly coreSocketBinds = new Counter({ name: 'smsbridge_core_socket_binds_total', help: 'Binds of core-facing sockets since start, by outcome: bound, failed (any reason), file_limit (of the failed, those refused by the open-file limit), moved (a device given a new address because another program held its recorded one).', labelNames: ['outcome'], registers: [this.registry] });
  /** Set from counters or snapshots at each scrape (reset first); the event-driven metrics below are not. */
  private readonly scraped = [
    this.modemState, this.modemSignal, this.modemRegistered, this.modemStorageUsed, this.modemStorageTotal, this.modemSms, this.modemReceiveRoute, this.modemRouteSwitches,
    this.relayMessages, this.coreDatagrams,
    this.dropped, this.held, this.heldNow, this.smsSent, this.smsParts, this.devices, this.redisUp, this.coreRequests, this.queueJobs,
    this.coreSockets, this.coreSocketBinds,
  ];
  private readonly wakeupLatency = new Histogram({ name: 'smsbridge_wakeup_latency_seconds', help: 'Time from a wake-up request to the device being heard (outcome woke).', buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600], registers: [this.registry] });
  private readonly wakeupOutcomes = new Counter({ name: 'smsbridge_wakeup_outcomes_total', help: 'Wake-ups ended in this process, by result (woke, gave-up, skipped) and reason (heard for woke).', labelNames: ['result', 'reason'], registers: [this.registry] });
  private readonly gatewayAnswers = new Counter({ name: 'smsbridge_relay_gateway_answers_total', help: 'Core requests the gateway answered itself, by code (5.03, 5.04) and reason (hold-full, expired, device-silent, undeliverable, no-server-number …).', labelNames: ['code', 'reason'], registers: [this.registry] });
  /** Drops counted from events, by reason (each present from the start, at 0). */
  private readonly droppedByEvent = new Map<string, number>(EVENT_DROP_REASONS.map((reason) => [reason, 0]));
  private readonly unsubscribe: (() => void)[];

  constructor(private readonly gateway: AdminGateway) {
    this.unsubscribe = [
      gateway.wakeups.on('outcome', (outcome) => {
        if (outcome.result === 'woke') this.wakeupLatency.observe(outcome.elapsedMs / 1000);
        this.wakeupOutcomes.inc({ result: outcome.result, reason: outcome.result === 'woke' ? 'heard' : outcome.reason });
      }),
      gateway.relay.on('answered', (answer) => this.gatewayAnswers.inc({ code: answer.code, reason: answer.reason })),
      gateway.relay.on('dropped', (drop) => {
        const seen = this.droppedByEvent.get(drop.reason);
        if (seen !== undefined) this.droppedByEvent.set(drop.reason, seen + 1);
      }),
    ];
  }

  /** Stops counting events (the admin server calls it when it stops). */
  close(): void {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }

  /** The metrics now, in Prometheus text format. */
  async render(): Promise<string> {
    const [status, queues] = await Promise.all([this.gateway.status(), queueCounts(this.gateway.queues).catch(() => null)]);
    this.update(status, queues);
    return this.registry.metrics();
  }

  /** Prometheus text format content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private update(status: AdminGatewayStatus, queues: readonly QueueCounts[] | null): void {
    for (const metric of this.scraped) metric.reset();
    for (const modem of status.modems) {
      const labels = { modem: modem.name };
      for (const state of MODEM_STATES) this.modemState.set({ ...labels, state }, modem.state === state ? 1 : 0);
      if (modem.signalDbm !== null) this.modemSignal.set(labels, modem.signalDbm);
      this.modemRegistered.set(labels, modem.registered ? 1 : 0);
      if (modem.storage !== null) {
        this.modemStorageUsed.set(labels, modem.storage.used);
        this.modemStorageTotal.set(labels, modem.storage.total);
      }
      setCounter(this.modemSms, { ...labels, outcome: 'sent' }, modem.counters.sent);
      setCounter(this.modemSms, { ...labels, outcome: 'failed' }, modem.counters.sendFailed);
      setCounter(this.modemSms, { ...labels, outcome: 'unknown' }, modem.counters.sendUnknown);
      setCounter(this.modemSms, { ...labels, outcome: 'received' }, modem.counters.received);
      if (modem.receiveRoute !== null) {
        for (const route of ['direct', 'stored'] as const) this.modemReceiveRoute.set({ ...labels, route }, modem.receiveRoute === route ? 1 : 0);
      }
      setCounter(this.modemRouteSwitches, labels, modem.counters.receiveRouteSwitches);
    }
    const relay = status.relay;
    setCounter(this.relayMessages, { bearer: 'sms', direction: 'uplink' }, relay.uplinkSms);
    setCounter(this.relayMessages, { bearer: 'udp', direction: 'uplink' }, relay.uplinkUdp);
    setCounter(this.relayMessages, { bearer: 'sms', direction: 'downlink' }, relay.downlinkSms);
    setCounter(this.relayMessages, { bearer: 'udp', direction: 'downlink' }, relay.downlinkUdp);
    setCounter(this.coreDatagrams, { direction: 'to_core' }, relay.toCore);
    setCounter(this.coreDatagrams, { direction: 'from_core' }, relay.fromCore);
    const drops: [string, number][] = [
      ['malformed', relay.malformed], ['unknown_device', relay.unknownDevice], ['duplicate_uplink', relay.duplicateUplink],
      ['registration_refused', relay.refusedRegistrations], ['failed', relay.failed], ['unknown_sender', status.unknownSenders],
      ['rate_limited', relay.rateLimited],
    ];
    for (const [reason, value] of drops) setCounter(this.dropped, { reason }, value);
    for (const [reason, value] of this.droppedByEvent) setCounter(this.dropped, { reason: reason.replaceAll('-', '_') }, value);
    this.held.inc(relay.held);
    this.heldNow.set(status.heldRequests);
    setCounter(this.smsSent, { outcome: 'sent' }, status.sms.messages - status.sms.failed - status.sms.unknown);
    setCounter(this.smsSent, { outcome: 'failed' }, status.sms.failed);
    setCounter(this.smsSent, { outcome: 'unknown' }, status.sms.unknown);
    this.smsParts.inc(status.sms.parts);
    const spend = status.smsSpend;
    if (spend !== undefined) {
      this.spendToday.set(spend.todayParts);
      setCounter(this.spendParts, { state: 'reserved' }, spend.partsReserved);
      setCounter(this.spendParts, { state: 'released' }, spend.partsReleased);
      setCounter(this.budgetRefusals, { reason: 'budget_exhausted' }, spend.refusedBudget);
      setCounter(this.budgetRefusals, { reason: 'budget_unavailable' }, spend.refusedUnavailable);
      for (const [kind, value] of Object.entries(spend.sent)) setCounter(this.smsOperations, { direction: 'sent', kind }, value);
      for (const [kind, value] of Object.entries(spend.received)) setCounter(this.smsOperations, { direction: 'received', kind }, value);
    }
    let sms = 0;
    for (const device of status.devices) if (device.lastBearer === 'sms') sms += 1;
    this.devices.set({ bearer: 'sms' }, sms);
    this.devices.set({ bearer: 'udp' }, status.devices.length - sms);
    this.redisUp.set(status.redis.commands === 'ready' && status.redis.consumer === 'ready' ? 1 : 0);
    const requests: [string, number][] = [
      ['held', relay.held], ['delivered', relay.heldDelivered], ['answered_by_gateway', relay.heldAnsweredByGateway], ['refused', relay.refused], ['absorbed', relay.coreRetransmissionsAbsorbed],
    ];
    for (const [outcome, value] of requests) setCounter(this.coreRequests, { outcome }, value);
    const sockets = status.coreSockets;
    if (sockets !== undefined) {
      this.coreSockets.set({ state: 'open' }, sockets.open);
      this.coreSockets.set({ state: 'waiting' }, sockets.waiting);
      const binds: [string, number][] = [['bound', sockets.bound], ['failed', sockets.bindFailures], ['file_limit', sockets.fileLimitFailures], ['moved', sockets.moved]];
      for (const [outcome, value] of binds) setCounter(this.coreSocketBinds, { outcome }, value);
    }
    for (const queue of queues ?? []) {
      for (const [state, count] of Object.entries(queue.counts)) this.queueJobs.set({ queue: queue.name, state }, count);
    }
  }
}
