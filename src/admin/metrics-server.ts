/**
 * `/metrics` on an address of its own (`admin.metricsListen`), without a token: for a
 * Prometheus that reaches the gateway over a private network and should not hold the admin
 * token. Only `GET /metrics` is served there; everything else is 404.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { GatewayError } from '../shared/errors.ts';
import type { AdminMetrics } from './admin-metrics.ts';

/** Starts the metrics listener; rejects when the address cannot be bound. */
export async function startMetricsServer(metrics: AdminMetrics, listen: { readonly host: string; readonly port: number }): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1024 });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  app.setNotFoundHandler((request, reply) => reply.code(404).send(new GatewayError('GW_ERR_ADMIN_NOT_FOUND', `only GET /metrics is served here, not ${request.method} ${request.url.split('?')[0] ?? ''}`).toJSON()));
  try {
    await app.listen({ host: listen.host, port: listen.port });
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
