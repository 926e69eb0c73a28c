/**
 * The registration store shared by gateway processes (issue 8, "Presence and the registration
 * store"; issue 10, CPU per Update): every write is one Lua script, so two processes cannot lose
 * each other's changes; expiry is swept from the deadline set in Redis; an Update that changes
 * nothing writes nothing. Each "process" here is a mirror with a Redis connection of its own, on
 * a private redis-server.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, type CoapMessage } from '../../../src/lwm2m/index.ts';
import type { DeviceRecord, DeviceSource } from '../../../src/lwm2m/device-record.ts';
import { RedisRegistrationStore } from '../../../src/lwm2m/redis-registration-store.ts';
import { Presence } from '../../../src/lwm2m/presence.ts';
import { RegistrationMirror } from '../../../src/lwm2m/registration-mirror.ts';
import { commandsDuring } from '../../support/redis-monitor.ts';
import { usePrivateRedis } from '../../support/test-scope.ts';

const PREFIX = 'test:reg:';
const T0 = 1_796_000_000_000;
const ports = new Map<string, number>();
/** Each device its own address. */
function sourceOf(endpoint: string): DeviceSource {
  if (!ports.has(endpoint)) ports.set(endpoint, 40_000 + ports.size);
  return { bearer: 'udp', host: '127.0.0.10', port: ports.get(endpoint)! };
}

const { redis: admin, server, client } = usePrivateRedis({ flushBeforeEach: false });

afterEach(async () => {
  await admin().flushall();
});

/** A gateway process's view: its own connection, store and mirror, on a clock the test moves. */
function gatewayProcess(clock: { nowMs: number }, options: { activityPersistIntervalMs?: number; activityBatchMs?: number; presence?: Presence } = {}): { redis: Redis; store: RedisRegistrationStore; mirror: RegistrationMirror } {
  const redis = client();
  const store = new RedisRegistrationStore(redis, PREFIX);
  return { redis, store, mirror: new RegistrationMirror(store, { now: () => clock.nowMs, ...options }) };
}

let messageId = 1;
function request(path: string[], query: string[], code: number = CoapCode.POST): CoapMessage {
  messageId += 1;
  return coapRequest({ code, messageId, token: Uint8Array.of(messageId >> 8, messageId & 0xff), path, query, contentFormat: 40, payload: path.length === 1 ? '</3/0>' : '' });
}

async function register(mirror: RegistrationMirror, endpoint: string, lifetimeSec: number): Promise<void> {
  const message = request(['rd'], [`ep=${endpoint}`, `lt=${lifetimeSec}`, 'b=U']);
  await mirror.noteUplink(sourceOf(endpoint), message);
  await mirror.noteCoreResponse(endpoint, coapResponse(message, CoapCode.CREATED, undefined, {
    options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(endpoint) }],
  }));
}

async function update(mirror: RegistrationMirror, endpoint: string, query: string[]): Promise<void> {
  const message = request(['rd', endpoint], query);
  await mirror.noteUplink(sourceOf(endpoint), message);
  await mirror.noteCoreResponse(endpoint, coapResponse(message, CoapCode.CHANGED));
}

async function stored(redis: Redis, endpoint: string): Promise<DeviceRecord | null> {
  const json = await redis.get(`${PREFIX}device:${endpoint}`);
  return json === null ? null : (JSON.parse(json) as DeviceRecord);
}

describe('registration store: two gateway processes on one Redis', () => {
  it('keeps both an Update accepted by one process and activity written by the other', async () => {
    const clock = { nowMs: T0 };
    const a = gatewayProcess(clock);
    const b = gatewayProcess(clock);
    await register(a.mirror, 'dev-1', 300);
    await b.mirror.load();

    clock.nowMs = T0 + 10_000;
    await update(a.mirror, 'dev-1', ['lt=600', 'b=UQ']);
    clock.nowMs = T0 + 20_000;
    // The device answers a request that went through process B (a 2.05 Content).
    const read = request(['3', '0'], [], CoapCode.GET);
    expect(await b.mirror.noteUplink(sourceOf('dev-1'), coapResponse(read, CoapCode.CONTENT, '42'))).toBe('dev-1');
    await b.mirror.persistActivity();

    const record = await stored(a.redis, 'dev-1');
    expect(record).toMatchObject({ lifetimeSec: 600, binding: 'UQ', queueMode: true, lastActivityMs: T0 + 20_000, location: '/rd/dev-1', registered: true });
    expect(await a.redis.zscore(`${PREFIX}expiry`, 'dev-1')).toBe(String(T0 + 20_000 + 600_000));
  });

  it('keeps both when the two writes race (Update in one process, activity touch in the other)', async () => {
    const clock = { nowMs: T0 };
    const a = gatewayProcess(clock);
    const b = gatewayProcess(clock);
    for (let n = 0; n < 20; n += 1) await register(a.mirror, `race-${n}`, 300);
    await b.mirror.load();
    clock.nowMs = T0 + 30_000;
    await Promise.all([
      ...Array.from({ length: 20 }, (_, n) => update(a.mirror, `race-${n}`, [`lt=${900 + n}`])),
      ...Array.from({ length: 20 }, (_, n) => b.store.touch({ endpoint: `race-${n}`, lastActivityMs: T0 + 40_000, lastBearer: 'udp', lastUdpActivityMs: T0 + 40_000 })),
    ]);
    for (let n = 0; n < 20; n += 1) {
      expect(await stored(a.redis, `race-${n}`), `race-${n}`).toMatchObject({ lifetimeSec: 900 + n, lastActivityMs: T0 + 40_000 });
    }
  });
});

describe('registration store: scripts', () => {
  it('keeps writing after Redis lost its script cache (a restart or SCRIPT FLUSH: EVALSHA falls back to EVAL)', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock);
    await register(gw.mirror, 'flushed', 300);
    await client().script('FLUSH');
    clock.nowMs = T0 + 1_000;
    await update(gw.mirror, 'flushed', ['lt=700']);
    expect(await stored(gw.redis, 'flushed')).toMatchObject({ lifetimeSec: 700 });
  });
});

describe('registration store: expiry from Redis', () => {
  it('sweeps a registration written by another process when its lifetime passes, and reports it as lost once', async () => {
    const clock = { nowMs: T0 };
    const other = gatewayProcess(clock);
    await register(other.mirror, 'elsewhere', 60);

    const here = gatewayProcess(clock);
    const third = gatewayProcess(clock);
    const lost: string[] = [];
    const forgotten: string[] = [];
    here.mirror.on('lost', (record) => lost.push(record.endpoint));
    here.mirror.on('forgotten', (endpoint) => forgotten.push(endpoint));
    third.mirror.on('lost', (record) => lost.push(record.endpoint));

    clock.nowMs = T0 + 59_999;
    expect(await here.mirror.expire()).toEqual([]);
    clock.nowMs = T0 + 60_000;
    const [fromHere, fromThird] = await Promise.all([here.mirror.expire(), third.mirror.expire()]);
    expect([...fromHere, ...fromThird].map((record) => record.endpoint)).toEqual(['elsewhere']);
    expect(lost).toEqual(['elsewhere']);
    expect(await stored(here.redis, 'elsewhere')).toBeNull();
    expect(await here.redis.keys(`${PREFIX}*`)).toEqual([`${PREFIX}lapsed`]); // record, deadline and address index all gone
    if (fromHere.length === 1) expect(forgotten).toEqual(['elsewhere']);

    // The process that wrote it forgets it from memory too, with the same events, exactly once.
    const inOther: string[] = [];
    other.mirror.on('lost', (record) => inOther.push(`lost ${record.endpoint}`));
    other.mirror.on('forgotten', (endpoint) => inOther.push(`forgotten ${endpoint}`));
    expect(other.mirror.get('elsewhere')).toBeDefined();
    expect((await other.mirror.expire()).map((record) => record.endpoint)).toEqual(['elsewhere']);
    expect(await other.mirror.expire()).toEqual([]);
    expect(inOther).toEqual(['forgotten elsewhere', 'lost elsewhere']);
    expect(other.mirror.get('elsewhere')).toBeUndefined();
    expect(other.mirror.presence.isAwake('elsewhere', clock.nowMs)).toBe(false);
  });

  it('does not sweep a device whose later activity another process wrote, nor one alive in this process\'s memory only', async () => {
    const clock = { nowMs: T0 };
    const a = gatewayProcess(clock, { activityPersistIntervalMs: 3_600_000 });
    await register(a.mirror, 'busy', 60);
    const b = gatewayProcess(clock);
    await b.store.touch({ endpoint: 'busy', lastActivityMs: T0 + 50_000, lastBearer: 'udp', lastUdpActivityMs: T0 + 50_000 });
    clock.nowMs = T0 + 61_000;
    expect(await b.mirror.expire()).toEqual([]);

    // Activity this process holds in memory only reaches Redis before the sweep runs.
    clock.nowMs = T0 + 105_000;
    expect(a.mirror.noteActivity(sourceOf('busy'), CoapCode.CONTENT)).toBe('busy');
    clock.nowMs = T0 + 110_000;
    expect(await a.mirror.expire()).toEqual([]);
    expect(await stored(a.redis, 'busy')).toMatchObject({ lastActivityMs: T0 + 105_000 });
  });
});

describe('registration store: what one Register costs in Redis commands', () => {
  it('writes once: nothing when the Register arrives, one script call with the whole record when the core answers 2.01', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock);
    const message = request(['rd'], ['ep=once', 'lt=300', 'b=U']);
    const onArrival = await commandsDuring(server().url, gw.redis, async () => {
      await gw.mirror.noteUplink(sourceOf('once'), message);
    });
    expect(onArrival).toEqual([]);
    expect(gw.mirror.get('once')).toMatchObject({ registered: false }); // held in memory for the core's answer
    clock.nowMs = T0 + 20_000; // past the activity interval: still nothing to write for a held Register
    expect(await gw.mirror.persistActivity()).toBe(0);
    expect(await stored(gw.redis, 'once')).toBeNull();
    const onAnswer = await commandsDuring(server().url, gw.redis, () => gw.mirror.noteCoreResponse('once', coapResponse(message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('o1') }],
    })));
    // One script call: EVAL the first time this connection runs the script, EVALSHA afterwards.
    expect(onAnswer.map((args) => args[0]?.toLowerCase().replace('evalsha', 'eval'))).toEqual(['eval']);
    expect(await stored(gw.redis, 'once')).toMatchObject({ endpoint: 'once', registered: true, location: '/rd/o1', lifetimeSec: 300, lastActivityMs: T0 });
    const source = sourceOf('once') as { host: string; port: number };
    // No source-index key: the mirror finds devices by source in memory, nothing reads one from Redis.
    expect(await gw.redis.exists(`${PREFIX}udp:${source.host}:${source.port}`)).toBe(0);
  });

  it('writes once for a re-Register, and a re-Register the core refuses leaves the stored registration as it was', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock);
    await register(gw.mirror, 'again', 300);
    const accepted = await stored(gw.redis, 'again');
    clock.nowMs = T0 + 1_000;
    const refused = request(['rd'], ['ep=again', 'lt=900', 'b=U']);
    const commands = await commandsDuring(server().url, gw.redis, async () => {
      await gw.mirror.noteUplink(sourceOf('again'), refused);
      await gw.mirror.noteCoreResponse('again', coapResponse(refused, CoapCode.BAD_REQUEST));
    });
    expect(commands).toEqual([]);
    expect(await stored(gw.redis, 'again')).toEqual(accepted);
    expect(gw.mirror.get('again')).toMatchObject({ registered: true, lifetimeSec: 300 });
    clock.nowMs = T0 + 2_000;
    const commandsOfAccepted = await commandsDuring(server().url, gw.redis, () => register(gw.mirror, 'again', 900));
    expect(commandsOfAccepted.map((args) => args[0]?.toLowerCase())).toEqual(['evalsha']);
    expect(await stored(gw.redis, 'again')).toMatchObject({ registered: true, lifetimeSec: 900, lastActivityMs: T0 + 2_000 });
  });
});

describe('registration store: Registers the core accepts in the same turn', () => {
  it('are written by one script call, each record whole with its deadline and no index key', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock);
    // A device registered before from another address: its record is replaced in the same batch.
    await register(gw.mirror, 'batch-0', 300);
    ports.set('batch-0', 49_999);
    clock.nowMs = T0 + 1_000;
    const messages = Array.from({ length: 20 }, (_, n) => request(['rd'], [`ep=batch-${n}`, `lt=${300 + n}`, 'b=U']));
    for (const [n, message] of messages.entries()) await gw.mirror.noteUplink(sourceOf(`batch-${n}`), message);
    const answer = (message: CoapMessage, n: number): CoapMessage => coapResponse(message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(`b${n}`) }],
    });
    const commands = await commandsDuring(server().url, gw.redis, () => Promise.all(messages.map((message, n) => gw.mirror.noteCoreResponse(`batch-${n}`, answer(message, n)))).then(() => undefined));
    expect(commands.map((args) => args[0]?.toLowerCase().replace('evalsha', 'eval'))).toEqual(['eval']);
    for (let n = 0; n < 20; n += 1) {
      const source = sourceOf(`batch-${n}`) as { host: string; port: number };
      expect(await stored(gw.redis, `batch-${n}`), `batch-${n}`).toMatchObject({ registered: true, location: `/rd/b${n}`, lifetimeSec: 300 + n, lastActivityMs: T0 + 1_000, udpPort: source.port });
      expect(await gw.redis.exists(`${PREFIX}udp:${source.host}:${source.port}`)).toBe(0);
      expect(await gw.redis.zscore(`${PREFIX}expiry`, `batch-${n}`)).toBe(String(T0 + 1_000 + (300 + n) * 1000));
    }
  });
});

describe('registration store: what one Update costs in Redis commands', () => {
  it('writes nothing for an Update the core answers 2.04 that changes nothing', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock);
    await register(gw.mirror, 'quiet', 300);
    clock.nowMs = T0 + 1_000;
    const commands = await commandsDuring(server().url, gw.redis, () => update(gw.mirror, 'quiet', []));
    expect(commands).toEqual([]);
    expect(gw.mirror.get('quiet')?.lastActivityMs).toBe(T0 + 1_000);
  });

  it('writes one script call with the changed fields for an Update that changes the lifetime', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock);
    await register(gw.mirror, 'changing', 300);
    clock.nowMs = T0 + 1_000;
    const commands = await commandsDuring(server().url, gw.redis, () => update(gw.mirror, 'changing', ['lt=900']));
    // The first patch on this connection (the Register used the put script): EVAL, EVALSHA afterwards.
    expect(commands.map((args) => args[0]?.toLowerCase().replace('evalsha', 'eval'))).toEqual(['eval']);
    expect(JSON.parse(commands[0]!.at(-1)!)).toEqual({ lifetimeSec: 900, lastActivityMs: T0 + 1_000, lastBearer: 'udp', lastUdpActivityMs: T0 + 1_000 });
    expect(await stored(gw.redis, 'changing')).toMatchObject({ lifetimeSec: 900, lastActivityMs: T0 + 1_000 });
  });
});

describe('registration store: activity writes batched over a tick', () => {
  it('writes the activity of many Updates in one script call, within the tick', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock, { activityBatchMs: 50 });
    for (let n = 0; n < 20; n += 1) await register(gw.mirror, `many-${n}`, 300);
    clock.nowMs = T0 + 11_000; // activity due (written at most every 10 s)
    const commands = await commandsDuring(server().url, gw.redis, async () => {
      for (let n = 0; n < 20; n += 1) await update(gw.mirror, `many-${n}`, []);
      // The batch goes out on its timer: wait until Redis holds every device's activity.
      while ((await gw.redis.zrangebyscore(`${PREFIX}expiry`, T0 + 311_000, T0 + 311_000)).length < 20) await new Promise((resolve) => setImmediate(resolve));
    });
    const writes = commands.filter((args) => ['evalsha', 'eval'].includes(args[0]?.toLowerCase() ?? ''));
    expect(writes).toHaveLength(1);
    expect((writes[0]!.length - 5) / 4).toBe(20); // EVALSHA sha 1 expiry prefix, then four values per device
    for (let n = 0; n < 20; n += 1) expect(await stored(gw.redis, `many-${n}`)).toMatchObject({ lastActivityMs: T0 + 11_000, lifetimeSec: 300 });
  });

  it('never lets the sweep lapse a device whose Update waits in the batch; close to its deadline an Update is written at once', async () => {
    const clock = { nowMs: T0 };
    // A tick far longer than the test: the batch goes out only when something flushes it.
    const a = gatewayProcess(clock, { activityBatchMs: 600_000 });
    await register(a.mirror, 'waiting', 86_400);
    await register(a.mirror, 'late', 86_400);
    clock.nowMs = T0 + 30_000;
    await update(a.mirror, 'waiting', []);
    expect(await stored(a.redis, 'waiting')).toMatchObject({ lastActivityMs: T0 }); // still in the batch

    // This process's sweep, past the deadline Redis holds (T0 + 1 day), writes the batch first.
    clock.nowMs = T0 + 86_400_000 + 1;
    const lost = await a.mirror.expire();
    expect(lost.map((record) => record.endpoint)).toEqual(['late']); // silent all day: lapsed
    expect(await stored(a.redis, 'waiting')).toMatchObject({ lastActivityMs: T0 + 30_000 });
    expect(await a.redis.zscore(`${PREFIX}expiry`, 'waiting')).toBe(String(T0 + 30_000 + 86_400_000));

    // Within the margin of the deadline Redis holds (twice the tick here), another process's
    // sweep could come first: the Update is written at once, not batched.
    clock.nowMs = T0 + 30_000 + 86_400_000 - 1_200_000;
    await update(a.mirror, 'waiting', []);
    expect(await stored(a.redis, 'waiting')).toMatchObject({ lastActivityMs: clock.nowMs });
    const b = gatewayProcess(clock);
    clock.nowMs = T0 + 30_000 + 86_400_000 + 1;
    expect(await b.mirror.expire()).toEqual([]);
    expect(await stored(b.redis, 'waiting')).not.toBeNull();
  });

  it('keeps a device whose batched write failed unsaved: the sweep writes it before the old deadline passes', async () => {
    const clock = { nowMs: T0 };
    const redis = client();
    let failures = 0;
    // Redis refusing the batched call (a fault): the next call works again.
    const store = new (class extends RedisRegistrationStore {
      override async touchMany(activities: Parameters<RedisRegistrationStore['touchMany']>[0]): Promise<number> {
        if (failures === 0) {
          failures += 1;
          throw new Error('refused');
        }
        return super.touchMany(activities);
      }
    })(redis, PREFIX);
    const mirror = new RegistrationMirror(store, { now: () => clock.nowMs, activityBatchMs: 600_000 });
    await register(mirror, 'flaky', 86_400);
    clock.nowMs = T0 + 30_000;
    await update(mirror, 'flaky', []);
    clock.nowMs = T0 + 86_400_000 + 1; // past the deadline Redis holds
    expect(await mirror.expire()).toEqual([]);
    expect(failures).toBe(1);
    expect(await stored(redis, 'flaky')).toMatchObject({ lastActivityMs: T0 + 30_000 });
  });

  it('writes what waits in the batch when the gateway stops (persistActivity)', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock, { activityBatchMs: 600_000 });
    await register(gw.mirror, 'stopping', 3_600);
    clock.nowMs = T0 + 20_000;
    await update(gw.mirror, 'stopping', []);
    expect(await stored(gw.redis, 'stopping')).toMatchObject({ lastActivityMs: T0 });
    await gw.mirror.persistActivity();
    expect(await stored(gw.redis, 'stopping')).toMatchObject({ lastActivityMs: T0 + 20_000 });
  });
});

describe('registration store: a registration swept elsewhere and registered again', () => {
  it('is kept by the process that holds it again', async () => {
    const clock = { nowMs: T0 };
    const a = gatewayProcess(clock);
    const b = gatewayProcess(clock);
    await register(a.mirror, 'back', 60);
    clock.nowMs = T0 + 60_000;
    expect((await b.mirror.expire()).map((record) => record.endpoint)).toEqual(['back']);
    await register(a.mirror, 'back', 60); // the device registers again through process A
    expect(await a.mirror.expire()).toEqual([]);
    expect(a.mirror.get('back')).toMatchObject({ registered: true });
    expect(await stored(a.redis, 'back')).toMatchObject({ registered: true });
  });
});

describe('registration mirror: presence', () => {
  it('tells presence of every message, sweeps it with expiry, and restores it after a restart', async () => {
    const clock = { nowMs: T0 };
    const first = gatewayProcess(clock, { presence: new Presence({ awakeWindowMs: 10_000 }) });
    const events: string[] = [];
    first.mirror.presence.on('awake', (endpoint, bearer) => events.push(`awake ${endpoint} ${bearer}`));
    first.mirror.presence.on('asleep', (endpoint) => events.push(`asleep ${endpoint}`));
    await register(first.mirror, 'uq', 3600);
    clock.nowMs = T0 + 5_000;
    await update(first.mirror, 'uq', []);
    clock.nowMs = T0 + 15_000;
    expect(first.mirror.presence.isAwakeOverUdp('uq', clock.nowMs)).toBe(true);
    await first.mirror.persistActivity();

    const restarted = gatewayProcess(clock, { presence: new Presence({ awakeWindowMs: 10_000 }) });
    await restarted.mirror.load();
    expect(restarted.mirror.presence.isAwakeOverUdp('uq', clock.nowMs)).toBe(true);

    clock.nowMs = T0 + 15_001;
    await first.mirror.expire();
    expect(events).toEqual(['awake uq udp', 'asleep uq']);
    expect(first.mirror.get('uq')).toBeDefined(); // asleep, still registered
  });
});

describe('registration mirror: Registers awaiting the core', () => {
  /** `endpoint` registered (lifetime 300 s, location /rd/<endpoint>), then the re-Registers `sends` (sent in order, unanswered). */
  async function reRegistersOf(endpoint: string, sends: readonly CoapMessage[]): Promise<{ gw: ReturnType<typeof gatewayProcess>; accepted: DeviceRecord | null }> {
    const gw = gatewayProcess({ nowMs: T0 });
    await register(gw.mirror, endpoint, 300);
    const accepted = await stored(gw.redis, endpoint);
    for (const message of sends) await gw.mirror.noteUplink(sourceOf(endpoint), message);
    return { gw, accepted };
  }

  it('expire: a Register answered while an earlier drop waits for Redis is not dropped again, nor the Register its device sent next', async () => {
    const clock = { nowMs: T0 };
    let reached: () => void = () => undefined;
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    /** The real store; the removal of `gone-first` waits until the test opens the gate. */
    class GatedStore extends RedisRegistrationStore {
      override async remove(endpoint: string): Promise<DeviceRecord | null> {
        if (endpoint === 'gone-first') {
          reached();
          await gate;
        }
        return super.remove(endpoint);
      }
    }
    const mirror = new RegistrationMirror(new GatedStore(client(), PREFIX), { now: () => clock.nowMs, registerAnswerTimeoutMs: 1000 });
    const created = (message: CoapMessage, id: string): CoapMessage => coapResponse(message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(id) }],
    });
    const unanswered = request(['rd'], ['ep=gone-first', 'lt=300', 'b=U']);
    const late = request(['rd'], ['ep=answered-late', 'lt=300', 'b=U']);
    mirror.noteUplink(sourceOf('gone-first'), unanswered);
    mirror.noteUplink(sourceOf('answered-late'), late);
    clock.nowMs = T0 + 2_000; // both past the answer timeout: expire() walks them in this order
    const expiring = mirror.expire();
    await atGate;
    // While the first one's record is being removed: the core answers the second after all, and its device registers again.
    await mirror.noteCoreResponse('answered-late', created(late, 'l1'));
    const again = request(['rd'], ['ep=answered-late', 'lt=600', 'b=U']);
    mirror.noteUplink(sourceOf('answered-late'), again);
    open();
    await expiring;
    expect(mirror.get('gone-first')).toBeUndefined();
    expect(mirror.get('answered-late')).toMatchObject({ registered: false, lifetimeSec: 600 });
    await mirror.noteCoreResponse('answered-late', created(again, 'l2'));
    expect(mirror.get('answered-late')).toMatchObject({ registered: true, location: '/rd/l2', lifetimeSec: 600 });
  });

  it('a refused re-Register brings the registration back though the device sent 8 more re-Registers meanwhile (the one naming it is never the one dropped)', async () => {
    const first = request(['rd'], ['ep=flooding', 'lt=900', 'b=U']);
    const more = Array.from({ length: 8 }, () => request(['rd'], ['ep=flooding', 'lt=900', 'b=U']));
    const { gw, accepted } = await reRegistersOf('flooding', [first, ...more]);
    await gw.mirror.noteCoreResponse('flooding', coapResponse(first, CoapCode.BAD_REQUEST));
    expect(gw.mirror.get('flooding')).toMatchObject({ registered: true, location: '/rd/flooding', lifetimeSec: 300 });
    expect(await stored(gw.redis, 'flooding')).toEqual(accepted);
  });

  it('a refused re-Register brings the registration back though the device retransmitted it (same token) before the answer', async () => {
    const reRegister = request(['rd'], ['ep=retransmits', 'lt=900', 'b=U']);
    const { gw, accepted } = await reRegistersOf('retransmits', [reRegister, reRegister]);
    await gw.mirror.noteCoreResponse('retransmits', coapResponse(reRegister, CoapCode.BAD_REQUEST));
    expect(gw.mirror.get('retransmits')).toMatchObject({ registered: true, location: '/rd/retransmits', lifetimeSec: 300 });
    expect(await stored(gw.redis, 'retransmits')).toEqual(accepted);
  });

  it('notes a Register synchronously (the endpoint, not a promise) and writes nothing before the core accepts it', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock);
    const message = request(['rd'], ['ep=sync-1', 'lt=300', 'b=U']);
    let noted: unknown;
    const commands = await commandsDuring(server().url, gw.redis, async () => {
      noted = gw.mirror.noteUplink(sourceOf('sync-1'), message);
    });
    expect(noted).toBe('sync-1');
    expect(commands).toEqual([]);
    expect(gw.mirror.get('sync-1')).toMatchObject({ registered: false });
  });

  it('matches the core\'s answer by endpoint and token: two devices whose Registers carry the same token', async () => {
    const clock = { nowMs: T0 };
    const gw = gatewayProcess(clock);
    const token = Uint8Array.of(0xca, 0xfe);
    const registerOf = (endpoint: string, lifetimeSec: number): CoapMessage =>
      coapRequest({ code: CoapCode.POST, messageId: 7, token, path: ['rd'], query: [`ep=${endpoint}`, `lt=${lifetimeSec}`, 'b=U'], contentFormat: 40, payload: '</3/0>' });
    const first = registerOf('same-token-a', 300);
    const second = registerOf('same-token-b', 600);
    gw.mirror.noteUplink(sourceOf('same-token-a'), first);
    gw.mirror.noteUplink(sourceOf('same-token-b'), second);
    const created = (message: CoapMessage, id: string): CoapMessage => coapResponse(message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(id) }],
    });
    await gw.mirror.noteCoreResponse('same-token-b', created(second, 'b1'));
    expect(gw.mirror.get('same-token-b')).toMatchObject({ registered: true, location: '/rd/b1', lifetimeSec: 600 });
    expect(gw.mirror.get('same-token-a')).toMatchObject({ registered: false });
    // The answer for b again (a retransmission) applies nothing more; a's answer applies to a only.
    await gw.mirror.noteCoreResponse('same-token-b', created(second, 'b2'));
    expect(gw.mirror.get('same-token-b')).toMatchObject({ location: '/rd/b1' });
    await gw.mirror.noteCoreResponse('same-token-a', created(first, 'a1'));
    expect(gw.mirror.get('same-token-a')).toMatchObject({ registered: true, location: '/rd/a1', lifetimeSec: 300 });
    expect(await stored(gw.redis, 'same-token-a')).toMatchObject({ location: '/rd/a1' });
  });
});
