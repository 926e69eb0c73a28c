/**
 * The admin HTTP API (fastify): routes in admin-routes.ts, bearer tokens (admin-tokens.ts),
 * request validation with TypeBox's compiler (the schema library of the configuration), every
 * error as `{code, message}` with a stable code (docs/errors.md), the OpenAPI document from the
 * route schemas (@fastify/swagger), Prometheus metrics at /metrics, the live status page at
 * /status with its event stream, the queue board (bull-board) at /queues/. Started after the gateway
 * and stopped before it (src/cli/run-service.ts).
 */
import type { AddressInfo } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from '../log/index.ts';
import { GatewayError, type ErrorCode } from '../shared/errors.ts';
import type { AdminGateway } from './admin-gateway.ts';
import { bodyRuleOf, bodyTooLarge, checkBody, parseJsonBody } from './admin-body.ts';
import { AdminMetrics } from './admin-metrics.ts';
import { registerAdminRoutes, type RouteAccess } from './admin-routes.ts';
import { AdminTokens, type AdminTokenConfig } from './admin-tokens.ts';
import { registerStatusEvents } from './status-events.ts';
import { registerStatusPage } from './status-page.ts';
import { startMetricsServer } from './metrics-server.ts';
import { registerWakeupRoutes } from './wakeup-routes.ts';
import { boardAuthorization, registerQueueBoard } from './queue-board.ts';

/** Options of {@link AdminServer.start}. */
export interface AdminServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tokens: AdminTokenConfig;
  /** Largest request body; larger ones are answered 400 GW_ERR_ADMIN_REQUEST. */
  readonly bodyLimitBytes: number;
  /** Also serve `/metrics` here, without a token (null: only on the API's address, with a token). */
  readonly metricsListen?: { readonly host: string; readonly port: number } | null;
  /** For the status route and the OpenAPI document. */
  readonly version: string;
  readonly logger: Logger;
}

/** HTTP status of each error code the API answers with. */
const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  GW_ERR_ADMIN_REQUEST: 400, GW_ERR_ADMIN_UNAUTHORIZED: 401, GW_ERR_ADMIN_FORBIDDEN: 403, GW_ERR_ADMIN_NOT_FOUND: 404,
  GW_ERR_SMS_ENCODE: 400, GW_ERR_SMS_TOO_LONG: 400, GW_ERR_POOL_NO_MODEM: 503, GW_ERR_MODEM_UNAVAILABLE: 503, GW_ERR_MODEM_NOT_REGISTERED: 503,
  GW_ERR_MODEM_SEND_FAILED: 502, GW_ERR_MODEM_SEND_UNKNOWN: 502,
  GW_ERR_WAKEUP_REDIS: 503, GW_ERR_ADMIN_REDIS: 503,
};

function sendError(reply: FastifyReply, error: GatewayError): FastifyReply {
  return reply.code(STATUS_OF[error.code] ?? 500).type('application/json').send(error.toJSON());
}

/**
 * A validator from TypeBox's compiler; the message names the first offending field. A body is
 * judged by admin-body.ts's {@link checkBody} (the write routes' rules, the same function the fuzz
 * bench runs), its error kept as the typed error the client gets.
 */
function typeboxValidator({ schema, httpPart }: { schema: unknown; httpPart?: string }): (data: unknown) => { value?: unknown; error?: Error } {
  const check = TypeCompiler.Compile(schema as TSchema);
  if (httpPart === 'body') {
    const rule = bodyRuleOf(schema) ?? { compiled: check, problem: () => null };
    return (data) => {
      try {
        return { value: checkBody(rule, data) };
      } catch (error) {
        return { error: error as GatewayError };
      }
    };
  }
  return (data) => {
    // A query string's values arrive as text: converted to the schema's numbers, defaults filled in.
    const value = httpPart === 'querystring' ? Value.Convert(schema as TSchema, Value.Default(schema as TSchema, Value.Clone(data))) : data;
    if (check.Check(value)) return { value };
    const first = check.Errors(value).First();
    return { error: new Error(`${httpPart ?? 'request'}${first?.path ?? ''} ${first?.message ?? 'is invalid'}`) };
  };
}

/** The error a failed request becomes. */
function requestError(error: FastifyError, bodyLimitBytes: number): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error.validation !== undefined || error.validationContext !== undefined || error.code === 'FST_ERR_VALIDATION') return new GatewayError('GW_ERR_ADMIN_REQUEST', error.message);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return bodyTooLarge(bodyLimitBytes);
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new GatewayError('GW_ERR_ADMIN_REQUEST', 'body must be application/json');
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    // Malformed JSON, an empty JSON body, a bad content length: fastify's message names it.
    return new GatewayError('GW_ERR_ADMIN_REQUEST', error.message);
  }
  return new GatewayError('GW_ERR_INTERNAL', String(error));
}

/** A running admin API. */
export class AdminServer {
  private constructor(private readonly app: FastifyInstance, private readonly metricsApp: FastifyInstance | null, private readonly metrics: AdminMetrics) {}

  /**
   * Builds the routes and listens (and on `metricsListen` when set); rejects with GW_ERR_CONFIG
   * naming `admin.listen` or `admin.metricsListen` when an address cannot be bound (EADDRINUSE
   * …), with nothing left listening.
   */
  static async start(gateway: AdminGateway, options: AdminServerOptions): Promise<AdminServer> {
    const metrics = new AdminMetrics(gateway);
    const app = await AdminServer.build(gateway, options, metrics);
    let metricsApp: FastifyInstance | null = null;
    let key = 'admin.listen';
    try {
      await app.listen({ host: options.host, port: options.port });
      key = 'admin.metricsListen';
      if (options.metricsListen) metricsApp = await startMetricsServer(metrics, options.metricsListen);
    } catch (error) {
      await app.close();
      metrics.close();
      const code = (error as { code?: unknown }).code;
      throw new GatewayError('GW_ERR_CONFIG', `${key} cannot be used: ${typeof code === 'string' ? code : String(error)}`, { key });
    }
    const server = new AdminServer(app, metricsApp, metrics);
    options.logger.info({ admin: server.url, metrics: server.metricsUrl }, 'admin API listening');
    return server;
  }

  /** Where the token-free metrics listener is (`http://host:port/metrics`), or null. */
  get metricsUrl(): string | null {
    return this.metricsApp === null ? null : `http://${AdminServer.hostForUrl(this.metricsApp)}/metrics`;
  }

  private static hostForUrl(app: FastifyInstance): string {
    const address = app.server.address() as AddressInfo;
    return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
  }

  /** The fastify instance with every route, not listening (also for `inject` in tests). */
  static async build(gateway: AdminGateway, options: AdminServerOptions, metrics = new AdminMetrics(gateway)): Promise<FastifyInstance> {
    const tokens = new AdminTokens(options.tokens);
    const log = options.logger.child({ component: 'admin' });
    const app = Fastify({ bodyLimit: options.bodyLimitBytes, logger: false, forceCloseConnections: true, return503OnClosing: true });
    app.setValidatorCompiler(typeboxValidator);
    // JSON bodies: admin-body.ts's parser (size, syntax, no __proto__ key), fastify's streaming limit before it.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as Buffer, options.bodyLimitBytes));
      } catch (error) {
        done(error as GatewayError, undefined);
      }
    });
    // Responses are plain JSON.stringify: the response schemas document, they do not filter.
    app.setSerializerCompiler(() => (data: unknown) => JSON.stringify(data));
    app.addHook('onRequest', async (request, reply) => {
      const config = request.routeOptions.config as { access?: RouteAccess; board?: boolean } | undefined;
      const rule = config?.access ?? 'read';
      if (rule === 'public') return;
      // The queue board's requests come from a browser: their token is in a cookie (queue-board.ts).
      const authorization = request.headers.authorization ?? (config?.board === true ? boardAuthorization(request.headers.cookie) : undefined);
      const granted = tokens.accessOf(authorization);
      if (granted === null) {
        log.warn({ method: request.method, url: request.url, ip: request.ip, token: authorization === undefined ? 'none' : 'unknown' }, 'admin request refused: no valid token');
        reply.header('www-authenticate', 'Bearer realm="smsbridge"');
        return sendError(reply, new GatewayError('GW_ERR_ADMIN_UNAUTHORIZED', 'a valid bearer token is required (Authorization: Bearer <token>)'));
      }
      if (rule === 'write' && granted !== 'write') {
        log.warn({ method: request.method, url: request.url, ip: request.ip }, 'admin request refused: read-only token on a write route');
        return sendError(reply, new GatewayError('GW_ERR_ADMIN_FORBIDDEN', 'the read-only token may not change anything; use the read-write token'));
      }
      return undefined;
    });
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const typed = requestError(error, options.bodyLimitBytes);
      if (typed.code === 'GW_ERR_INTERNAL') log.error({ err: error, method: request.method, url: request.url }, 'admin request failed');
      else if (request.method !== 'GET') log.info({ method: request.method, url: request.url, code: typed.code }, typed.message);
      return sendError(reply, typed);
    });
    app.setNotFoundHandler((request, reply) => sendError(reply, new GatewayError('GW_ERR_ADMIN_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`)));
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'lwm2m-sms-bridge admin API', version: options.version, description: 'See docs/admin.md. Every route but /api/v1/health needs a bearer token.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    registerAdminRoutes(app, gateway, metrics, { version: options.version, startedAtMs: Date.now() });
    registerWakeupRoutes(app, gateway);
    await registerQueueBoard(app, gateway.queues);
    registerStatusEvents(app, gateway);
    registerStatusPage(app);
    app.addHook('onResponse', async (request, reply) => {
      if (request.method !== 'GET' && reply.statusCode < 400) log.info({ method: request.method, url: request.url, status: reply.statusCode }, 'admin request');
    });
    await app.ready();
    return app;
  }

  /** Where it listens, e.g. `http://127.0.0.1:8683`. */
  get url(): string {
    return `http://${AdminServer.hostForUrl(this.app)}`;
  }

  /** Stops listening and closes open connections. Never rejects. */
  async stop(): Promise<void> {
    await this.metricsApp?.close().catch(() => undefined);
    await this.app.close().catch(() => undefined);
    this.metrics.close();
  }
}
