/**
 * The observer in the real-Vitess harness. The harness drives the hooks through the simulator's store,
 * not an API server, so this adapter does what hooks/observer.ts does with the store in the API
 * server's place: it asks every Ready vtgate Pod the runner runs for its /debug/gateway (from the node,
 * as the observer's Pod would over the Pod network), and writes the annotation through the same pure
 * core (lib/observer/) onto the store's VitessShards, on the same cadence as in a cluster: a poll every
 * POLL_INTERVAL_SECONDS, a write on change or every STATE_HEARTBEAT_SECONDS.
 */
import type { KubeObject } from '../../../lib/kube/object.ts';
import { type GateView, parseGateway } from '../../../lib/observer/gateway.ts';
import { gateTargets, shardRefs } from '../../../lib/observer/objects.ts';
import { groupViews, planPatches, POLL_INTERVAL_SECONDS, type StatePatch, varsTargets, withVReplication } from '../../../lib/observer/plan.ts';
import { parseVars } from '../../../lib/observer/vars.ts';
import type { ObservedStream } from '../../../lib/vitess/state.ts';
import { allObjects, getObject, storeKey, updateObject, type ClusterState } from '../../../lib/simulator/store.ts';
import { VITESS_STATE_ANNOTATION } from '../../../lib/vitess/state.ts';
import type { PodRunner } from './runner.ts';

export interface ObserverWrite {
  at: number;
  shard: string;
  reason: StatePatch['reason'];
  text: string;
}

export class HarnessObserver {
  private lastPoll = 0;
  /** Every annotation written, in order. */
  readonly writes: ObserverWrite[] = [];
  /** The raw /debug/gateway answers of the last poll, by vtgate Pod (for a test to show). */
  lastAnswers = new Map<string, string>();
  /** The raw /debug/vars answers of reshard targets' primaries, every one read, in order (for a test to keep one). */
  readonly varsAnswers: { at: number; shard: string; text: string }[] = [];

  constructor(private readonly runner: PodRunner, private readonly intervalMs = POLL_INTERVAL_SECONDS * 1000) {}

  /** A poll when one is due: returns the state with the annotations written. */
  async maybePoll(state: ClusterState): Promise<ClusterState> {
    if (Date.now() - this.lastPoll < this.intervalMs) return state;
    return this.poll(state);
  }

  async poll(state: ClusterState): Promise<ClusterState> {
    this.lastPoll = Date.now();
    // The runner's Pods as the API server would list them: IP, and Ready by their own probes.
    const pods = this.runner.pods
      .filter((p) => p.kind === 'Pod')
      .map((p) => ({ metadata: { name: p.name, namespace: p.namespace, labels: p.labels }, spec: p.spec, status: { podIP: p.ip, conditions: [{ type: 'Ready', status: this.runner.isReady(p) ? 'True' : 'False' }] } }));
    const targets = gateTargets(pods);
    this.lastAnswers = new Map();
    const answers = await Promise.all(targets.map(async (t): Promise<GateView | undefined> => {
      const text = await this.runner.nodeFetch(t.url, 2);
      if (text === undefined) return undefined;
      this.lastAnswers.set(t.pod, text);
      try {
        const parsed = parseGateway(JSON.parse(text));
        return parsed.ok ? parsed.view : undefined;
      } catch {
        return undefined;
      }
    }));
    const shards = allObjects(state).filter((o) => o.kind === 'VitessShard');
    const refs = shardRefs(shards);
    const clusters = groupViews(targets, answers);
    // The reshard targets' primaries, asked for /debug/vars as the observer does (hooks/observer.ts).
    const primaries = varsTargets(refs, clusters);
    const streams = await Promise.all(primaries.map(async (t): Promise<ObservedStream[] | undefined> => {
      const text = await this.runner.nodeFetch(t.url, 2);
      if (text === undefined) return undefined;
      this.varsAnswers.push({ at: Date.now(), shard: t.shard, text });
      try {
        const parsed = parseVars(JSON.parse(text));
        return parsed.ok ? parsed.streams : undefined;
      } catch {
        return undefined;
      }
    }));
    const patches = planPatches(refs, withVReplication(clusters, primaries, streams), new Date());
    let next = state;
    for (const patch of patches) {
      const shard = shards.find((s) => s.metadata.name === patch.name && (s.metadata.namespace ?? 'default') === patch.namespace);
      const stored = shard === undefined ? undefined : getObject(next, storeKey(shard));
      if (stored === undefined) continue;
      const annotated: KubeObject = { ...stored, metadata: { ...stored.metadata, annotations: { ...stored.metadata.annotations, [VITESS_STATE_ANNOTATION]: patch.text } } };
      next = updateObject(next, annotated).state;
      this.writes.push({ at: Date.now(), shard: patch.name, reason: patch.reason, text: patch.text });
    }
    return next;
  }
}
