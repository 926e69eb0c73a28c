/**
 * Hexadecimal text <-> bytes. Pure helpers shared by the codecs and the CLI.
 */

const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})*$/;

/** True when `text` is an even-length string of hexadecimal digits (empty counts). */
export function isHex(text: string): boolean {
  return HEX_PATTERN.test(text);
}

/**
 * Bytes of an even-length hexadecimal string (either case). Returns null when `text` is not
 * hexadecimal or has odd length; callers turn that into their own typed error.
 */
export function hexToBytes(text: string): Uint8Array | null {
  if (!isHex(text)) return null;
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

/** Lower-case hexadecimal text of `bytes`. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
