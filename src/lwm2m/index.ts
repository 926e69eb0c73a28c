/**
 * LwM2M and CoAP codecs of the gateway: the CoAP message format (RFC 7252), CoRE Link Format
 * (RFC 6690) and the Register / Update parameters of LwM2M, pure; and the CoAP message layer (retransmission,
 * de-duplication, exchange matching), whose timers come from an injected clock and which owns no socket.
 */
export * from './coap-codes.ts';
export * from './coap-options.ts';
export * from './coap-message.ts';
export * from './coap-builders.ts';
export * from './coap-parameters.ts';
export * from './link-format.ts';
export * from './registration-request.ts';
export { decodeUtf8Strict, encodeUtf8Strict, invalidUtf8Offset } from './utf8.ts';
export * from './coap-clock.ts';
export * from './coap-retransmission.ts';
export * from './coap-deduplicator.ts';
export * from './coap-exchange-store.ts';
