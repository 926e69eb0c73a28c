/**
 * Parsers of stored-message answers (TS 27.005): the `<delflag>` list of `AT+CMGD=?` (§3.5.4),
 * which decides whether the batched stored route may delete every read message in one command.
 */
import { describe, expect, it } from 'vitest';
import { parseDeleteFlags, parseMessageList } from '../../../src/modem/stored-messages.ts';

describe('parseDeleteFlags (AT+CMGD=?)', () => {
  it('reads the second list as ranges and single values', () => {
    expect(parseDeleteFlags(['+CMGD: (1,2,3),(0-4)'])).toEqual([0, 1, 2, 3, 4]);
    expect(parseDeleteFlags(['+CMGD: (0-29),(0,1,4)'])).toEqual([0, 1, 4]);
    expect(parseDeleteFlags(['+CMGD: (),(0-4)'])).toEqual([0, 1, 2, 3, 4]);
  });

  it('is empty when the modem lists only indexes, or answers something else', () => {
    expect(parseDeleteFlags(['+CMGD: (1,2,3)'])).toEqual([]);
    expect(parseDeleteFlags(['+CMGD: (1-30)'])).toEqual([]);
    expect(parseDeleteFlags([])).toEqual([]);
    expect(parseDeleteFlags(['+CPMS: ("SM"),("SM")'])).toEqual([]);
  });

  it('does not expand a huge range', () => {
    expect(parseDeleteFlags(['+CMGD: (1),(0-99999999)'])).toHaveLength(17);
  });
});

describe('parseMessageList (AT+CMGL in PDU mode)', () => {
  it('pairs each header with its PDU line and keeps the status', () => {
    expect(parseMessageList(['+CMGL: 1,0,,24', '0011AA', '+CMGL: 3,1,,20', '0011BB'], 'ME')).toEqual([
      { storage: 'ME', index: 1, stat: 0, pduHex: '0011AA' },
      { storage: 'ME', index: 3, stat: 1, pduHex: '0011BB' },
    ]);
  });
});
