/**
 * The SMS PDU codec (3GPP TS 23.040, TS 23.038): pure functions, bytes in, value or typed
 * error out. The only entry point other folders import.
 */
export type * from './types.ts';
export { decodePdu, type DecodePduOptions } from './pdu-decode.ts';
export { encodePdu, type EncodedPdu } from './pdu-encode.ts';
export { splitIntoSubmitPdus, MAX_CONCATENATED_PARTS, type SubmitPart, type SubmitRequest } from './split.ts';
export { TYPES_OF_NUMBER, formatAddress, parseAddressText } from './address.ts';
export { decodeDcs, encodeDcs, DCS_8BIT_DATA } from './dcs.ts';
export { timestampToIso, timestampToEpochMs, validityPeriodSeconds, relativeValiditySeconds } from './timestamp.ts';
export { IEI_CONCAT_8BIT, IEI_CONCAT_16BIT, IEI_PORTS_8BIT, IEI_PORTS_16BIT } from './udh.ts';
export { decodeGsm7Septets, encodeGsm7Septets, isGsm7Encodable } from './gsm7.ts';
