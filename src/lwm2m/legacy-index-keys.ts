/**
 * One-time removal of the source-index keys that earlier releases wrote beside every registration
 * record: `<prefix>msisdn:<digits>` and `<prefix>udp:<host>:<port>` (value: the endpoint). Nothing
 * reads or writes them any more (the mirror finds a device by its source in its own indexes,
 * record-indexes.ts), so an existing deployment's keys are only memory in Redis.
 *
 * They are found with SCAN (never KEYS: Redis stays responsive), deleted with UNLINK (freed off
 * Redis' main thread), and a marker key records that it was done, so every later start costs one
 * EXISTS. Until 2026-12-07 the registration scripts deleted the keys a record named instead,
 * whenever they replaced, patched, removed or swept it: two GETs per write, for ever, in four
 * scripts. A gateway of an older release still running on the same Redis after the marker is set
 * may leave a few more behind; they are as harmless as before (nothing reads them).
 */
import type { Redis } from 'ioredis';

/** Keys SCAN looks at per call (a hint to Redis, not a limit on what is found). */
const SCAN_COUNT = 1_000;

/** The key patterns earlier releases wrote, under the registration prefix. */
const LEGACY_PATTERNS = ['msisdn:*', 'udp:*'] as const;

/** The marker's name under the registration prefix; its value is when the keys were removed (ms). */
export const LEGACY_INDEX_MARKER = 'legacy-index-keys-removed';

/**
 * Contract: when `<prefix>legacy-index-keys-removed` exists, resolves 0 after one EXISTS and
 * deletes nothing. Otherwise deletes every key matching `<prefix>msisdn:*` and `<prefix>udp:*`
 * (no other key: the glob characters of `prefix` itself are escaped), then sets the marker to
 * `nowMs`, and resolves with the number of keys deleted. Rejects with Redis' error; the marker is
 * then not set, so the next call starts again (deleting twice is harmless). Once `signal` has
 * aborted, sends no further command and rejects with its reason (a command already sent still
 * gets its answer or Redis' error; the marker is not set then either).
 */
export async function removeLegacyIndexKeys(redis: Redis, prefix: string, nowMs: number, signal?: AbortSignal): Promise<number> {
  const marker = `${prefix}${LEGACY_INDEX_MARKER}`;
  signal?.throwIfAborted();
  if ((await redis.exists(marker)) === 1) return 0;
  let removed = 0;
  for (const pattern of LEGACY_PATTERNS) {
    const match = `${escapeGlob(prefix)}${pattern}`;
    let cursor = '0';
    do {
      signal?.throwIfAborted();
      const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
      cursor = next;
      signal?.throwIfAborted();
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  }
  signal?.throwIfAborted();
  await redis.set(marker, String(nowMs));
  return removed;
}

/** `text` with Redis' glob characters (`*?[]\`) escaped, so MATCH takes it literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}
