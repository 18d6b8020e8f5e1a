import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  sessionsByState(): Map<string, number>;
  tasksByState(): Map<string, number>;
}

/**
 * Prometheus metrics. Gauges of sessions and tasks are computed at scrape time from the live
 * actors, so they can never drift from the truth; counters are bumped where events happen.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly eventLogAppends: Counter<'type'>;
  readonly agentRuns: Counter<'agent' | 'outcome'>;
  readonly agentTokens: Counter<'agent' | 'kind'>;
  readonly agentCostUsd: Counter<'agent'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly saveDuration: Histogram<'outcome'>;

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'thalogos_', eventLoopMonitoringPrecision: 20 });
    new Gauge({
      name: 'thalogos_sessions',
      help: 'Sessions by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [state, count] of sources.sessionsByState()) this.set({ state }, count);
      },
    });
    new Gauge({
      name: 'thalogos_tasks',
      help: 'Tasks by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [state, count] of sources.tasksByState()) this.set({ state }, count);
      },
    });
    this.eventLogAppends = new Counter({
      name: 'thalogos_event_log_appends_total',
      help: 'Entries appended to the event log, by entry type',
      labelNames: ['type'],
      registers: [this.registry],
    });
    this.agentRuns = new Counter({
      name: 'thalogos_agent_runs_total',
      help: 'Agent runs finished, by adapter and outcome',
      labelNames: ['agent', 'outcome'],
      registers: [this.registry],
    });
    this.agentTokens = new Counter({
      name: 'thalogos_agent_tokens_total',
      help: 'Model tokens used by agent runs, by adapter and kind (input, output)',
      labelNames: ['agent', 'kind'],
      registers: [this.registry],
    });
    this.agentCostUsd = new Counter({
      name: 'thalogos_agent_cost_usd_total',
      help: 'Cost of agent runs in US dollars, where the adapter reports it',
      labelNames: ['agent'],
      registers: [this.registry],
    });
    this.httpRequests = new Counter({
      name: 'thalogos_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.saveDuration = new Histogram({
      name: 'thalogos_save_duration_seconds',
      help: 'Duration of Save runs by outcome',
      labelNames: ['outcome'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [this.registry],
    });
  }
}
