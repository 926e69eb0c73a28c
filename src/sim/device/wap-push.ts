/**
 * The WAP Push framing of an LwM2M trigger SMS (LwM2M Core Appendix "Example of Trigger Message
 * from Server": UDH `06 05 04 0B 84 C0 02` = 16-bit ports, destination 2948; WSP `01 06 03 C4 AF
 * 9A`; then the CoAP message). Pure. A device accepts it besides raw 8-bit CoAP.
 */

/** WAP-259-WDP Appendix B: the connectionless WAP Push port (`wap-push`), 2948. */
export const WAP_PUSH_PORT = 2948;
/** WAP-230-WSP §8.2.1 Table 34: PDU type Push. */
const WSP_PDU_PUSH = 0x06;
/** WAP-230-WSP §8.1.2: a uintvar has at most 5 octets. */
const MAX_UINTVAR_OCTETS = 5;

/**
 * The content of a connectionless WSP Push PDU (WAP-230-WSP §8.2.4.1: TID, PDU type 0x06,
 * HeadersLen as uintvar, content type and headers, data), or null when `data` is not one. The
 * caller checks the destination port first ({@link WAP_PUSH_PORT}).
 */
export function unwrapWapPush(data: Uint8Array): Uint8Array | null {
  if (data.length < 3 || data[1] !== WSP_PDU_PUSH) return null;
  let headersLength = 0;
  let offset = 2;
  for (let i = 0; ; i++) {
    const byte = data[offset];
    if (byte === undefined || i === MAX_UINTVAR_OCTETS) return null;
    headersLength = headersLength * 128 + (byte & 0x7f);
    offset++;
    if ((byte & 0x80) === 0) break;
  }
  const start = offset + headersLength;
  return start > data.length ? null : data.slice(start);
}
