/**
 * One copy of each text many device records repeat: the UDP host (a few addresses for a whole
 * fleet), the Binding, the LwM2M version, the object links of a device type, the modem name.
 * Each record parsed from a message or read from Redis otherwise holds a string of its own;
 * at 100,000 devices that is megabytes of copies (bench/device-scale, memory per device).
 */
import type { DeviceRecord, MutableDeviceRecord } from './device-record.ts';

/** Distinct texts kept at most (the first ones seen win; a flood of distinct values only stops further sharing). */
const MAX_TEXTS = 4096;
/** Longer texts are not shared (a long object-links payload is rarely repeated exactly). */
const MAX_TEXT_LENGTH = 2048;

/**
 * Contract: `share(record)` returns a copy of `record` with the same values, its texts held by
 * the shared strings; `shareInPlace(record)` does the same to a record nobody else holds yet, in
 * place; `text(value)` returns the shared string equal to `value`. Memory is bounded by
 * {@link MAX_TEXTS} × {@link MAX_TEXT_LENGTH}. No I/O.
 */
export class RecordTexts {
  private readonly texts = new Map<string, string>();

  /** See the class contract. */
  share(record: DeviceRecord): DeviceRecord {
    const copy: MutableDeviceRecord = { ...record };
    this.shareInPlace(copy);
    return copy;
  }

  /** See the class contract (a new record, e.g. of a Register: no copy of it; bench/device-scale, CPU per Register). */
  shareInPlace(record: MutableDeviceRecord): void {
    if (record.udpHost !== null) record.udpHost = this.text(record.udpHost);
    record.binding = this.text(record.binding);
    record.lwm2mVersion = this.text(record.lwm2mVersion);
    record.objectLinks = this.text(record.objectLinks);
    if (record.smsModem !== null) record.smsModem = this.text(record.smsModem);
  }

  /** The shared copy of `text` (kept as the copy when there is room). */
  text(text: string): string {
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    if (this.texts.size < MAX_TEXTS && text.length <= MAX_TEXT_LENGTH) this.texts.set(text, text);
    return text;
  }
}
