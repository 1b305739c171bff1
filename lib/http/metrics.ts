/**
 * Prometheus metrics in the text exposition format (version 0.0.4), hand-written: four families
 * and the process' memory do not justify a client library.
 *
 *   hook_requests_total{hook,code}                 counter
 *   hook_request_duration_seconds{hook,code}       histogram
 *   hook_response_bytes{hook}                      histogram
 *   hook_in_flight                                 gauge
 *   process_resident_memory_bytes, process_heap_bytes, process_start_time_seconds
 */
import type { MiddlewareHandler } from 'hono';
import type { HookEnv } from './env.ts';
import type { ServerState } from './state.ts';

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BYTES_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];

type Labels = Readonly<Record<string, string>>;

/** Label values escaped as the format requires: backslash, double quote and newline. */
const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const renderLabels = (labels: Labels, extra: string = '') => {
  const parts = Object.keys(labels)
    .sort()
    .map((key) => `${key}="${escape(labels[key] ?? '')}"`);
  if (extra !== '') parts.push(extra);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
};
const keyOf = (labels: Labels) => renderLabels(labels);
/** Numbers as Prometheus reads them (`+Inf` for infinity). */
const num = (value: number) => (value === Number.POSITIVE_INFINITY ? '+Inf' : String(value));

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels, by = 1, key: string = keyOf(labels)): void {
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const key of [...this.values.keys()].sort()) {
      const entry = this.values.get(key);
      if (entry) lines.push(`${this.name}${renderLabels(entry.labels)} ${num(entry.value)}`);
    }
    return lines;
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, value: number, key: string = keyOf(labels)): void {
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, entry);
    }
    // Non-cumulative counts per bucket; render() accumulates.
    const { buckets } = this;
    for (let index = 0; index < buckets.length; index++) {
      if (value <= (buckets[index] as number)) {
        entry.counts[index] = (entry.counts[index] ?? 0) + 1;
        break;
      }
    }
    entry.sum += value;
    entry.count += 1;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const key of [...this.series.keys()].sort()) {
      const entry = this.series.get(key);
      if (!entry) continue;
      let cumulative = 0;
      this.buckets.forEach((bound, index) => {
        cumulative += entry.counts[index] ?? 0;
        lines.push(`${this.name}_bucket${renderLabels(entry.labels, `le="${num(bound)}"`)} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${renderLabels(entry.labels, 'le="+Inf"')} ${entry.count}`);
      lines.push(`${this.name}_sum${renderLabels(entry.labels)} ${num(entry.sum)}`);
      lines.push(`${this.name}_count${renderLabels(entry.labels)} ${entry.count}`);
    }
    return lines;
  }
}

const gauge = (name: string, help: string, value: number) => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${num(value)}`];

interface SeriesLabels {
  labels: Labels;
  key: string;
  hookLabels: Labels;
  hookKey: string;
}

export interface RequestObservation {
  hook: string;
  code: number;
  durationSeconds: number;
  responseBytes: number;
}

export class Metrics {
  private readonly requests = new Counter('hook_requests_total', 'Hook requests answered, by hook and HTTP status code.');
  private readonly duration = new Histogram('hook_request_duration_seconds', 'Time from request start to answer, by hook and HTTP status code.', DURATION_BUCKETS);
  private readonly responseBytes = new Histogram('hook_response_bytes', 'Size of hook answers in bytes, by hook.', BYTES_BUCKETS);
  // The process' start, not this object's: the metric is about the process.
  private readonly startTimeSeconds = performance.timeOrigin / 1000;

  /** Label sets and their series keys, built once per hook and code rather than per request. */
  private readonly seriesOf = new Map<string, Map<number, SeriesLabels>>();

  constructor(private readonly state: ServerState) {}

  observe({ hook, code, durationSeconds, responseBytes }: RequestObservation): void {
    const series = this.series(hook, code);
    this.requests.inc(series.labels, 1, series.key);
    this.duration.observe(series.labels, durationSeconds, series.key);
    this.responseBytes.observe(series.hookLabels, responseBytes, series.hookKey);
  }

  private series(hook: string, code: number): SeriesLabels {
    let byCode = this.seriesOf.get(hook);
    if (byCode === undefined) {
      byCode = new Map();
      this.seriesOf.set(hook, byCode);
    }
    let series = byCode.get(code);
    if (series === undefined) {
      const labels = { hook, code: String(code) };
      const hookLabels = { hook };
      series = { labels, key: keyOf(labels), hookLabels, hookKey: keyOf(hookLabels) };
      byCode.set(code, series);
    }
    return series;
  }

  render(): string {
    const memory = process.memoryUsage();
    return [
      ...this.requests.render(),
      ...this.duration.render(),
      ...this.responseBytes.render(),
      ...gauge('hook_in_flight', 'Hook requests in flight, from request start to answer.', this.state.inFlight),
      ...gauge('hook_syncing', 'Hook requests whose body has arrived and whose answer is being computed.', this.state.syncing),
      ...gauge('hook_buffered_bytes', 'Request and answer bytes held against the buffer budget.', this.state.buffered),
      ...gauge('process_resident_memory_bytes', 'Resident set size in bytes.', memory.rss),
      ...gauge('process_heap_bytes', 'JavaScript heap in use, in bytes.', memory.heapUsed),
      ...gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', this.startTimeSeconds),
      '',
    ].join('\n');
  }
}

/** Records every request that passes through, with the status it was finally answered with. */
export function recordMetrics(options: { metrics: Metrics; hook: string }): MiddlewareHandler<HookEnv> {
  const { metrics, hook } = options;
  return async function recordMetrics(c, next) {
    const started = performance.now();
    await next();
    metrics.observe({
      hook,
      code: c.res.status,
      durationSeconds: (performance.now() - started) / 1000,
      responseBytes: Number(c.res.headers.get('content-length') ?? 0),
    });
  };
}
