import type { Redis } from 'ioredis';

type Callback = (err: Error | null, result?: { current: number; ttl: number }) => void;

// One round trip: count the request, start the window on the first one, report what is left.
const INCREMENT = `
  local current = redis.call('INCR', KEYS[1])
  if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  return { current, redis.call('PTTL', KEYS[1]) }
`;

/**
 * A fixed-window counter in Redis for @fastify/rate-limit, shared by every instance. When
 * Redis cannot answer, the request counts as the first of its window: the service fails
 * open and tells `onError`, so the outage is logged and counted rather than passed on.
 */
export function redisStore(redis: Redis, prefix: string, onError: (err: Error) => void) {
  return class RedisRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number) {
      redis.eval(INCREMENT, 1, `${prefix}${key}`, timeWindow).then(
        (reply) => {
          const [current, ttl] = reply as [number, number];
          callback(null, { current, ttl: ttl > 0 ? ttl : timeWindow });
        },
        (err: Error) => {
          onError(err);
          callback(null, { current: 0, ttl: timeWindow });
        },
      );
    }

    child() {
      return this;
    }
  };
}
