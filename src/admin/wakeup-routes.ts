/**
 * Wake-up and queue routes of the admin API (docs/admin.md): request a device's wake-up, list
 * the live wake-up jobs with each device's last outcome, one device's job and outcome, and the
 * job counts of every BullMQ queue of the gateway. Outcomes are shown as the wake-up service
 * stored them (their fields are not listed here). Redis away: 503 (GW_ERR_WAKEUP_REDIS,
 * GW_ERR_ADMIN_REDIS) at once or after a bound, never a hanging request.
 */
import type { FastifyInstance } from 'fastify';
import type { WakeupJobView } from '../queue/wakeup-service.ts';
import { GatewayError } from '../shared/errors.ts';
import type { AdminGateway } from './admin-gateway.ts';
import { queueCounts } from './admin-queues.ts';
import { access } from './admin-routes.ts';
import { ErrorBody } from './admin-schemas.ts';
import {
  QueuesBody, WakeupList, WakeupListQuery, WakeupParams, WakeupRequest, WakeupRequested, WakeupState,
} from './queue-schemas.ts';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };

/** A live job as the API shows it (without its outcome). */
function jobBody(job: WakeupJobView): Record<string, unknown> {
  return {
    endpoint: job.endpoint, jobId: job.jobId, state: job.state, attempts: job.attempts, triggers: job.triggers,
    source: job.source, requestedAt: new Date(job.requestedAtMs).toISOString(),
  };
}

/** Registers the wake-up and queue routes on `app`. */
export function registerWakeupRoutes(app: FastifyInstance, gateway: AdminGateway): void {
  app.post<{ Body: WakeupRequest }>('/api/v1/wakeups', {
    ...access('write'),
    schema: {
      summary: 'Ask for a device to be woken by trigger SMS: one job per device however often it is asked.',
      body: WakeupRequest, response: { 200: WakeupRequested, 404: ErrorBody, ...errors },
    },
  }, async (request) => {
    const { endpoint } = request.body;
    if (!gateway.hasDevice(endpoint)) throw new GatewayError('GW_ERR_ADMIN_NOT_FOUND', `no device "${endpoint}" is registered`);
    return gateway.wakeups.request(endpoint, 'admin');
  });

  app.get<{ Querystring: WakeupListQuery }>('/api/v1/wakeups', {
    ...access('read'),
    schema: {
      summary: 'Live wake-up jobs (active, waiting, prioritized, delayed) with attempts and each device\'s last outcome; paginated.',
      querystring: WakeupListQuery, response: { 200: WakeupList, ...errors },
    },
  }, async (request) => {
    const offset = request.query.offset ?? 0;
    const limit = request.query.limit ?? 100;
    const { total, jobs } = await gateway.wakeups.jobs(offset, limit);
    const outcomes = await gateway.wakeups.lastOutcomes(jobs.map((job) => job.endpoint));
    return { total, offset, limit, jobs: jobs.map((job, i) => ({ ...jobBody(job), lastOutcome: outcomes[i] ?? null })) };
  });

  app.get<{ Params: WakeupParams }>('/api/v1/wakeups/:endpoint', {
    ...access('read'),
    schema: { summary: 'One device\'s wake-up: its live job (or null) and its last outcome.', params: WakeupParams, response: { 200: WakeupState, 404: ErrorBody, ...errors } },
  }, async (request) => {
    const { endpoint } = request.params;
    const [job, lastOutcome] = await Promise.all([gateway.wakeups.job(endpoint), gateway.wakeups.lastOutcome(endpoint)]);
    if (job === null && lastOutcome === null && !gateway.hasDevice(endpoint)) throw new GatewayError('GW_ERR_ADMIN_NOT_FOUND', `no device "${endpoint}" is registered and none was woken`);
    return { endpoint, job: job === null ? null : jobBody(job), lastOutcome };
  });

  app.get('/api/v1/queues', {
    ...access('read'),
    schema: { summary: 'Job counts per state of every BullMQ queue of the gateway.', response: { 200: QueuesBody, ...errors } },
  }, async () => ({ queues: await queueCounts(gateway.queues) }));
}
