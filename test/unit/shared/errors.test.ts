import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError, ERROR_CODES, EncodeError, GatewayError } from '../../../src/shared/errors.ts';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('error registry', () => {
  it('documents every code in docs/errors.md, and documents no code that does not exist', () => {
    const documented = new Set([...docs.matchAll(/`(GW_ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]));
    expect([...documented].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('keeps codes in the GW_ERR_ namespace with a meaning each', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^GW_ERR_[A-Z0-9_]+$/);
      expect(meaning.length).toBeGreaterThan(10);
    }
  });

  it('gives decode errors their code, field and offset, also in JSON', () => {
    const error = new DecodeError('GW_ERR_PDU_TRUNCATED', 'TP-UDL', 27, 'the PDU ends here');
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.name).toBe('DecodeError');
    expect(error.message).toBe('TP-UDL at byte 27: the PDU ends here');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: 'GW_ERR_PDU_TRUNCATED',
      message: 'TP-UDL at byte 27: the PDU ends here',
      field: 'TP-UDL',
      offset: 27,
    });
    const encode = new EncodeError('GW_ERR_SMS_ENCODE', 'destination', 'not a number');
    expect(encode.toJSON()).toEqual({ code: 'GW_ERR_SMS_ENCODE', message: 'destination: not a number', field: 'destination' });
  });
});
