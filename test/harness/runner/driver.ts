/**
 * The simulator with the Pod runner in the fake kubelet's place: rounds of the real hooks under the
 * simulated Metacontroller (lib/simulator), where an object's status turns ready only when the runner
 * says its processes are (the Pods' own readiness probes, a Job's exit 0), and after every round the
 * runner starts, stops and replaces processes to match the objects. Rounds follow the wall clock.
 *
 * What stays simulated: the fake kubelet writes a ready status once and never takes it back (a Pod
 * whose process dies later still reads Ready to the hooks), and a deleted object is gone at once
 * (the runner then stops its processes, with the Pod's grace period, before the next round).
 */
import type { KubeObject } from '../../../lib/kube/object.ts';
import { loadControllers } from '../../../lib/simulator/manifests.ts';
import { WRITE_VERBS, type Action } from '../../../lib/simulator/metacontroller.ts';
import { applyCluster } from '../../../lib/simulator/render.ts';
import { runRound, seed } from '../../../lib/simulator/simulate.ts';
import { allObjects, createObject, updateObject, type ClusterState } from '../../../lib/simulator/store.ts';
import { layers } from '../../../lib/sync/index.ts';
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

  constructor(private readonly runner: PodRunner, initial: KubeObject[]) {
    this.state = seed(initial, new Date()).state;
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

  objects(): KubeObject[] {
    return allObjects(this.state);
  }

  /**
   * Rounds until one writes nothing and waits on nothing, or the time is up. With a timeout of 0 it runs
   * one round and returns at once, without the pause: a caller looping on it must pause itself, since a
   * round and the runner's sync only await microtasks, and without a turn of the event loop the runner
   * never sees a process exit nor runs a probe.
   */
  async converge(timeoutMs: number, pauseMs = 1000): Promise<Driven> {
    const end = Date.now() + timeoutMs;
    const actions: Driven['actions'] = [];
    let rounds = 0;
    for (;;) {
      this.round++;
      rounds++;
      const result = runRound(this.state, this.controllers, layers, this.round, new Date(), { becomesReady: (o) => this.runner.readyFor(o) });
      this.state = result.state;
      const writes = result.actions.filter((a) => WRITE_VERBS.has(a.verb) || a.verb === 'error');
      for (const action of writes) actions.push({ round: this.round, at: Date.now(), action });
      await this.runner.sync(allObjects(this.state));
      if (result.pending.length === 0 && !result.actions.some((a) => WRITE_VERBS.has(a.verb))) return { converged: true, rounds, state: this.state, actions };
      if (Date.now() > end) return { converged: false, rounds, state: this.state, actions };
      await Bun.sleep(pauseMs);
    }
  }
}

