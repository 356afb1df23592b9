import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RefreshRejection } from '../tokens/service.ts';

/** How a refresh ended: a success, one of the token service's rejections, or the provider's. */
export type RefreshOutcome = 'success' | RefreshRejection | 'wrong_client' | 'unavailable';

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * The service's Prometheus metrics, in a registry of the app's own (not prom-client's
 * global one), so several apps in one process keep separate counts.
 */
export function createMetrics(poolStats: () => PoolStats | undefined) {
  const registry = new Registry();
  const metrics = {
    registry,
    requestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    refreshes: new Counter({
      name: 'token_refresh_total',
      help: 'Refresh-token grants by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    generated: new Counter({ name: 'api_tokens_generated_total', help: 'API tokens generated', registers: [registry] }),
    disabled: new Counter({
      name: 'api_tokens_disabled_total',
      help: 'API tokens disabled, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    deleted: new Counter({ name: 'api_tokens_deleted_total', help: 'API tokens deleted', registers: [registry] }),
    rateLimited: new Counter({
      name: 'rate_limit_rejections_total',
      help: 'Requests refused by a rate limit',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
    rateLimitStoreErrors: new Counter({
      name: 'rate_limit_store_errors_total',
      help: 'Times the shared rate-limit store (Redis) failed; requests were served without a shared limit',
      registers: [registry],
    }),
  };
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting clients)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = poolStats();
      if (!stats) return;
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'in_use' }, stats.total - stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
