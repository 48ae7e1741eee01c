// Optional Redis connection (REDIS_URL) for cross-instance work: pub/sub, rate limits and caches.
import { Redis } from 'ioredis';

/** Connects and checks the server answers; a single process runs without Redis, so no URL means no client. */
export async function connectRedis(url: string | undefined): Promise<Redis | undefined> {
  if (!url) {
    return undefined;
  }
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, connectionName: 'rpm-server' });
  redis.on('error', (err) => console.error('Redis error:', err.message));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(`Cannot reach Redis at REDIS_URL: ${(err as Error).message}`, { cause: err });
  }
  return redis;
}
