/**
 * The admin API's request and response shapes, in TypeBox (the schema library of the
 * configuration): the same objects validate request bodies and parameters and become the
 * OpenAPI document (/api/v1/openapi.json).
 */
import { Type, type Static } from '@sinclair/typebox';

/** E.164 (ITU-T E.164 §6: at most 15 digits, country code first, no leading zero), with `+`. */
export const E164_PATTERN = '^\\+[1-9][0-9]{1,14}$';

/** Longest text accepted by the send route (a long text becomes up to 255 concatenated parts). */
export const MAX_SEND_TEXT_CHARS = 1600;
/** Longest binary payload accepted by the send route, in bytes. */
export const MAX_SEND_DATA_BYTES = 1400;

/** Every error answer: the stable code of docs/errors.md and a message naming what was wrong. */
export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true, description: 'An error: code from docs/errors.md, and a message.' });

export const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], { description: 'degraded while Redis is away or no modem is ready.' }),
  redis: Type.String({ description: 'ioredis connection state of the command connection (ready when connected).' }),
  modemsReady: Type.Integer(),
  modems: Type.Integer(),
});

const Counters = Type.Record(Type.String(), Type.Number());

export const StatusBody = Type.Object({
  version: Type.String(),
  uptimeSec: Type.Number(),
  redis: Type.Object({ commands: Type.String(), consumer: Type.String() }),
  modems: Type.Object({ total: Type.Integer(), ready: Type.Integer() }),
  devices: Type.Object({ total: Type.Integer(), registered: Type.Integer(), sms: Type.Integer(), udp: Type.Integer() }),
  relay: Counters,
  heldRequests: Type.Integer({ description: 'Core requests held now for devices that cannot be reached.' }),
  sms: Counters,
  unknownSenders: Type.Integer(),
  coreSockets: Type.Optional(Type.Object({
    open: Type.Integer({ description: 'Core-facing sockets open now (one per device).' }),
    waiting: Type.Integer({ description: 'Devices whose recorded address could not be bound yet (after a restart); retried by the maintenance timer, backing off from 1 s to 60 s while retries fail.' }),
    bound: Type.Integer(), bindFailures: Type.Integer(), fileLimitFailures: Type.Integer(), moved: Type.Integer(),
  }, { description: 'Core-facing sockets: now, and the pool\'s counters since start.' })),
});

const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Number> | ReturnType<typeof Type.Integer>>(schema: T) => Type.Union([schema, Type.Null()]);

export const ModemBody = Type.Object({
  name: Type.String(),
  path: Type.String(),
  state: Type.String({ description: 'opening, initialising, ready, degraded, resetting, disconnected, blocked, failed or stopped.' }),
  profile: Nullable(Type.String()),
  model: Nullable(Type.String()),
  registered: Type.Boolean(),
  registration: Nullable(Type.String({ description: '+CREG/+CEREG status: home, roaming, searching, …' })),
  operator: Nullable(Type.String()),
  signalDbm: Nullable(Type.Number()),
  storage: Type.Union([Type.Object({ name: Type.String(), used: Type.Integer(), total: Type.Integer() }), Type.Null()]),
  receiveRoute: Nullable(Type.String({ description: 'How SMS arrive now: direct (+CMT, AT+CNMA) or stored (+CMTI, read in batches); null while not initialised.' })),
  receiveRouteState: Nullable(Type.String({ description: 'The adaptive receive route\'s state: direct, to-stored, stored, to-direct, direct-fixed or stored-fixed (no switching on this connection).' })),
  counters: Counters,
  lastError: Type.Union([Type.Object({ code: Type.String(), message: Type.String(), at: Type.String({ format: 'date-time' }) }), Type.Null()]),
  atTrace: Type.Boolean(),
});
export const ModemsBody = Type.Object({ modems: Type.Array(ModemBody) });

export const DeviceBody = Type.Object({
  endpoint: Type.String(),
  bearer: Type.Union([Type.Literal('sms'), Type.Literal('udp')], { description: 'How the device was last heard.' }),
  binding: Type.String(),
  queueMode: Type.Boolean(),
  registered: Type.Boolean(),
  presence: Type.Union([Type.Literal('awake'), Type.Literal('asleep')], { description: 'awake: heard within the awake window (queue mode, LwM2M 1.1 Core §6.5), so reachable now without a wake-up.' }),
  lwm2mVersion: Type.String(),
  lifetimeSec: Type.Integer(),
  msisdn: Nullable(Type.String()),
  udp: Nullable(Type.String({ description: 'host:port last heard from over UDP.' })),
  smsModem: Nullable(Type.String()),
  corePort: Nullable(Type.Integer()),
  lastSeen: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  smsSpentToday: Type.Integer({ description: 'SMS parts sent to the device today (UTC day), counted against its daily SMS budget.' }),
});
export const DevicesBody = Type.Object({ devices: Type.Array(DeviceBody) });

export const ModemParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 63 }) }, { additionalProperties: false });

export const AtTraceRequest = Type.Object({ on: Type.Boolean({ description: 'true: log every AT line of this modem (PINs redacted).' }) }, { additionalProperties: false });
export type AtTraceRequest = Static<typeof AtTraceRequest>;
export const AtTraceBody = Type.Object({ modem: Type.String(), atTrace: Type.Boolean() });

export const SendRequest = Type.Object({
  to: Type.String({ pattern: E164_PATTERN, description: 'Destination in E.164 with +, e.g. +491701234567.' }),
  text: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_SEND_TEXT_CHARS, description: 'Text (GSM 7-bit when every character has a code, else UCS2). Exactly one of text and dataHex.' })),
  dataHex: Type.Optional(Type.String({ minLength: 2, maxLength: MAX_SEND_DATA_BYTES * 2, pattern: '^([0-9A-Fa-f]{2})+$', description: 'Binary payload as hex, sent as 8-bit data (DCS 0x04).' })),
}, { additionalProperties: false });
export type SendRequest = Static<typeof SendRequest>;
export const SendBody = Type.Object({ messageId: Type.String(), modem: Type.String(), parts: Type.Integer() });
