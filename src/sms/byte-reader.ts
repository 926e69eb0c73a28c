import { DecodeError } from '../shared/errors.ts';

/**
 * A forward-only cursor over PDU bytes that raises a typed {@link DecodeError} (never a
 * RangeError) when a field runs past the end. Used only inside the decoder.
 */
export class PduReader {
  private position = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Offset of the next unread byte. */
  get offset(): number {
    return this.position;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.position;
  }

  /** Reads one octet of field `field`; GW_ERR_PDU_TRUNCATED when none is left. */
  byte(field: string): number {
    const value = this.bytes[this.position];
    if (value === undefined) {
      throw new DecodeError('GW_ERR_PDU_TRUNCATED', field, this.position, 'the PDU ends here');
    }
    this.position += 1;
    return value;
  }

  /** Reads `length` octets of field `field`; GW_ERR_PDU_TRUNCATED when fewer are left. */
  take(length: number, field: string): Uint8Array {
    if (length > this.remaining) {
      throw new DecodeError(
        'GW_ERR_PDU_TRUNCATED',
        field,
        this.position,
        `needs ${length} octets, ${this.remaining} left`,
      );
    }
    const slice = this.bytes.slice(this.position, this.position + length);
    this.position += length;
    return slice;
  }

  /** Raises GW_ERR_PDU_TRAILING when bytes are left after the last field. */
  expectEnd(): void {
    if (this.remaining > 0) {
      throw new DecodeError(
        'GW_ERR_PDU_TRAILING',
        'TPDU',
        this.position,
        `${this.remaining} octets after the end of the user data`,
      );
    }
  }
}
