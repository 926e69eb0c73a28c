/**
 * hangupAwareBinding leaves Windows alone: only POSIX ttys read 0 bytes after a hangup. (The
 * POSIX behaviour is tested on a real pty in test/integration/modem/at-channel.test.ts.)
 */
import { SerialPort } from 'serialport';
import { describe, expect, it } from 'vitest';
import { hangupAwareBinding } from '../../../src/modem/hangup-binding.ts';

describe('hangupAwareBinding', () => {
  it('returns the binding itself on Windows', () => {
    expect(hangupAwareBinding(SerialPort.binding, 'win32')).toBe(SerialPort.binding);
  });

  it('wraps the binding on POSIX', () => {
    expect(hangupAwareBinding(SerialPort.binding, 'linux')).not.toBe(SerialPort.binding);
  });
});
