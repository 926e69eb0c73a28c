/**
 * Group commit of the inbox's Lua scripts: a script call made while an earlier round trip to
 * Redis is outstanding waits for it and then goes out with every other call that queued
 * meanwhile, in one pipeline. Calls made in the same turn of the event loop (a batch of stored SMS
 * handed over in one loop) go out together in the first round trip: the flush starts one microtask
 * after the first call, which adds no measurable latency to a lone call. SMS arriving back to back
 * (several modems, several `+CMTI`, a sweep) share round trips. Each call resolves only
 * when Redis answered that call, so persistence still comes before the modem's acknowledgement
 * or deletion; each script is atomic on its own, so a crash between two of them loses nothing a
 * separate round trip would have kept.
 *
 * Scripts go out as `EVALSHA` (the SHA1 computed once per script and instance): the server
 * neither receives nor hashes the body again. Where the server does not know a script yet (first
 * call, restarted or flushed server) it answers `NOSCRIPT` and that call is sent once more as
 * `EVAL`, which loads it; a call that got `NOSCRIPT` did not run, so nothing runs twice.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Most calls in one pipeline (bounds the size of one request). */
const MAX_BATCH = 64;

interface QueuedCall {
  readonly script: string;
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Round trips and calls so far (for benchmarks and status). */
export interface ScriptBatcherStats {
  readonly calls: number;
  readonly roundTrips: number;
  /**
   * Calls sent again as `EVAL` after the server answered `NOSCRIPT` (script not loaded yet), each
   * one more round trip on top of `roundTrips`.
   */
  readonly scriptLoads: number;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * Runs `EVAL` calls on `redis`, batched as described above. Contract: `run` resolves with the
 * script's result or rejects with its error (a failed round trip rejects every call in it);
 * calls are sent in the order they were made.
 */
export class ScriptBatcher {
  private queue: QueuedCall[] = [];
  private flushing = false;
  private calls = 0;
  private roundTrips = 0;
  private scriptLoads = 0;
  /** SHA1 of each script body seen (a handful of constant scripts). */
  private readonly shas = new Map<string, string>();

  constructor(private readonly redis: Redis) {}

  /** Counters since construction. */
  get stats(): ScriptBatcherStats {
    return { calls: this.calls, roundTrips: this.roundTrips, scriptLoads: this.scriptLoads };
  }

  /** Evaluates `script` with `keys` and `args`, batched with concurrent calls. */
  run(script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ script, keys, args, resolve, reject });
      this.calls += 1;
      if (this.flushing) return;
      this.flushing = true;
      queueMicrotask(() => void this.flush());
    });
  }

  /** Sends what is queued, one batch per round trip, until nothing is left. Never rejects. */
  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        this.roundTrips += 1;
        await this.send(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async send(batch: readonly QueuedCall[]): Promise<void> {
    const [only] = batch;
    if (batch.length === 1 && only !== undefined) {
      try {
        only.resolve(await this.evalOne(only));
      } catch (error) {
        only.reject(error);
      }
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const call of batch) pipeline.evalsha(this.shaOf(call.script), call.keys.length, ...call.keys, ...call.args);
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      for (const call of batch) call.reject(error);
      return;
    }
    for (const [i, call] of batch.entries()) {
      const [error, value] = results?.[i] ?? [new Error('Redis returned no result for a pipelined script'), null];
      if (error === null) call.resolve(value);
      else if (!isNoScript(error)) call.reject(error);
      else {
        // Not run: sent again as EVAL, in order, before the next batch goes out.
        try {
          call.resolve(await this.load(call));
        } catch (loadError) {
          call.reject(loadError);
        }
      }
    }
  }

  /** `EVALSHA`, or `EVAL` when the server does not know the script yet. */
  private async evalOne(call: QueuedCall): Promise<unknown> {
    try {
      return await this.redis.evalsha(this.shaOf(call.script), call.keys.length, ...call.keys, ...call.args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return this.load(call);
    }
  }

  private load(call: QueuedCall): Promise<unknown> {
    this.scriptLoads += 1;
    return this.redis.eval(call.script, call.keys.length, ...call.keys, ...call.args);
  }

  private shaOf(script: string): string {
    let sha = this.shas.get(script);
    if (sha === undefined) {
      sha = createHash('sha1').update(script).digest('hex');
      this.shas.set(script, sha);
    }
    return sha;
  }
}
