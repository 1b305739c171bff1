/**
 * The observer: the Vitess state channel's writer (lib/vitess/state.ts, docs/decisions/0016).
 *
 *   bun run hooks/observer.ts
 *
 * Every OBSERVER_INTERVAL_SECONDS (5) it lists our vtgate Pods and the VitessShards through the
 * Kubernetes API (in-cluster ServiceAccount, else $KUBECONFIG), asks each Ready vtgate for its
 * `/debug/gateway`, and merge-patches `metadata.annotations["vitess.io/vitess-state"]` of each
 * VitessShard whose state changed or is STATE_HEARTBEAT_SECONDS old (lib/observer/). For a shard
 * that is a reshard target it also asks the primary's vttablet for `/debug/vars` (its VReplication
 * streams: the copy's progress and lag, lib/vitess/vreplication.ts). It writes nothing else. GET /healthz on OBSERVER_PORT (8081) answers 200 while polls complete, 503 once the
 * last completed poll is older than three intervals. SIGTERM/SIGINT: the poll in flight finishes,
 * then it exits 0.
 *
 * Settings (environment): OBSERVER_INTERVAL_SECONDS (5), OBSERVER_GATE_TIMEOUT_MS (2000),
 * OBSERVER_NAMESPACE (all namespaces when unset), OBSERVER_PORT (8081), HOOK_LOG_LEVEL (info).
 */
import * as k8s from '@kubernetes/client-node';
import { API_VERSION } from '../lib/api/common.ts';
import { createLogger, type Logger } from '../lib/http/logging.ts';
import { type GateView, parseGateway } from '../lib/observer/gateway.ts';
import { gateTargets, shardRefs, VTGATE_SELECTOR, type GateTarget } from '../lib/observer/objects.ts';
import { annotationPatch, groupViews, planPatches, POLL_INTERVAL_SECONDS, type StatePatch, type VarsTarget, varsTargets, withVReplication } from '../lib/observer/plan.ts';
import { parseVars } from '../lib/observer/vars.ts';
import type { ObservedStream } from '../lib/vitess/state.ts';

export interface ObserverOptions {
  kubeConfig: k8s.KubeConfig;
  /** One namespace to observe; all when undefined (the ClusterRole's reach). */
  namespace?: string;
  intervalMs: number;
  gateTimeoutMs: number;
  logger: Logger;
  now?: () => Date;
}

export interface PollResult {
  gates: number;
  answered: number;
  shards: number;
  /** Reshard target primaries asked for /debug/vars, and how many answered. */
  tablets: number;
  tabletsAnswered: number;
  patches: StatePatch[];
  /** Patches the API server refused (the VitessShard went, a conflict): tried again next poll. */
  failed: number;
}

/** A minimal Kubernetes REST client over Bun's fetch, with the kubeconfig's credentials and CA. */
class Kube {
  constructor(private readonly kc: k8s.KubeConfig) {}

  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    // Read every time: an in-cluster token is rotated on disk.
    const opts: { headers?: Record<string, string>; ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string; rejectUnauthorized?: boolean } = {};
    await this.kc.applyToHTTPSOptions(opts as never);
    const tls: Record<string, unknown> = {};
    for (const k of ['ca', 'cert', 'key'] as const) if (opts[k]) tls[k] = opts[k];
    if (opts.rejectUnauthorized === false) tls.rejectUnauthorized = false;
    const response = await fetch(`${cluster.server.replace(/\/$/, '')}${path}`, {
      method,
      headers: { ...opts.headers, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': contentType }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30000),
      tls,
    } as RequestInit);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as unknown;
  }

  async items(path: string): Promise<unknown[]> {
    const list = (await this.request('GET', path)) as { items?: unknown };
    return Array.isArray(list.items) ? list.items : [];
  }
}

export class Observer {
  private readonly kube: Kube;
  private readonly now: () => Date;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** When the last poll completed (ms since the epoch), 0 before the first. */
  lastPollAt = 0;

  constructor(private readonly options: ObserverOptions) {
    this.kube = new Kube(options.kubeConfig);
    this.now = options.now ?? (() => new Date());
  }

  private path(plural: string, group?: string): string {
    const base = group === undefined ? '/api/v1' : `/apis/${group}`;
    return this.options.namespace === undefined ? `${base}/${plural}` : `${base}/namespaces/${encodeURIComponent(this.options.namespace)}/${plural}`;
  }

  /** One vtgate's view, or undefined (and a warning) when it does not answer in time or answers something else. */
  private ask(target: GateTarget): Promise<GateView | undefined> {
    return this.readJson(target.url, 'vtgate did not answer', { pod: `${target.namespace}/${target.pod}` }, (body) => {
      const parsed = parseGateway(body);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.view;
    });
  }

  /** One primary's VReplication streams, or undefined (and a warning) when it does not answer in time or answers something else. */
  private streams(target: VarsTarget): Promise<ObservedStream[] | undefined> {
    return this.readJson(target.url, 'vttablet did not answer', { shard: `${target.namespace}/${target.cluster}/${target.shard}`, tablet: target.tablet }, (body) => {
      const parsed = parseVars(body);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.streams;
    });
  }

  /** A JSON page read by `read` (which throws on what it cannot use), or undefined and a warning, within the timeout. */
  private async readJson<T>(url: string, warning: string, context: Record<string, string>, read: (body: unknown) => T): Promise<T | undefined> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.gateTimeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return read(await response.json());
    } catch (error) {
      this.options.logger.warn(warning, { ...context, url, error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  /** One poll: list, ask every vtgate at once, then the reshard targets' primaries, write what changed. */
  async pollOnce(): Promise<PollResult> {
    const [pods, shardItems] = await Promise.all([
      this.kube.items(`${this.path('pods')}?labelSelector=${encodeURIComponent(VTGATE_SELECTOR)}`),
      this.kube.items(this.path('vitessshards', API_VERSION)),
    ]);
    const targets = gateTargets(pods);
    const answers = await Promise.all(targets.map((t) => this.ask(t)));
    const shards = shardRefs(shardItems);
    const clusters = groupViews(targets, answers);
    const primaries = varsTargets(shards, clusters);
    const streams = await Promise.all(primaries.map((t) => this.streams(t)));
    const patches = planPatches(shards, withVReplication(clusters, primaries, streams), this.now());
    let failed = 0;
    for (const patch of patches) {
      const path = `/apis/${API_VERSION}/namespaces/${encodeURIComponent(patch.namespace)}/vitessshards/${encodeURIComponent(patch.name)}`;
      try {
        await this.kube.request('PATCH', path, annotationPatch(patch.text), 'application/merge-patch+json');
        this.options.logger.debug('state written', { shard: `${patch.namespace}/${patch.name}`, reason: patch.reason });
      } catch (error) {
        failed++;
        this.options.logger.warn('state not written', { shard: `${patch.namespace}/${patch.name}`, error: error instanceof Error ? error.message : String(error) });
      }
    }
    const changed = patches.filter((p) => p.reason === 'changed').length;
    const tabletsAnswered = streams.filter(Boolean).length;
    this.options.logger[changed > 0 || failed > 0 ? 'info' : 'debug']('poll', { gates: targets.length, answered: answers.filter(Boolean).length, shards: shards.length, tablets: primaries.length, tabletsAnswered, changed, heartbeats: patches.length - changed, failed });
    this.lastPollAt = Date.now();
    return { gates: targets.length, answered: answers.filter(Boolean).length, shards: shards.length, tablets: primaries.length, tabletsAnswered, patches, failed };
  }

  /** Polls every interval until stop(); a failed poll (the API server unreachable) is logged and retried. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.pollOnce();
        } catch (error) {
          this.options.logger.error('poll failed', { error: error instanceof Error ? error.message : String(error) });
        }
        if (!this.running) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.intervalMs);
          this.wake = () => (clearTimeout(timer), resolve());
        });
      }
    })();
  }

  /** Lets the poll in flight finish, then resolves. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Whether polls are completing: the last one within three intervals (or none yet, within the first three). */
  healthy(startedAt: number, at = Date.now()): boolean {
    return at - (this.lastPollAt || startedAt) <= 3 * this.options.intervalMs;
  }
}

function positive(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

/** The kubeconfig: $KUBECONFIG when set, else the in-cluster ServiceAccount (client-node's default order). */
export function loadKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}

function main(): void {
  const env = process.env;
  const level = (env.HOOK_LOG_LEVEL ?? 'info').trim() as 'debug' | 'info' | 'warn' | 'error';
  const logger = createLogger({ level: ['debug', 'info', 'warn', 'error'].includes(level) ? level : 'info' });
  let observer: Observer;
  let port: number;
  try {
    port = positive(env, 'OBSERVER_PORT', 8081);
    const namespace = env.OBSERVER_NAMESPACE?.trim();
    observer = new Observer({
      kubeConfig: loadKubeConfig(),
      namespace: namespace === undefined || namespace === '' ? undefined : namespace,
      intervalMs: positive(env, 'OBSERVER_INTERVAL_SECONDS', POLL_INTERVAL_SECONDS) * 1000,
      gateTimeoutMs: positive(env, 'OBSERVER_GATE_TIMEOUT_MS', 2000),
      logger,
    });
  } catch (error) {
    logger.error('invalid configuration, not starting', { error: error instanceof Error ? error.message : String(error) });
    process.exit(2);
  }
  const startedAt = Date.now();
  const server = Bun.serve({
    port,
    fetch: (request) => {
      const path = new URL(request.url).pathname;
      if (path !== '/healthz' && path !== '/readyz') return new Response('not found\n', { status: 404 });
      return observer.healthy(startedAt) ? new Response('ok\n') : new Response('polls are not completing\n', { status: 503 });
    },
  });
  observer.start();
  logger.info('observing', { namespace: env.OBSERVER_NAMESPACE || '(all)', health: server.url.href });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    void observer.stop().then(async () => {
      await server.stop(true);
      logger.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (import.meta.main) main();
