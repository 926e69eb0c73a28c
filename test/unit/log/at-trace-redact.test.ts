import { describe, expect, it } from 'vitest';
import { redactAtLine } from '../../../src/log/at-trace-redact.ts';

describe('redactAtLine', () => {
  it('masks the PIN of AT+CPIN, quoted or not, and PUK with new PIN', () => {
    expect(redactAtLine('AT+CPIN="1234"')).toBe('AT+CPIN="***"');
    expect(redactAtLine('AT+CPIN=1234')).toBe('AT+CPIN=***');
    expect(redactAtLine('AT+CPIN=12345678,5678')).toBe('AT+CPIN=***,***');
    expect(redactAtLine('at+cpin2="87654321","4321"')).toBe('at+cpin2="***","***"');
  });

  it('masks the password of AT+CLCK and both passwords of AT+CPWD, not the facility', () => {
    expect(redactAtLine('AT+CLCK="SC",0,"1234"')).toBe('AT+CLCK="SC",0,"***"');
    expect(redactAtLine('AT+CLCK="SC",2')).toBe('AT+CLCK="SC",2');
    expect(redactAtLine('AT+CPWD="SC","1234","4321"')).toBe('AT+CPWD="SC","***","***"');
  });

  it('masks the command wherever it appears, as in an error message quoting it', () => {
    expect(redactAtLine('AT+CPIN="1234": no final result within 5000 ms')).toBe('AT+CPIN="***": no final result within 5000 ms');
    expect(redactAtLine('GatewayError: AT+CPIN=1234 answered +CME ERROR: 16')).toBe('GatewayError: AT+CPIN=*** answered +CME ERROR: 16');
  });

  it('leaves queries, answers and other commands alone', () => {
    for (const line of ['AT+CPIN?', '+CPIN: SIM PIN', '+CPIN: READY', 'AT+CMGS=23', 'OK', '+CLCK: 1', 'AT+CSQ']) expect(redactAtLine(line)).toBe(line);
  });

  it('masks a truncated quoted PIN and long parameter lists (linear: a backtracking pattern would hang here)', () => {
    expect(redactAtLine('AT+CPIN="12345')).toBe('AT+CPIN="***"');
    expect(redactAtLine(`AT+CPIN="${'1'.repeat(1_000_000)}`)).toBe('AT+CPIN="***"');
    expect(redactAtLine(`AT+CPIN=${'1,'.repeat(200_000)}x`)).not.toMatch(/1/);
  });
});
