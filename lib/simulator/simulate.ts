/**
 * The simulation loop: sync every parent (controllers in manifest order, which is top-down), then let
 * the fake kubelet act, and repeat until a whole round writes nothing. Deterministic: the clock starts
 * at a fixed instant and advances a fixed amount per round; every iteration order is sorted.
 */
import type { KubeObject } from '../kube/object.ts';
import type { Layer } from '../sync/layer.ts';
import type { Admission } from './admission.ts';
import type { ControllerSpec } from './controllers.ts';
import { kubeletStep, type KubeletOptions } from './kubelet.ts';
import { objectRef, syncParent, WRITE_VERBS, type Action } from './metacontroller.ts';
import { vitessStep } from './vitess.ts';
import { allObjects, createObject, EMPTY_STATE, listObjects, storeKey, type ClusterState } from './store.ts';

export interface SimulateOptions {
  controllers: readonly ControllerSpec[];
  /** The hooks, found by name (`sync-cell`) from each controller's webhook URL. */
  layers: readonly Layer[];
  /** Run the fake kubelet (false: nothing ever becomes ready, as with `render` without --ready). */
  kubelet?: boolean | KubeletOptions;
  /** Rounds before giving up (default 100). */
  maxRounds?: number;
  /** The clock at round 0 (default 2024-01-01T00:00:00Z) and its advance per round (default 10 s). */
  start?: Date;
  secondsPerRound?: number;
  /** Admission checks of the simulated API server (none by default): lib/simulator/admission.ts. */
  admission?: Admission;
}

export interface Round {
  round: number;
  time: string;
  actions: Action[];
}

export interface SimulationResult {
  converged: boolean;
  rounds: number;
  /** Every object at the end, in store key order. */
  objects: KubeObject[];
  /** Per round, what was done (rounds that did nothing but the last are kept too, for counting). */
  steps: Round[];
  /** Sync and write errors of the last round: a cluster can converge while a hook keeps failing. */
  errors: Action[];
  state: ClusterState;
}

export const DEFAULT_START = new Date('2024-01-01T00:00:00Z');

export class SimulationError extends Error {
  override name = 'SimulationError';
}

function layerFor(controller: ControllerSpec, layers: readonly Layer[]): Layer {
  const layer = layers.find((l) => l.name === controller.hook);
  if (layer === undefined) throw new SimulationError(`CompositeController ${controller.name}: no hook named '${controller.hook}'`);
  if (layer.parentKind !== controller.parent.kind) {
    throw new SimulationError(`CompositeController ${controller.name}: hook ${layer.name} syncs ${layer.parentKind}, the parent is ${controller.parent.kind}`);
  }
  return layer;
}

/** Creates the initial objects as a user's `kubectl create` would. */
export function seed(objects: readonly KubeObject[], now: Date): { state: ClusterState; actions: Action[] } {
  return objects.reduce<{ state: ClusterState; actions: Action[] }>(
    (acc, object) => ({
      state: createObject(acc.state, object, now).state,
      actions: [...acc.actions, { verb: 'create', object: objectRef(object), by: 'user' }],
    }),
    { state: EMPTY_STATE, actions: [] },
  );
}

/** One round: every controller syncs each of its parents (parents created earlier in the round included). */
export function runRound(
  state: ClusterState,
  controllers: readonly ControllerSpec[],
  layers: readonly Layer[],
  round: number,
  now: Date,
  kubelet: KubeletOptions | undefined,
  admission?: Admission,
): { state: ClusterState; actions: Action[]; pending: string[] } {
  let current = state;
  const actions: Action[] = [];
  let pending: string[] = [];
  for (const controller of controllers) {
    const layer = layerFor(controller, layers);
    for (const parent of listObjects(current, controller.parent.apiVersion, controller.parent.kind)) {
      const outcome = syncParent(current, controller, layer, storeKey(parent), now, admission);
      current = outcome.state;
      actions.push(...outcome.actions);
    }
  }
  if (kubelet !== undefined) {
    const step = kubeletStep(current, round, now, kubelet);
    current = step.state;
    actions.push(...step.actions);
    pending = step.pending;
    if (kubelet.vitess !== false) {
      const vitess = vitessStep(current, now, kubelet.vitess);
      current = vitess.state;
      actions.push(...vitess.actions);
      pending = [...pending, ...vitess.pending.map((alias) => `tablet ${alias} (vtgate has not discovered it yet)`)];
    }
  }
  return { state: current, actions, pending };
}

/** Runs the controllers over the initial objects (created by a user at the start time) until nothing changes. */
export function simulate(initialObjects: readonly KubeObject[], options: SimulateOptions): SimulationResult {
  const start = options.start ?? DEFAULT_START;
  const seeded = seed(initialObjects, start);
  return converge(seeded.state, options, [{ round: 0, time: start.toISOString(), actions: seeded.actions }]);
}

/**
 * Runs rounds from an existing cluster state until a whole round writes nothing (or maxRounds).
 * Round numbers and the clock continue after `previous` steps, so a test can edit an object of a
 * converged result's state and converge again.
 */
export function converge(initial: ClusterState, options: SimulateOptions, previous: readonly Round[] = []): SimulationResult {
  const start = options.start ?? DEFAULT_START;
  const stepMs = (options.secondsPerRound ?? 10) * 1000;
  const maxRounds = options.maxRounds ?? 100;
  const kubelet = options.kubelet === true ? {} : options.kubelet === false || options.kubelet === undefined ? undefined : options.kubelet;
  options.controllers.forEach((controller) => layerFor(controller, options.layers));

  const first = (previous[previous.length - 1]?.round ?? 0) + 1;
  let state = initial;
  const steps: Round[] = [...previous];
  for (let round = first; round < first + maxRounds; round++) {
    const now = new Date(start.getTime() + round * stepMs);
    const result = runRound(state, options.controllers, options.layers, round, now, kubelet, options.admission);
    state = result.state;
    steps.push({ round, time: now.toISOString(), actions: result.actions });
    // At rest: nothing written and nothing waiting on a lagging kubelet.
    if (result.pending.length === 0 && !result.actions.some((action) => WRITE_VERBS.has(action.verb))) {
      return { converged: true, rounds: round - first + 1, objects: allObjects(state), steps, errors: errorsOf(result.actions), state };
    }
  }
  const last = steps[steps.length - 1];
  return { converged: false, rounds: maxRounds, objects: allObjects(state), steps, errors: errorsOf(last?.actions ?? []), state };
}

function errorsOf(actions: readonly Action[]): Action[] {
  return actions.filter((action) => action.verb === 'error');
}
