/**
 * Tests start their own redis-server; the implementation lives with the simulators because the
 * demo uses it too.
 */
export { freeTcpPort, redisCommand, startPrivateRedis, type PrivateRedis, type PrivateRedisOptions } from '../../src/sim/private-redis.ts';
