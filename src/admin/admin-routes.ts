/**
 * The routes of the admin API under `/api/v1` (docs/admin.md). Each declares who may call it
 * (`config.access`: public, read, write; checked in admin-server.ts) and its TypeBox schemas,
 * which validate the request and make the OpenAPI document.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../shared/errors.ts';
import type { AdminGateway } from './admin-gateway.ts';
import type { AdminMetrics } from './admin-metrics.ts';
import {
  AtTraceBody, AtTraceRequest, DevicesBody, ErrorBody, HealthBody, ModemParams, ModemsBody, SendBody, SendRequest, StatusBody,
} from './admin-schemas.ts';
import type { ModemStatus } from '../modem/modem-types.ts';
import type { AdminGatewayStatus } from './admin-gateway.ts';

/** Who may call a route: anyone, either token, or the read-write token only. */
export type RouteAccess = 'public' | 'read' | 'write';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (see {@link RouteAccess}); `read` when absent. */
    access?: RouteAccess;
  }
}

/** Route options carrying the access rule. */
export function access(rule: RouteAccess): { config: { access: RouteAccess } } {
  return { config: { access: rule } };
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A modem as the API shows it. */
export function modemView(modem: ModemStatus, atTraced: readonly string[]): Record<string, unknown> {
  return {
    name: modem.name, path: modem.path, state: modem.state, profile: modem.profile, model: modem.identity?.model ?? null,
    registered: modem.registered, registration: modem.registration, operator: modem.operator, signalDbm: modem.signalDbm,
    storage: modem.storage, receiveRoute: modem.receiveRoute, receiveRouteState: modem.receiveRouteState, counters: { ...modem.counters },
    lastError: modem.lastError === null ? null : { code: modem.lastError.code, message: modem.lastError.message, at: iso(modem.lastError.atMs) },
    atTrace: atTraced.includes(modem.name),
  };
}

/** A device as the API shows it. */
export function deviceView(device: AdminGatewayStatus['devices'][number]): Record<string, unknown> {
  return {
    endpoint: device.endpoint, bearer: device.lastBearer, binding: device.binding, queueMode: device.queueMode, registered: device.registered,
    presence: device.awake ? 'awake' : 'asleep',
    lwm2mVersion: device.lwm2mVersion, lifetimeSec: device.lifetimeSec, msisdn: device.msisdn,
    udp: device.udpHost === null ? null : `${device.udpHost.includes(':') ? `[${device.udpHost}]` : device.udpHost}:${device.udpPort ?? 0}`,
    smsModem: device.smsModem, corePort: device.corePort,
    lastSeen: iso(device.lastActivityMs), expiresAt: iso(device.lastActivityMs + device.lifetimeSec * 1000),
    smsSpentToday: device.smsSpentToday ?? 0,
  };
}

/** Registers every route on `app`. */
export function registerAdminRoutes(app: FastifyInstance, gateway: AdminGateway, metrics: AdminMetrics, info: { version: string; startedAtMs: number }): void {
  app.get('/api/v1/health', { ...access('public'), schema: { summary: 'Liveness; no token needed.', security: [], response: { 200: HealthBody } } }, async () => {
    const status = await gateway.status();
    const ready = status.modems.filter((modem) => modem.state === 'ready' || modem.state === 'degraded').length;
    const healthy = status.redis.commands === 'ready' && ready > 0;
    return { status: healthy ? 'ok' : 'degraded', redis: status.redis.commands, modemsReady: ready, modems: status.modems.length };
  });

  app.get('/api/v1/status', { ...access('read'), schema: { summary: 'An overview: Redis, modems, devices, relay and SMS counters.', response: { 200: StatusBody, ...errors } } }, async () => {
    const status = await gateway.status();
    const sms = status.devices.filter((device) => device.lastBearer === 'sms').length;
    return {
      version: info.version, uptimeSec: Math.round((Date.now() - info.startedAtMs) / 1000), redis: status.redis,
      modems: { total: status.modems.length, ready: status.modems.filter((modem) => modem.state === 'ready').length },
      devices: { total: status.devices.length, registered: status.devices.filter((device) => device.registered).length, sms, udp: status.devices.length - sms },
      relay: status.relay, heldRequests: status.heldRequests, sms: status.sms, unknownSenders: status.unknownSenders,
      ...(status.coreSockets === undefined ? {} : { coreSockets: status.coreSockets }),
    };
  });

  app.get('/api/v1/modems', { ...access('read'), schema: { summary: 'Every modem: state, signal, registration, counters, last error.', response: { 200: ModemsBody, ...errors } } }, async () => {
    const status = await gateway.status();
    return { modems: status.modems.map((modem) => modemView(modem, gateway.atTraced)) };
  });

  app.put<{ Params: { name: string }; Body: AtTraceRequest }>('/api/v1/modems/:name/at-trace', {
    ...access('write'),
    schema: { summary: 'Switch the AT trace of one modem (logged at info, PINs redacted).', params: ModemParams, body: AtTraceRequest, response: { 200: AtTraceBody, 404: ErrorBody, ...errors } },
  }, async (request) => {
    try {
      gateway.setAtTrace(request.params.name, request.body.on);
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'GW_ERR_CONFIG') throw new GatewayError('GW_ERR_ADMIN_NOT_FOUND', `no modem named "${request.params.name}"`);
      throw error;
    }
    return { modem: request.params.name, atTrace: request.body.on };
  });

  app.get('/api/v1/devices', { ...access('read'), schema: { summary: 'The registration mirror: every device with bearer, binding and last activity.', response: { 200: DevicesBody, ...errors } } }, async () => {
    const status = await gateway.status();
    return { devices: status.devices.map(deviceView) };
  });

  app.post<{ Body: SendRequest }>('/api/v1/sms', {
    ...access('write'),
    schema: { summary: 'Send one SMS (text or binary) through the modem pool; routed like the relay\'s SMS.', body: SendRequest, response: { 200: SendBody, 502: ErrorBody, 503: ErrorBody, ...errors } },
  }, async (request) => {
    const { to, text, dataHex } = request.body; // exactly one of text and dataHex: admin-body.ts
    return gateway.sendSms(to, text !== undefined ? { text } : { data: Buffer.from(dataHex!, 'hex') });
  });

  app.get('/metrics', { ...access('read'), schema: { summary: 'Prometheus metrics (text format).', produces: ['text/plain'], response: { 200: Type.String({ description: 'Prometheus text format 0.0.4.' }), 401: ErrorBody } } }, async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });

  app.get('/api/v1/openapi.json', { ...access('read'), schema: { hide: true } }, async () => app.swagger());
}
