/**
 * A keyspace runs its reshard (docs/decisions/0024-declarative-reshard.md): from the targets in its
 * spec (`shards` marked `reshardTarget`) to their completion, one vtctldclient Job per step
 * (lib/templates/reshard-jobs.ts): create, wait for the copy and the lag, switch reads, switch writes,
 * complete. Each step starts only when the one before it completed, so the state lives in the
 * observed Jobs and a crash or a hook restart resumes where it was. A failed step stops the reshard and
 * says why; deleting the failed Job retries it.
 *
 * - The sources keep serving until the workflow completed: only then are they retired (tablets
 *   stopped, records deleted; their PVCs stay until the user removes them from the spec, by the usual
 *   confirmRemoval rule).
 * - Removing the targets from the spec cancels: `Reshard cancel`, then the targets leave (their data
 *   is a copy). Not once reads or writes were switched: the targets then hold the data that serves,
 *   and they are kept until the reshard is put back (reversing traffic is not done by the operator).
 * - The workflow runs in the keyspace's first cell only (`reshard.runsWorkflow`): a workflow spans
 *   the keyspace's cells. Once it completed, the cluster tells the other cells (`reshard.complete`),
 *   whose copies of the sources retire then too.
 */
import type { Keyspace } from '../api/keyspace.ts';
import { KIND as SHARD_KIND } from '../api/shard.ts';
import { asKubeObject, isRecord, type KubeObject, objectKey } from '../kube/object.ts';
import { isFailedJob, isReady } from '../kube/readiness.ts';
import { heldChild } from '../metacontroller/hold.ts';
import type { Slot } from '../rollout/planner.ts';
import { RESHARD_COMPONENT, RESHARD_STEPS, RESHARD_TARGETS_ANNOTATION, reshardJob, reshardJobName, type ReshardStep } from '../templates/reshard-jobs.ts';
import { LABEL } from '../vitess/labels.ts';
import { cellObjectName, keyspaceObjectName, shardObjectName } from '../vitess/names.ts';
import { reshardSources } from '../vitess/reshard.ts';
import { withRevision } from './pipeline.ts';

/** The workflow's name in Vitess: one reshard per keyspace at a time. */
export const RESHARD_WORKFLOW = 'reshard';

export type ReshardState = 'WaitingForShards' | 'Running' | 'Failed' | 'Complete' | 'Cancelling' | 'Cancelled' | 'CannotCancel' | 'RunByFirstCell';

export interface ReshardStatus {
  workflow: string;
  sources: string[];
  targets: string[];
  state: ReshardState;
  /** The step under way, failed, or last completed. */
  step?: ReshardStep;
  message: string;
}

export interface ReshardPlan {
  /** Step Jobs to create or wait for. */
  slots: Slot[];
  /** Completed or failed step Jobs answered as they are. */
  kept: string[];
  /** Every reshard Job the plan answers or keeps; the others are obsolete and go. */
  managed: ReadonlySet<string>;
  /** Source VitessShards (object names) to retire: the workflow completed. */
  retire: ReadonlySet<string>;
  /** Removed target VitessShards that may go with their data (a cancelled reshard). */
  released: string[];
  /** Removed target VitessShards kept as they are whatever confirmRemoval says (traffic was switched to them). */
  held: string[];
  status?: ReshardStatus;
  unsettled: string[];
}

const EMPTY: ReshardPlan = { slots: [], kept: [], managed: new Set(), retire: new Set(), released: [], held: [], unsettled: [] };

function keyspaceObject(spec: Keyspace): string {
  return keyspaceObjectName(cellObjectName(spec.cluster, spec.cell), spec.name);
}

export function isReshardJob(object: KubeObject): boolean {
  return object.kind === 'Job' && object.metadata.labels?.[LABEL.component] === RESHARD_COMPONENT;
}

/** A step's Job made for this target set, or undefined (absent, or made for another set: obsolete). */
function stepJob(observed: ReadonlyMap<string, KubeObject>, name: string, targets: string): KubeObject | undefined {
  const job = observed.get(`Job/${name}`);
  return job?.metadata.annotations?.[RESHARD_TARGETS_ANNOTATION] === targets ? job : undefined;
}

export function reshardPlan(spec: Keyspace, observed: ReadonlyMap<string, KubeObject>): ReshardPlan {
  // A retiring keyspace removes every shard: no reshard runs.
  if (spec.retire === true) return EMPTY;
  const targets = spec.shards.filter((shard) => shard.reshardTarget === true);
  if (targets.length > 0) return forward(spec, observed, targets.map((t) => t.name));
  return cancel(spec, observed);
}

function jobFor(spec: Keyspace, step: ReshardStep, sources: readonly string[], targets: readonly string[]): KubeObject {
  return withRevision(
    asKubeObject(
      reshardJob({
        scope: { cluster: spec.cluster, cell: spec.cell, keyspace: spec.name, template: spec.template },
        keyspaceObject: keyspaceObject(spec),
        step,
        workflow: RESHARD_WORKFLOW,
        sources,
        targets,
        maxLagSeconds: spec.reshard?.maxLagSeconds ?? 30,
        image: spec.images.vitess,
        vtctldAddress: spec.vtctldAddress,
        tls: spec.tls,
      }),
    ),
  );
}

function forward(spec: Keyspace, observed: ReadonlyMap<string, KubeObject>, targets: string[]): ReshardPlan {
  const serving = spec.shards.filter((shard) => shard.reshardTarget !== true);
  const sources = reshardSources(serving, spec.shards.filter((shard) => shard.reshardTarget === true)).map((shard) => shard.name);
  const base = { workflow: RESHARD_WORKFLOW, sources, targets };
  const ko = keyspaceObject(spec);
  if (spec.reshard?.runsWorkflow !== true) {
    // The first cell completed the workflow (the cluster passes it on): this cell's sources retire too.
    if (spec.reshard?.complete === true) return { ...EMPTY, retire: new Set(sources.map((source) => shardObjectName(ko, source))), status: { ...base, state: 'Complete', message: completeMessage(sources, targets) } };
    return { ...EMPTY, status: { ...base, state: 'RunByFirstCell', message: "the keyspace's first cell runs the workflow; this cell runs the target shards" } };
  }
  const key = targets.join(',');
  const plan: ReshardPlan & { managed: Set<string>; retire: Set<string> } = { ...EMPTY, slots: [], kept: [], managed: new Set(), retire: new Set(), released: [], held: [], unsettled: [] };
  for (const step of RESHARD_STEPS) {
    const name = reshardJobName(ko, step);
    const job = stepJob(observed, name, key);
    const jobKey = `Job/${name}`;
    if (job !== undefined && isReady(job)) {
      plan.managed.add(jobKey);
      plan.kept.push(jobKey);
      continue;
    }
    if (job !== undefined && isFailedJob(job)) {
      plan.managed.add(jobKey);
      plan.kept.push(jobKey);
      const message = `step ${step} failed (Job ${name}): see its logs; fix the cause, then delete the Job to retry`;
      plan.unsettled.push(`reshard ${message}`);
      return { ...plan, status: { ...base, state: 'Failed', step, message } };
    }
    if (job !== undefined) {
      plan.managed.add(jobKey);
      plan.slots.push({ desired: heldChild(job), observed: job, method: 'replace' });
      return { ...plan, status: { ...base, state: 'Running', step, message: stepMessage(step, name) } };
    }
    if (observed.has(jobKey)) {
      // Made for another target set: it goes with this answer, the new one comes on the next sync.
      return { ...plan, status: { ...base, state: 'Running', step, message: `replacing the obsolete Job ${name}` } };
    }
    if (step === 'create') {
      const waiting = [...sources, ...targets].filter((shard) => !isShardReady(observed, shardObjectName(ko, shard)));
      if (waiting.length > 0) return { ...plan, status: { ...base, state: 'WaitingForShards', step, message: `waiting for shards ${waiting.join(', ')} to be Ready` } };
    }
    plan.managed.add(jobKey);
    plan.slots.push({ desired: jobFor(spec, step, sources, targets), method: 'replace' });
    return { ...plan, status: { ...base, state: 'Running', step, message: stepMessage(step, name) } };
  }
  for (const source of sources) plan.retire.add(shardObjectName(ko, source));
  return { ...plan, status: { ...base, state: 'Complete', step: 'complete', message: completeMessage(sources, targets) } };
}

function completeMessage(sources: readonly string[], targets: readonly string[]): string {
  return `traffic serves from ${targets.join(', ')}; ${sources.join(', ')} retired (tablets stopped, records deleted). Next: set shards to the targets and remove reshard; the old shards' PVCs go once named in confirmRemoval`;
}

function stepMessage(step: ReshardStep, job: string): string {
  const what: Record<ReshardStep, string> = {
    create: 'creating the workflow',
    'wait-for-copy': 'copying, then waiting for the replication lag to fall under the bound',
    'switch-reads': 'switching rdonly and replica traffic',
    'switch-writes': 'switching primary traffic',
    complete: 'completing the workflow',
    cancel: 'cancelling the workflow',
  };
  return `${what[step]} (Job ${job}; its log shows the progress)`;
}

function isShardReady(observed: ReadonlyMap<string, KubeObject>, name: string): boolean {
  const shard = observed.get(`${SHARD_KIND}/${name}`);
  return shard !== undefined && isReady(shard);
}

/**
 * The reshard left the spec with its targets kept as serving shards (`shards` set to the targets)
 * before the workflow completed: the shards that left the spec are its sources, which still serve.
 * They are held whatever confirmRemoval says, until the reshard is put back and completes.
 */
function unfinished(spec: Keyspace, observed: ReadonlyMap<string, KubeObject>, managed: ReadonlySet<string>, running: boolean): ReshardPlan {
  if (!running) return EMPTY;
  const desired = new Set(spec.shards.map((shard) => shard.name));
  const sources = [...observed.values()].filter((child) => child.kind === SHARD_KIND && isRecord(child.spec) && child.spec.keyspace === spec.name && typeof child.spec.name === 'string' && !desired.has(child.spec.name));
  if (sources.length === 0) return EMPTY;
  const names = sources.map((shard) => (shard.spec as { name: string }).name).sort();
  const message = `the shards were set to the targets before the reshard completed: ${names.join(', ')} still serve and are kept. Put the reshard back to finish it`;
  const status: ReshardStatus = { workflow: RESHARD_WORKFLOW, sources: names, targets: [], state: 'CannotCancel', message };
  return { ...EMPTY, kept: [...managed], managed, held: sources.map((shard) => shard.metadata.name), status, unsettled: [message] };
}

/** Observed target shards the spec no longer has: the reshard was taken out of the spec. */
function removedTargets(spec: Keyspace, observed: ReadonlyMap<string, KubeObject>): KubeObject[] {
  const desired = new Set(spec.shards.map((shard) => shard.name));
  return [...observed.values()].filter((child) => {
    if (child.kind !== SHARD_KIND || !isRecord(child.spec)) return false;
    return child.spec.reshardTarget === true && child.spec.keyspace === spec.name && typeof child.spec.name === 'string' && !desired.has(child.spec.name);
  });
}

function cancel(spec: Keyspace, observed: ReadonlyMap<string, KubeObject>): ReshardPlan {
  const removed = removedTargets(spec, observed);
  const ko = keyspaceObject(spec);
  // Every reshard Job stays while the targets do: they say how far the workflow went.
  const jobs = [...observed.values()].filter(isReshardJob);
  const managed = new Set(jobs.map(objectKey));
  const done = (step: ReshardStep) => jobs.some((job) => job.metadata.name === reshardJobName(ko, step) && isReady(job));
  const started = (step: ReshardStep) => jobs.some((job) => job.metadata.name === reshardJobName(ko, step));
  if (removed.length === 0) return unfinished(spec, observed, managed, started('create') && !done('complete'));
  const targets = removed.map((shard) => (shard.spec as { name: string }).name).sort();
  const base = { workflow: RESHARD_WORKFLOW, sources: [], targets };
  if (done('switch-reads') || started('switch-writes')) {
    const message = `the reshard left the spec after traffic was switched to ${targets.join(', ')}: they are kept (they hold the data that serves). Put the reshard back to finish it`;
    return { ...EMPTY, kept: [...managed], managed, held: removed.map((shard) => shard.metadata.name), status: { ...base, state: 'CannotCancel', message }, unsettled: [message] };
  }
  const names = removed.map((shard) => shard.metadata.name);
  if (spec.reshard?.runsWorkflow === false || !started('create')) {
    return { ...EMPTY, kept: [...managed], managed, released: names, status: { ...base, state: 'Cancelled', message: 'no workflow was created: the targets leave' } };
  }
  const name = reshardJobName(ko, 'cancel');
  const job = observed.get(`Job/${name}`);
  const others = [...managed].filter((key) => key !== `Job/${name}`);
  if (job === undefined) {
    const fresh = jobFor(spec, 'cancel', [], targets);
    return { ...EMPTY, slots: [{ desired: fresh, method: 'replace' }], kept: others, managed: new Set([...managed, `Job/${name}`]), status: { ...base, state: 'Cancelling', step: 'cancel', message: stepMessage('cancel', name) } };
  }
  if (isFailedJob(job)) {
    const message = `step cancel failed (Job ${name}): see its logs; delete the Job to retry`;
    return { ...EMPTY, kept: [...managed], managed, status: { ...base, state: 'Failed', step: 'cancel', message }, unsettled: [`reshard ${message}`] };
  }
  if (!isReady(job)) {
    return { ...EMPTY, slots: [{ desired: heldChild(job), observed: job, method: 'replace' }], kept: others, managed, status: { ...base, state: 'Cancelling', step: 'cancel', message: stepMessage('cancel', name) } };
  }
  return { ...EMPTY, kept: [...managed], managed, released: names, status: { ...base, state: 'Cancelled', step: 'cancel', message: 'the workflow is cancelled: the targets leave; the sources serve as before' } };
}
