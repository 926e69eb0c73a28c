/**
 * Files the status reports of wake-up triggers (ModemEvents `delivery-report`, TS 23.040
 * §9.2.3.5 TP-SRR) with their trigger in Redis (trigger-ledger.ts). A report can overtake the
 * ledger entry of the send it is about (the modem reports before the send's entry is written):
 * while trigger sends are in flight, a report the ledger does not know is kept aside (at most
 * {@link MAX_EARLY_REPORTS}; reports about other SMS beyond that are dropped) and filed again
 * once no send is in flight.
 */
import { tpStatusName } from './delivery-status.ts';
import type { TriggerLedger, TriggerRef } from './trigger-ledger.ts';
import type { TriggerReport, WakeupEvents } from './wakeup-types.ts';

/** Most status reports kept aside while trigger sends are in flight. */
export const MAX_EARLY_REPORTS = 1000;

/** What the filer tells its owner (the wake-up service). */
export interface TriggerReportHandlers {
  /** A report was filed with trigger `ref` (`event`: as the service emits it); `late`: it waited for its send's entry. */
  readonly filed: (ref: TriggerRef, event: WakeupEvents['trigger-report'][0], late: boolean) => void;
  /** Redis refused a late filing. */
  readonly problem: (error: unknown) => void;
}

/**
 * Contract: {@link file} files a report, or keeps it aside while a send is in flight (rejects
 * when Redis does); {@link sendStarted} and {@link sendEnded} bracket every trigger send, and
 * the last `sendEnded` files what was kept aside (never rejects: failures go to `problem`).
 */
export class TriggerReportFiler {
  private sendsInFlight = 0;
  private earlyReports: TriggerReport[] = [];

  constructor(private readonly ledger: TriggerLedger, private readonly handlers: TriggerReportHandlers) {}

  /** See the class contract. */
  async file(report: TriggerReport): Promise<void> {
    const ref = await this.ledger.report(report.messageId, report.part, report.status);
    if (ref === null) {
      // The report overtook the ledger entry of a send this process is finishing: tried again after it.
      if (this.sendsInFlight > 0 && this.earlyReports.length < MAX_EARLY_REPORTS) this.earlyReports.push(report);
      return;
    }
    this.handlers.filed(ref, reportEvent(ref, report), false);
  }

  /** A trigger send starts (see the class contract). */
  sendStarted(): void {
    this.sendsInFlight += 1;
  }

  /** A trigger send ended, its ledger entry written or not (see the class contract). */
  sendEnded(): void {
    this.sendsInFlight -= 1;
    if (this.sendsInFlight > 0 || this.earlyReports.length === 0) return;
    const early = this.earlyReports;
    this.earlyReports = [];
    for (const report of early) void this.ledger.report(report.messageId, report.part, report.status)
      .then((ref) => {
        if (ref !== null) this.handlers.filed(ref, reportEvent(ref, report), true);
      })
      .catch((error: unknown) => this.handlers.problem(error));
  }
}

function reportEvent(ref: TriggerRef, report: TriggerReport): WakeupEvents['trigger-report'][0] {
  return { endpoint: ref.endpoint, trigger: ref.trigger, part: report.part, status: report.status, statusName: tpStatusName(report.status) };
}
