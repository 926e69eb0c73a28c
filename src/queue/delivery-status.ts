/**
 * What an SMS-STATUS-REPORT says about a trigger SMS: the TP-Status octet (3GPP TS 23.040
 * §9.2.3.15) classified and named, and the diagnosis of one trigger attempt. Pure.
 *
 * TS 23.040 §9.2.3.15 TP-ST ranges (bit 7 reserved, 0):
 * - 0x00–0x1F "Short message transaction completed" (0x00 received by the SME, 0x01 forwarded
 *   but delivery unconfirmed, 0x02 replaced; 0x10–0x1F SC-specific);
 * - 0x20–0x3F "Temporary error, SC still trying to transfer SM";
 * - 0x40–0x5F "Permanent error, SC is not making any more transfer attempts";
 * - 0x60–0x7F "Temporary error, SC is not making any more transfer attempts".
 * Reserved values are treated by their range, as the same clause's ranges define them.
 */

/** The class of a TP-ST value. */
export type TpStatusClass = 'completed' | 'temporary-trying' | 'permanent' | 'temporary-final';

/** TS 23.040 §9.2.3.15: the named TP-ST values. */
const TP_STATUS_NAMES: Readonly<Record<number, string>> = {
  0x00: 'short message received by the SME',
  0x01: 'forwarded by the SC to the SME, delivery unconfirmed',
  0x02: 'short message replaced by the SC',
  0x20: 'congestion',
  0x21: 'SME busy',
  0x22: 'no response from SME',
  0x23: 'service rejected',
  0x24: 'quality of service not available',
  0x25: 'error in SME',
  0x40: 'remote procedure error',
  0x41: 'incompatible destination',
  0x42: 'connection rejected by SME',
  0x43: 'not obtainable',
  0x44: 'quality of service not available',
  0x45: 'no interworking available',
  0x46: 'SM validity period expired',
  0x47: 'SM deleted by originating SME',
  0x48: 'SM deleted by SC administration',
  0x49: 'SM does not exist',
  0x60: 'congestion',
  0x61: 'SME busy',
  0x62: 'no response from SME',
  0x63: 'service rejected',
  0x64: 'quality of service not available',
  0x65: 'error in SME',
};

/** The class of TP-ST `status` (0..255; bit 7 is ignored, TS 23.040 §9.2.3.15 reserves it). */
export function tpStatusClass(status: number): TpStatusClass {
  const value = status & 0x7f;
  if (value < 0x20) return 'completed';
  if (value < 0x40) return 'temporary-trying';
  if (value < 0x60) return 'permanent';
  return 'temporary-final';
}

/** `0x41 incompatible destination (permanent error)`: the value, its TS 23.040 name and class. */
export function tpStatusName(status: number): string {
  const value = status & 0x7f;
  const hex = `0x${value.toString(16).padStart(2, '0')}`;
  // x10000–x11111 of each range are "values specific to each SC"; the rest unnamed are reserved.
  const name = TP_STATUS_NAMES[value] ?? ((value & 0x10) !== 0 ? 'SC-specific value' : 'reserved value');
  const klass = tpStatusClass(value);
  const suffix = klass === 'completed' ? 'delivered'
    : klass === 'permanent' ? 'permanent error'
      : klass === 'temporary-trying' ? 'temporary error, SC still trying' : 'temporary error, SC gave up';
  return `${hex} ${name} (${suffix})`;
}

/** What became of one trigger SMS, as far as its status reports tell. */
export type TriggerDeliveryState = 'delivered' | 'undeliverable' | 'no-report';

/** The diagnosis of one trigger attempt (kept in the wake-up outcome). */
export interface TriggerDelivery {
  /** 1-based trigger number within the job. */
  readonly trigger: number;
  /** The SMS sender's message id (status reports are matched to it). */
  readonly messageId: string;
  readonly delivery: TriggerDeliveryState;
  /** TP-ST of the deciding report (the worst part's), when one came. */
  readonly status?: number;
  /** {@link tpStatusName} of `status`. */
  readonly statusName?: string;
  /** True for a permanent error (TP-ST 0x40–0x5F): another trigger would fare no better. */
  readonly permanent?: boolean;
  /**
   * For an operator: `delivered, device silent`, `delivered, device answered`,
   * `undeliverable (0x41 incompatible destination (permanent error))`, `no report`.
   */
  readonly diagnosis: string;
}

/** Ranks a report for the worst-part choice: permanent > temporary > still trying > delivered. */
function severity(status: number): number {
  return { completed: 0, 'temporary-trying': 1, 'temporary-final': 2, permanent: 3 }[tpStatusClass(status)];
}

/**
 * The diagnosis of trigger `trigger` sent as `parts` parts, from the TP-ST of the parts whose
 * reports came (`statuses`, by part number). Delivered when every part was; undeliverable when a
 * part reported an error (the worst one decides); no report otherwise. `answered`: the device
 * was heard after it.
 */
export function diagnoseTrigger(trigger: number, messageId: string, parts: number, statuses: ReadonlyMap<number, number>, answered: boolean): TriggerDelivery {
  let worst: number | null = null;
  for (const status of statuses.values()) if (worst === null || severity(status) > severity(worst)) worst = status;
  if (worst === null || (severity(worst) === 0 && statuses.size < parts)) {
    return { trigger, messageId, delivery: 'no-report', diagnosis: 'no report' };
  }
  const statusName = tpStatusName(worst);
  if (severity(worst) === 0) {
    return { trigger, messageId, delivery: 'delivered', status: worst, statusName, diagnosis: answered ? 'delivered, device answered' : 'delivered, device silent' };
  }
  const permanent = tpStatusClass(worst) === 'permanent';
  return { trigger, messageId, delivery: 'undeliverable', status: worst, statusName, permanent, diagnosis: `undeliverable (${statusName})` };
}
