/**
 * The simulated LwM2M device: a client with the U and S bindings (and their queue modes) that
 * registers over UDP or SMS through the simulated network, and an SMS tunnel that turns any
 * UDP LwM2M client into an SMS device. The entry point other folders import.
 */
export { SimDevice } from './sim-device.ts';
export type { SimDeviceStats, SimDeviceEvents, RegistrationInfo, UpdateReason, AnsweredRequest } from './device-types.ts';
export { AwakeWindow, type AwakeWindowOptions } from './awake-window.ts';
export { bindUdpSocket, udpPeer } from './udp-bearer.ts';
export {
  DEFAULT_OBJECT_LINKS, objectLinkList, registerQuery, resolveSimDeviceSettings,
  type HostPort, type SimDeviceOptions, type SimDeviceSettings,
} from './device-settings.ts';
export { DEFAULT_DEVICE_INFO, DeviceObjects, type DeviceInfo, type DeviceAnswer, type DeviceEffect, type DeviceObjectsInit } from './device-objects.ts';
export { SmsTunnel, type SmsTunnelOptions, type SmsTunnelStats, type SmsTunnelEvents } from './sms-tunnel.ts';
export { DeviceSmsLink, type DeviceSmsLinkOptions, type DeviceSmsLinkStats, type DeviceSmsLinkEvents, type SmsIgnoredReason } from './sms-link.ts';
export { SmsReassembler, type SmsReassemblerOptions, type SmsReassemblerStats } from './sms-reassembler.ts';
export {
  DeviceCoapEndpoint, type Bearer, type CoapPeer, type CoapTimingOptions, type ExchangeResult, type HandledRequest, type RequestHandler,
  type OutgoingRequest, type DeviceCoapEndpointEvents,
} from './coap-endpoint.ts';
export {
  decodeTlv, encodeTlv, readTlvInteger, readTlvString, tlvBooleanValue, tlvIntegerValue, tlvMultipleResource, tlvResource, tlvStringValue,
  MAX_TLV_IDENTIFIER, MAX_TLV_LENGTH, type TlvNode, type TlvLeaf, type TlvParent, type TlvType,
} from './lwm2m-tlv.ts';
export { WAP_PUSH_PORT, unwrapWapPush } from './wap-push.ts';
