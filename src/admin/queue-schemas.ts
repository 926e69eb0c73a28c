/**
 * TypeBox shapes of the wake-up and queue routes (wakeup-routes.ts): they validate the requests
 * and become the OpenAPI document, like admin-schemas.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { QUEUE_STATES } from './admin-queues.ts';

/** Longest endpoint name the routes take (the registration's own limit is lower). */
export const MAX_ENDPOINT_CHARS = 255;
/** Most jobs one page of `GET /api/v1/wakeups` lists. */
export const MAX_WAKEUP_PAGE = 500;

const Endpoint = Type.String({ minLength: 1, maxLength: MAX_ENDPOINT_CHARS, description: 'The device\'s LwM2M endpoint name.' });

/** Body of `POST /api/v1/wakeups`. */
export const WakeupRequest = Type.Object({ endpoint: Endpoint }, { additionalProperties: false });
export type WakeupRequest = Static<typeof WakeupRequest>;

/** Answer of `POST /api/v1/wakeups`. */
export const WakeupRequested = Type.Object({
  endpoint: Type.String(),
  jobId: Type.String({ description: 'The same for every request while the job lives.' }),
  state: Type.String({ description: 'BullMQ state right after the request: waiting, delayed, active (unknown if it already ended).' }),
});

/** Path parameters of `GET /api/v1/wakeups/{endpoint}`. */
export const WakeupParams = Type.Object({ endpoint: Endpoint }, { additionalProperties: false });
export type WakeupParams = Static<typeof WakeupParams>;

/** Query of `GET /api/v1/wakeups`: a page of the live jobs. */
export const WakeupListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WAKEUP_PAGE, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
}, { additionalProperties: false });
export type WakeupListQuery = Static<typeof WakeupListQuery>;

/** How a wake-up ended, as the wake-up service stored it (its fields may grow; shown as they are). */
const Outcome = Type.Union([
  Type.Object({ result: Type.String({ description: 'woke, gave-up or skipped' }), endpoint: Type.String() }, { additionalProperties: true }),
  Type.Null(),
]);

/** A live wake-up job with its device's last outcome. */
export const WakeupJob = Type.Object({
  endpoint: Type.String(),
  jobId: Type.String(),
  state: Type.String({ description: 'BullMQ state: active, waiting, prioritized, delayed.' }),
  attempts: Type.Integer({ description: 'Attempts made (each sends at most one trigger SMS).' }),
  triggers: Type.Integer({ description: 'Trigger SMS sent for this job.' }),
  source: Type.String({ description: 'Who asked: held-request, admin, cli.' }),
  requestedAt: Type.String({ format: 'date-time' }),
  lastOutcome: Outcome,
});

/** Answer of `GET /api/v1/wakeups`. */
export const WakeupList = Type.Object({
  total: Type.Integer({ description: 'Live jobs in all.' }),
  offset: Type.Integer(),
  limit: Type.Integer(),
  jobs: Type.Array(WakeupJob),
});

/** Answer of `GET /api/v1/wakeups/{endpoint}`. */
export const WakeupState = Type.Object({
  endpoint: Type.String(),
  job: Type.Union([Type.Omit(WakeupJob, ['lastOutcome']), Type.Null()], { description: 'The live job, or null when none is running.' }),
  lastOutcome: Outcome,
});

/** Answer of `GET /api/v1/queues`: counts per state of each queue. */
export const QueuesBody = Type.Object({
  queues: Type.Array(Type.Object({
    name: Type.String(),
    counts: Type.Object(Object.fromEntries(QUEUE_STATES.map((state) => [state, Type.Integer()]))),
  })),
});
