/** The daemon's Prometheus metrics, in a registry of their own (one per daemon, so tests can run several). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly syncs = new Counter({
    name: 'kasane_syncs_total',
    help: 'Syncs of an environment by result: succeeded, failed, unchanged (nothing to do), held (a window held it)',
    labelNames: ['environment', 'result'] as const,
    registers: [this.registry],
  });
  readonly syncDuration = new Histogram({
    name: 'kasane_sync_duration_seconds',
    help: 'Duration of a sync of an environment (rendering excluded)',
    labelNames: ['environment'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  readonly renderDuration = new Histogram({
    name: 'kasane_render_duration_seconds',
    help: 'Duration of rendering an environment',
    labelNames: ['environment'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly driftedObjects = new Gauge({
    name: 'kasane_drifted_objects',
    help: 'Objects of a release found differing from the desired state at the last check',
    labelNames: ['environment', 'release'] as const,
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'kasane_last_successful_sync_timestamp_seconds',
    help: 'Unix time of the last successful sync of an environment',
    labelNames: ['environment'] as const,
    registers: [this.registry],
  });
  readonly fetchErrors = new Counter({
    name: 'kasane_git_fetch_errors_total',
    help: 'Failed fetches from the Git remote',
    registers: [this.registry],
  });
  readonly fetches = new Counter({
    name: 'kasane_git_fetches_total',
    help: 'Fetches from the Git remote, failed ones included',
    registers: [this.registry],
  });
  readonly hookRuns = new Counter({
    name: 'kasane_hook_runs_total',
    help: 'Hook runs by phase and result (Succeeded, Failed)',
    labelNames: ['environment', 'phase', 'result'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'kasane_leader',
    help: '1 while this replica holds the leader Lease and syncs, else 0',
    registers: [this.registry],
  });
  readonly webhooks = new Counter({
    name: 'kasane_webhook_requests_total',
    help: 'Webhook requests by outcome: triggered, ignored, unauthorized, invalid',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kasane_process_' });
  }
}
