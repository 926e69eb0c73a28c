/**
 * Incoming SMS and status reports, routed per `AT+CNMI` (TS 27.005 §3.4.1) and acknowledged
 * per `AT+CSMS`/`AT+CNMA` (§3.2.1, §3.4.4).
 *
 *   network ──deliver──► SmsRouter.deliver
 *                          ├─ store (mt 0/1, class 2, mt 3 non-class-3) ─► +CMTI: "<mem3>",<i>
 *                          ├─ route (mt 2, mt 3 class 3)               ─► +CMT: ,<len> / <pdu>
 *                          ├─ status report ds 1                        ─► +CDS: <len> / <pdu>
 *                          └─ status report ds 2                        ─► +CDSI: "SR",<i>
 *   With AT+CSMS=1 every +CMT/+CDS waits for AT+CNMA (one at a time); without it in
 *   cnmaTimeoutMs the ME refuses the message (the network redelivers) and sets <mt>=<ds>=0.
 */
import { intArg } from './command-line.ts';
import type { CommandHandler, EngineContext, IncomingControl, IncomingSms } from './engine-context.ts';
import type { SmsMemory } from './profiles.ts';
import { OK, cms, type Reply } from './responses.ts';
import { formatPduMessage, formatTextMessage, pduLayout, tryDecode } from './sms-format.ts';
import { SMS_STAT, type StoredSms } from './sms-storage.ts';

/** TS 24.011 §8.2.5.4 RP causes sent back to the network. */
export const RP_CAUSE = {
  /** Memory capacity exceeded: the SMSC keeps the message and retries later. */
  MEMORY_CAPACITY_EXCEEDED: 22,
  /** Protocol error, unspecified: the host rejected the message with `AT+CNMA=2`, or it is not a PDU. */
  PROTOCOL_ERROR: 111,
} as const;

/** URCs kept in the TA while `<mode>` is 0 (TS 27.005 §3.4.1); older ones are dropped. */
const TA_BUFFER_LIMIT = 16;

interface Awaiting {
  readonly message: IncomingSms;
  readonly cancelTimer: () => void;
}

/** Routes incoming messages and tracks the one `+CMT`/`+CDS` awaiting `AT+CNMA`. */
export class SmsRouter implements IncomingControl {
  readonly #ctx: EngineContext;
  #awaiting: Awaiting | null = null;
  readonly #queue: IncomingSms[] = [];
  #taBuffer: Array<readonly string[]> = [];

  /** @param ctx - the engine's context; CNMI/CSMS are read at each delivery. */
  constructor(ctx: EngineContext) {
    this.#ctx = ctx;
  }

  /** Handles one message from the network; calls `message.ack` now or once the host answered. */
  deliver(message: IncomingSms): void {
    const { state } = this.#ctx;
    if (state.sim !== 'ready' || state.cfun !== 1) {
      this.#refuse(message, RP_CAUSE.MEMORY_CAPACITY_EXCEEDED);
      return;
    }
    const layout = pduLayout(message.pduHex);
    if (layout === null) {
      this.#refuse(message, RP_CAUSE.PROTOCOL_ERROR);
      return;
    }
    const stored: StoredSms = { stat: SMS_STAT.RECEIVED_UNREAD, pduHex: message.pduHex.toUpperCase(), tpduLength: layout.tpduLength, kind: message.kind };
    const { mode, mt, ds } = state.cnmi;
    if (message.kind === 'status-report') {
      if (ds === 0) this.#accept(message); // TS 27.005 §3.4.1: not routed to the TE
      else if (ds === 1 && mode !== 0) this.#route(message, stored);
      else this.#store(message, stored, this.#ctx.profile.statusReportMemory, true);
      return;
    }
    const pdu = tryDecode(message.pduHex);
    const messageClass = pdu?.type === 'deliver' ? pdu.dcs.messageClass : null;
    // TS 27.005 §3.4.1 <mt>: class 2 always goes to the SIM; mt=2 routes the others, mt=3 class 3 only.
    if (messageClass === 2) this.#store(message, stored, 'SM', mt !== 0);
    else if (mode !== 0 && (mt === 2 || (mt === 3 && messageClass === 3))) this.#route(message, stored);
    else this.#store(message, stored, state.cpms[2], mt !== 0);
  }

  /** See {@link IncomingControl.acknowledge}: 340 when nothing waits or `AT+CSMS` is 0. */
  acknowledge(negative: boolean): Reply {
    const awaiting = this.#awaiting;
    if (awaiting === null || this.#ctx.state.csms !== 1) return cms(340);
    awaiting.cancelTimer();
    this.#awaiting = null;
    if (negative) this.#refuse(awaiting.message, RP_CAUSE.PROTOCOL_ERROR);
    else this.#accept(awaiting.message);
    return { type: 'ok', then: () => this.#next() };
  }

  /** See {@link IncomingControl.cnmiChanged}. */
  cnmiChanged(): void {
    const { mode, bfr } = this.#ctx.state.cnmi;
    if (mode === 0) return;
    const buffered = this.#taBuffer;
    this.#taBuffer = [];
    if (bfr === 0) for (const lines of buffered) this.#ctx.emitUrc(lines);
  }

  /** Reboot: refuses everything not yet acknowledged (the network redelivers) and clears the TA buffer. */
  reset(): void {
    this.#awaiting?.cancelTimer();
    if (this.#awaiting !== null) this.#refuse(this.#awaiting.message, RP_CAUSE.MEMORY_CAPACITY_EXCEEDED);
    this.#awaiting = null;
    for (const message of this.#queue.splice(0)) this.#refuse(message, RP_CAUSE.MEMORY_CAPACITY_EXCEEDED);
    this.#taBuffer = [];
  }

  /** True while a `+CMT`/`+CDS` waits for `AT+CNMA`. */
  get awaitingAck(): boolean {
    return this.#awaiting !== null;
  }

  #store(message: IncomingSms, stored: StoredSms, memory: SmsMemory, indicate: boolean): void {
    const ctx = this.#ctx;
    const index = ctx.storages[memory].store(stored);
    if (index === null) {
      const urc = ctx.profile.memoryFullUrc;
      if (urc !== null) ctx.emitUrc(urc.replace('{mem}', memory));
      this.#refuse(message, RP_CAUSE.MEMORY_CAPACITY_EXCEEDED);
      return;
    }
    this.#accept(message);
    if (!indicate) return;
    if (message.kind === 'status-report') {
      // Quectel EC25 quirk (asterisk-chan-quectel PR#75): names SM although the report is in SR.
      const announced = ctx.profile.cdsiAnnouncedMemory ?? memory;
      this.#indicate([`+CDSI: "${announced}",${index}`]);
    } else {
      this.#indicate([`+CMTI: "${memory}",${index}`]);
    }
  }

  #route(message: IncomingSms, stored: StoredSms): void {
    const ctx = this.#ctx;
    if (ctx.state.csms === 1 && this.#awaiting !== null) {
      this.#queue.push(message);
      return;
    }
    const v = ctx.state.v250;
    const lines = v.cmgf === 1 ? formatTextMessage(stored, { kind: 'cmt' }, v.csdh, v.cscs) : formatPduMessage(stored, { kind: 'cmt' });
    ctx.emitUrc(lines);
    if (ctx.state.csms !== 1) {
      // Phase 2 (AT+CSMS=0): the ME acknowledges on its own.
      this.#accept(message);
      return;
    }
    const cancelTimer = ctx.setTimer(ctx.options.cnmaTimeoutMs, () => this.#timeout());
    this.#awaiting = { message, cancelTimer };
  }

  #timeout(): void {
    const awaiting = this.#awaiting;
    if (awaiting === null) return;
    this.#awaiting = null;
    this.#ctx.counters.cnmaTimeouts++;
    this.#refuse(awaiting.message, RP_CAUSE.MEMORY_CAPACITY_EXCEEDED);
    // TS 27.005 §3.4.4: without the acknowledgement the ME disables routing to the TE.
    this.#ctx.state.cnmi.mt = 0;
    this.#ctx.state.cnmi.ds = 0;
    this.#next();
  }

  /** Routes the messages that waited for the CNMA slot, with the current settings. */
  #next(): void {
    while (this.#awaiting === null) {
      const message = this.#queue.shift();
      if (message === undefined) return;
      this.deliver(message);
    }
  }

  #indicate(lines: readonly string[]): void {
    if (this.#ctx.state.cnmi.mode !== 0) {
      this.#ctx.emitUrc(lines);
      return;
    }
    this.#taBuffer.push(lines);
    if (this.#taBuffer.length > TA_BUFFER_LIMIT) this.#taBuffer.shift();
  }

  #accept(message: IncomingSms): void {
    if (message.kind === 'status-report') this.#ctx.counters.statusReportsReceived++;
    else this.#ctx.counters.smsReceived++;
    message.ack(true);
  }

  #refuse(message: IncomingSms, cause: number): void {
    this.#ctx.counters.deliveriesRefused++;
    message.ack(false, cause);
  }
}

/** `AT+CNMA[=<n>]`: 0/1 acknowledge, 2 reject (TS 27.005 §3.4.4; `<n>` only in PDU mode). */
export const handleCnma: CommandHandler = (command, ctx) => {
  const textMode = ctx.state.v250.cmgf === 1;
  if (command.op === 'test') return textMode ? OK : { type: 'ok', lines: ['+CNMA: (0-2)'] };
  if (command.op === 'read') return cms(302);
  const n = command.op === 'set' ? intArg(command.args[0], 0, 2, 0) : 0;
  if (n === null || (n !== 0 && textMode)) return cms(textMode ? 305 : 304);
  return ctx.incoming.acknowledge(n === 2);
};
