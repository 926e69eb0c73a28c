/**
 * Claims of free core-facing addresses (see core-sockets.ts), batched: the claims made in one
 * turn of the event loop go to Redis in one script call (every new device claims one, and a
 * script call each was the largest Redis-client cost per Register in bench/device-scale). Each
 * claim does what the pool's single-claim script does, in order: the address is taken in
 * `owner-of` unless another process holds it, and then recorded for the endpoint in `port-of`.
 */
import type { Redis } from 'ioredis';

/** Claims sent in one script call at most (bounded, so Redis stays responsive). */
const MAX_CLAIMS = 500;

/**
 * KEYS[1] `owner-of` hash (address → endpoint), KEYS[2] `port-of` hash (endpoint → address);
 * ARGV: per claim "host:port", endpoint. Returns one number per claim: 1 claimed (both
 * written), 0 another process owns the address (nothing written).
 */
const CLAIM_ADDRESSES_LUA = `local claimed = {}
for i = 1, #ARGV - 1, 2 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[i])
    claimed[#claimed + 1] = 1
  else
    claimed[#claimed + 1] = 0
  end
end
return claimed`;

/** The client once the script is defined on it. */
interface ClaimingRedis extends Redis {
  claimCoreAddresses(ownerOfKey: string, portOfKey: string, ...addressesAndEndpoints: string[]): Promise<number[]>;
}

interface Batch {
  readonly args: string[];
  readonly settles: ((claimed: boolean | Error) => void)[];
  readonly timer: NodeJS.Immediate;
}

/**
 * Contract: `claim(address, endpoint)` resolves true when `address` was free in Redis and is now
 * owned by and recorded for `endpoint`, false when another process owns it (nothing written);
 * rejects with the script call's error (then nothing of that claim may be assumed written).
 * Claims are sent in the order they were made.
 */
export class AddressClaims {
  private batch: Batch | null = null;

  constructor(private readonly redis: Redis, private readonly ownerOfKey: string, private readonly portOfKey: string) {
    if (!('claimCoreAddresses' in redis)) redis.defineCommand('claimCoreAddresses', { numberOfKeys: 2, lua: CLAIM_ADDRESSES_LUA });
  }

  /** See the class contract. */
  claim(address: string, endpoint: string): Promise<boolean> {
    const batch = (this.batch ??= { args: [], settles: [], timer: setImmediate(() => this.send()) });
    batch.args.push(address, endpoint);
    const claimed = new Promise<boolean>((resolve, reject) => {
      batch.settles.push((result) => (result instanceof Error ? reject(result) : resolve(result)));
    });
    if (batch.settles.length >= MAX_CLAIMS) this.send();
    return claimed;
  }

  private send(): void {
    const batch = this.batch;
    if (batch === null) return;
    this.batch = null;
    clearImmediate(batch.timer);
    (this.redis as ClaimingRedis).claimCoreAddresses(this.ownerOfKey, this.portOfKey, ...batch.args).then(
      (results) => batch.settles.forEach((settle, index) => settle(results[index] === 1)),
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const settle of batch.settles) settle(failure);
      },
    );
  }
}
