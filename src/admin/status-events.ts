/**
 * `GET /api/v1/events`: server-sent events (HTML Living Standard §9.2, text/event-stream) with
 * the gateway's modems, devices and queue counts, for the status page. One `status` event at once, then one
 * whenever the snapshot changed, checked every `intervalMs`; a comment line keeps idle
 * connections open through proxies. Each connection's timer ends when the client goes or the
 * server closes.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AdminGateway } from './admin-gateway.ts';
import { queueCounts } from './admin-queues.ts';
import { access, deviceView, modemView } from './admin-routes.ts';
import { ErrorBody } from './admin-schemas.ts';

/** Period of the change check, and of keep-alive comments when nothing changes (every 15th check). */
export const STATUS_EVENTS_INTERVAL_MS = 1000;

/** The snapshot the status page shows. */
async function snapshot(gateway: AdminGateway): Promise<string> {
  const [status, queues] = await Promise.all([gateway.status(), queueCounts(gateway.queues).catch(() => null)]);
  return JSON.stringify({
    modems: status.modems.map((modem) => modemView(modem, gateway.atTraced)),
    devices: status.devices.map(deviceView),
    redis: status.redis.commands,
    // null while Redis is away (the counts are in Redis)
    queues,
    smsSpendToday: status.smsSpend?.todayParts ?? null,
  });
}

/** Registers the event stream on `app`. */
export function registerStatusEvents(app: FastifyInstance, gateway: AdminGateway, intervalMs = STATUS_EVENTS_INTERVAL_MS): void {
  app.get('/api/v1/events', { ...access('read'), schema: { summary: 'Server-sent events: a `status` event with modems, devices and queue counts whenever they change.', produces: ['text/event-stream'], response: { 200: Type.String({ description: 'text/event-stream: `event: status` with `data:` the JSON of modems, devices, redis and queues.' }), 401: ErrorBody } } }, async (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    let last = '';
    let idleChecks = 0;
    let busy = false;
    const push = async (): Promise<void> => {
      if (busy || raw.destroyed) return;
      busy = true;
      try {
        const next = await snapshot(gateway);
        if (next !== last) {
          last = next;
          idleChecks = 0;
          raw.write(`event: status\ndata: ${next}\n\n`);
        } else if (++idleChecks % 15 === 0) {
          raw.write(': keep-alive\n\n');
        }
      } catch {
        // The next check tries again; the snapshot is from memory and does not normally fail.
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void push(), intervalMs);
    const end = (): void => clearInterval(timer);
    request.raw.on('close', end);
    raw.on('close', end);
    raw.on('error', end);
    await push();
  });
}
