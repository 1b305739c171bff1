/**
 * The simulator with the Pod runner in the fake kubelet's place: rounds of the real hooks under the
 * simulated Metacontroller (lib/simulator), where an object's status turns ready only when the runner
 * says its processes are (the Pods' own readiness probes, a Job's exit 0), and after every round the
 * runner starts, stops and replaces processes to match the objects. Rounds follow the wall clock.
 *
 * What stays simulated: the fake kubelet writes a ready status once and never takes it back (a Pod
 * whose process dies later still reads Ready to the hooks), and a deleted object is gone at once
 * (the runner then stops its processes, preStop hooks first, within the Pod's grace period, before
 * the next round).
 */
import type { KubeObject } from '../../../lib/kube/object.ts';
import { loadControllers } from '../../../lib/simulator/manifests.ts';
import { WRITE_VERBS, type Action } from '../../../lib/simulator/metacontroller.ts';
import { applyCluster } from '../../../lib/simulator/render.ts';
import { runRound, seed } from '../../../lib/simulator/simulate.ts';
import { allObjects, createObject, deleteObject, updateObject, type ClusterState } from '../../../lib/simulator/store.ts';
import { layers } from '../../../lib/sync/index.ts';
import type { HarnessObserver } from './observer.ts';
import type { PodRunner } from './runner.ts';

export interface Driven {
  converged: boolean;
  rounds: number;
  state: ClusterState;
  /** Every write of every round, in order (by the hooks, the garbage collector and the runner's kubelet). */
  actions: { round: number; at: number; action: Action }[];
}

export class Driver {
  private readonly controllers = loadControllers();
  private round = 0;
  state: ClusterState;

  /**
   * With an observer (./observer.ts), the Vitess state channel is written into the store between
   * rounds, on its own cadence, as the observer's Deployment writes it in a cluster.
   */
  constructor(private readonly runner: PodRunner, initial: KubeObject[], readonly observer?: HarnessObserver) {
    this.state = seed(initial, new Date()).state;
  }

  /** `kubectl delete` of an object (a Pod): gone from the store at once, its processes stopped at the next sync. */
  delete(key: string): void {
    this.state = deleteObject(this.state, key, new Date()).state;
  }

  /** `kubectl apply` of a VitessCluster over the current state. */
  apply(cluster: KubeObject): void {
    this.state = applyCluster(this.state, cluster, new Date()).state;
  }

  /** `kubectl create` of any object: a Secret, or a Job made from a CronJob (`kubectl create job --from=cronjob/...`). */
  create(object: KubeObject): void {
    this.state = createObject(this.state, object, new Date()).state;
  }

  /** `kubectl apply` of an object the user owns (a Secret edit): replaced whole. */
  replace(object: KubeObject): void {
    this.state = updateObject(this.state, object).state;
  }

  /** The observer's poll between rounds, when one is due on its cadence, written into the store. */
  async observe(): Promise<void> {
    if (this.observer) this.state = await this.observer.maybePoll(this.state);
  }

  /** Whether every VitessCluster reports its rollout done (no Updated condition yet counts as not done). */
  private updated(): boolean {
    return allObjects(this.state)
      .filter((o) => o.kind === 'VitessCluster' && o.metadata.deletionTimestamp === undefined)
      .every((o) => ((o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Updated' && c.status === 'True'));
  }

  objects(): KubeObject[] {
    return allObjects(this.state);
  }

  /**
   * Rounds until one writes nothing and waits on nothing, or the time is up. With a timeout of 0 it runs
   * one round and returns at once, without the pause: a caller looping on it must pause itself, since a
   * round and the runner's sync only await microtasks, and without a turn of the event loop the runner
   * never sees a process exit nor runs a probe.
   */
  async converge(timeoutMs: number, pauseMs = 1000, onRound?: (objects: KubeObject[]) => void): Promise<Driven> {
    const end = Date.now() + timeoutMs;
    const actions: Driven['actions'] = [];
    let rounds = 0;
    for (;;) {
      this.round++;
      rounds++;
      const result = runRound(this.state, this.controllers, layers, this.round, new Date(), {
        becomesReady: (o) => this.runner.readyFor(o),
        // The Pod's status carries the IP the runner gave it (vttablet registers it; vtgate reaches it there).
        podIp: (pod) => this.runner.ipOf(pod),
        // Real Vitess here: the state channel is what the observer reads from the real vtgates, or nothing.
        vitess: false,
      });
      this.state = result.state;
      const writes = result.actions.filter((a) => WRITE_VERBS.has(a.verb) || a.verb === 'error');
      for (const action of writes) actions.push({ round: this.round, at: Date.now(), action });
      await this.runner.sync(allObjects(this.state));
      if (this.observer) this.state = await this.observer.maybePoll(this.state);
      onRound?.(allObjects(this.state));
      // At rest: nothing written, nothing waiting on the kubelet, and every VitessCluster Updated (a
      // rollout that waits on vtgate's view writes nothing while it waits).
      if (result.pending.length === 0 && !result.actions.some((a) => WRITE_VERBS.has(a.verb)) && this.updated()) return { converged: true, rounds, state: this.state, actions };
      if (Date.now() > end) return { converged: false, rounds, state: this.state, actions };
      await Bun.sleep(pauseMs);
    }
  }
}

