// resignal/redis: the Redis store, so several SignalingServer nodes share sessions, rooms
// and exactly-once requests. Needs the `ioredis` package (an optional peer dependency).
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { RedisStoreError, type RedisStoreErrorCode } from './errors.js';
