// The Redis store against a private redis-server (one per file): the store contract with a
// fresh prefix per test, then what only Redis can do wrong (outages, restarts, key expiry).
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisStore } from '../../src/redis/index.js';
import { storeContract } from '../support/store/contract.js';
import { startRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
let prefixes = 0;
const freshPrefix = () => `t${++prefixes}-${process.pid}:`;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('RedisStore', () => {
  storeContract('RedisStore', async () => ({ store: new RedisStore({ url: redis.url, prefix: freshPrefix() }), dispose: async () => {} }));
});
