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
 * - `reshard.traffic: source` (docs/decisions/0026-reshard-reverse-traffic.md) reverses what was
 *   switched, writes then reads, and holds the workflow there (the targets kept in step) until it is
 *   set back to `target`, which switches again. Not once complete started: the sources are then going.
 * - Removing the targets from the spec cancels: traffic switched to them is reversed first, then
 *   `Reshard cancel`, then the targets leave (their data is a copy). Not once complete started: the
 *   targets then hold the data that serves, and they are kept until the reshard is put back.
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
import { RESHARD_COMPONENT, RESHARD_TARGETS_ANNOTATION, REVERSE_STEPS, SWITCH_STEPS, reshardJob, reshardJobName, type ReshardStep } from '../templates/reshard-jobs.ts';
import { VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS } from '../vitess/flags.ts';
import { LABEL } from '../vitess/labels.ts';
import { cellObjectName, keyspaceObjectName, shardObjectName } from '../vitess/names.ts';
import { reshardSources } from '../vitess/reshard.ts';
import { withRevision } from './pipeline.ts';

/** The workflow's name in Vitess: one reshard per keyspace at a time. */
export const RESHARD_WORKFLOW = 'reshard';

export type ReshardState = 'WaitingForShards' | 'Running' | 'Failed' | 'Complete' | 'Cancelling' | 'Cancelled' | 'CannotCancel' | 'RunByFirstCell' | 'Reversing' | 'ServingSources';

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

export function reshardPlan(spec: Keyspace, observed: ReadonlyMap<string, KubeObject>, now: Date): ReshardPlan {
  // A retiring keyspace removes every shard: no reshard runs.
  if (spec.retire === true) return EMPTY;
  const targets = spec.shards.filter((shard) => shard.reshardTarget === true);
  if (targets.length > 0) return forward(spec, observed, targets.map((t) => t.name), now);
  return cancel(spec, observed, now);
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

interface Run {
  spec: Keyspace;
  observed: ReadonlyMap<string, KubeObject>;
  now: Date;
  ko: string;
  /** The target set the Jobs are made for (their annotation). */
  key: string;
  sources: string[];
  targets: string[];
  base: { workflow: string; sources: string[]; targets: string[] };
}

type Plan = ReshardPlan & { managed: Set<string>; retire: Set<string> };

/** A step run or waited for: 'done' once its Job completed, else the status to answer. */
function runStep(run: Run, plan: Plan, step: ReshardStep, running: ReshardState): 'done' | ReshardStatus {
  const { observed, ko, key, base } = run;
  const name = reshardJobName(ko, step);
  const job = stepJob(observed, name, key);
  const jobKey = `Job/${name}`;
  if (job !== undefined && isReady(job)) {
    plan.managed.add(jobKey);
    plan.kept.push(jobKey);
    return 'done';
  }
  if (job !== undefined && isFailedJob(job)) {
    plan.managed.add(jobKey);
    plan.kept.push(jobKey);
    const message = `step ${step} failed (Job ${name}): see its logs; fix the cause, then delete the Job to retry`;
    plan.unsettled.push(`reshard ${message}`);
    return { ...base, state: 'Failed', step, message };
  }
  if (job !== undefined) {
    plan.managed.add(jobKey);
    plan.slots.push({ desired: heldChild(job), observed: job, method: 'replace' });
    return { ...base, state: running, step, message: stepMessage(step, name) };
  }
  if (observed.has(jobKey)) {
    // Made for another target set: it goes with this answer, the new one comes on the next sync.
    return { ...base, state: running, step, message: `replacing the obsolete Job ${name}` };
  }
  if (step === 'create') {
    const waiting = [...run.sources, ...run.targets].filter((shard) => !isShardReady(observed, shardObjectName(ko, shard)));
    if (waiting.length > 0) return { ...base, state: 'WaitingForShards', step, message: `waiting for shards ${waiting.join(', ')} to be Ready` };
  }
  plan.managed.add(jobKey);
  plan.slots.push({ desired: jobFor(run.spec, step, run.sources, run.targets), method: 'replace' });
  return { ...base, state: running, step, message: stepMessage(step, name) };
}

/** Observed Jobs of these steps made for this target set. */
function jobsOf(run: Run, steps: readonly ReshardStep[]): { step: ReshardStep; job: KubeObject }[] {
  return steps.flatMap((step) => {
    const job = stepJob(run.observed, reshardJobName(run.ko, step), run.key);
    return job === undefined ? [] : [{ step, job }];
  });
}

const isActive = (job: KubeObject): boolean => !isReady(job) && !isFailedJob(job);

/**
 * Seconds still to wait after a completed write switch before the next one the other way: vtgate
 * buffers a shard's primary traffic through a switch only if its previous one ended at least
 * `--buffer-min-time-between-failovers` before (lib/vitess/flags.ts); a quicker one fails queries
 * (measured: 5 writes and 8 reads at a switch 50 s after a reversal). 0 without a completion time.
 */
function switchSpacing(job: KubeObject | undefined, now: Date): number {
  const completed = job !== undefined && isReady(job) && isRecord(job.status) && typeof job.status.completionTime === 'string' ? Date.parse(job.status.completionTime) : NaN;
  if (Number.isNaN(completed)) return 0;
  return Math.max(0, Math.ceil(VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS - (now.getTime() - completed) / 1000));
}

function spacingMessage(seconds: number, next: string): string {
  return `waiting ${seconds} s before ${next}: vtgate buffers a write switch only ${VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS} s after the previous one (--buffer-min-time-between-failovers)`;
}

/** Active Jobs are answered as they are (never cut off mid-switch); the others go with this answer. */
function holdActive(plan: Plan, jobs: readonly { step: ReshardStep; job: KubeObject }[]): ReshardStep[] {
  const active = jobs.filter(({ job }) => isActive(job));
  for (const { job } of active) {
    plan.managed.add(objectKey(job));
    plan.slots.push({ desired: heldChild(job), observed: job, method: 'replace' });
  }
  return active.map(({ step }) => step);
}

function forward(spec: Keyspace, observed: ReadonlyMap<string, KubeObject>, targets: string[], now: Date): ReshardPlan {
  const serving = spec.shards.filter((shard) => shard.reshardTarget !== true);
  const sources = reshardSources(serving, spec.shards.filter((shard) => shard.reshardTarget === true)).map((shard) => shard.name);
  const base = { workflow: RESHARD_WORKFLOW, sources, targets };
  const ko = keyspaceObject(spec);
  if (spec.reshard?.runsWorkflow !== true) {
    // The first cell completed the workflow (the cluster passes it on): this cell's sources retire too.
    if (spec.reshard?.complete === true) return { ...EMPTY, retire: new Set(sources.map((source) => shardObjectName(ko, source))), status: { ...base, state: 'Complete', message: completeMessage(sources, targets) } };
    return { ...EMPTY, status: { ...base, state: 'RunByFirstCell', message: "the keyspace's first cell runs the workflow; this cell runs the target shards" } };
  }
  const run: Run = { spec, observed, now, ko, key: targets.join(','), sources, targets, base };
  const plan: Plan = { ...EMPTY, slots: [], kept: [], managed: new Set(), retire: new Set(), released: [], held: [], unsettled: [] };
  for (const step of ['create', 'wait-for-copy'] as const) {
    const outcome = runStep(run, plan, step, 'Running');
    if (outcome !== 'done') return { ...plan, status: outcome };
  }
  // Once complete started, the sources are on their way out: there is nothing left to reverse to.
  const completing = jobsOf(run, ['complete']).length > 0;
  if (spec.reshard.traffic === 'source' && !completing) return toSources(run, plan);
  return toTargets(run, plan, spec.reshard.traffic === 'source');
}

/**
 * Traffic to the targets: switch reads, switch writes, complete, then retire the sources. After a
 * reversal, its Jobs and the forward switch Jobs from before it go first (held while one runs), so
 * that every switch Job observed afterwards was made after the reversal: the switch steps then run
 * again, each reading Vitess' traffic state first.
 */
function toTargets(run: Run, plan: Plan, sourceAsked: boolean): ReshardPlan {
  const { base, ko, sources, targets } = run;
  const reversal = jobsOf(run, REVERSE_STEPS);
  if (reversal.length > 0) {
    const wait = switchSpacing(reversal.find(({ step }) => step === 'reverse-writes')?.job, run.now);
    if (wait > 0) {
      // The reversal's Jobs stay until then: reverse-writes' completion time is the clock.
      for (const { job } of reversal) {
        plan.managed.add(objectKey(job));
        plan.kept.push(objectKey(job));
      }
      const message = spacingMessage(wait, 'switching to the targets again');
      // Unsettled: the hook is called again within 10 s (lib/sync/pipeline.ts), not at the 60 s resync.
      plan.unsettled.push(`reshard ${message}`);
      return { ...plan, status: { ...base, state: 'Running', step: 'switch-reads', message } };
    }
    const active = holdActive(plan, [...reversal, ...jobsOf(run, ['switch-reads', 'switch-writes'])]);
    const message = active.length > 0 ? `waiting for step ${active.join(', ')} to finish before switching to the targets again` : "clearing the reversal's Jobs before switching to the targets again";
    return { ...plan, status: { ...base, state: 'Running', step: 'switch-reads', message } };
  }
  for (const step of ['switch-reads', 'switch-writes', 'complete'] as const) {
    const outcome = runStep(run, plan, step, 'Running');
    if (outcome !== 'done') return { ...plan, status: sourceAsked ? { ...outcome, message: `${outcome.message}; traffic: source is not honoured once complete started` } : outcome };
  }
  for (const source of sources) plan.retire.add(shardObjectName(ko, source));
  return { ...plan, status: { ...base, state: 'Complete', step: 'complete', message: completeMessage(sources, targets) } };
}

function completeMessage(sources: readonly string[], targets: readonly string[]): string {
  return `traffic serves from ${targets.join(', ')}; ${sources.join(', ')} retired (tablets stopped, records deleted). Next: set shards to the targets and remove reshard; the old shards' PVCs go once named in confirmRemoval`;
}

/**
 * Traffic to the sources (`traffic: source`): a forward switch under way finishes first, then the
 * reverse steps run, writes then reads, each a no-op when its traffic is on the sources already (so
 * they run even when nothing was switched: Vitess' traffic state, not the Jobs, says what is). Once
 * both completed, the forward switch Jobs go: a switch to the targets later runs them again.
 */
function toSources(run: Run, plan: Plan): ReshardPlan {
  const { base, sources } = run;
  const switches = jobsOf(run, ['switch-reads', 'switch-writes']);
  const active = switches.filter(({ job }) => isActive(job)).map(({ step }) => step);
  for (const { job } of switches) plan.managed.add(objectKey(job));
  if (active.length > 0) {
    holdActive(plan, switches);
    for (const { job } of switches) if (!isActive(job)) plan.kept.push(objectKey(job));
    for (const { job } of jobsOf(run, REVERSE_STEPS)) {
      plan.managed.add(objectKey(job));
      plan.kept.push(objectKey(job));
    }
    return { ...plan, status: { ...base, state: 'Reversing', step: active[0], message: `waiting for step ${active.join(', ')} to finish, then reversing traffic to ${sources.join(', ')}` } };
  }
  for (const { job } of switches) plan.kept.push(objectKey(job));
  const wait = jobsOf(run, ['reverse-writes']).length > 0 ? 0 : switchSpacing(switches.find(({ step }) => step === 'switch-writes')?.job, run.now);
  if (wait > 0) {
    const message = spacingMessage(wait, 'reversing writes');
    plan.unsettled.push(`reshard ${message}`);
    return { ...plan, status: { ...base, state: 'Reversing', step: 'reverse-writes', message } };
  }
  for (const step of REVERSE_STEPS) {
    const outcome = runStep(run, plan, step, 'Reversing');
    if (outcome !== 'done') return { ...plan, status: outcome };
  }
  const gone = new Set(switches.map(({ job }) => objectKey(job)));
  const message = `traffic serves from ${sources.join(', ')} (traffic: source); the workflow keeps ${run.targets.join(', ')} in step. Set traffic: target to switch again, or remove reshard to cancel`;
  return {
    ...plan,
    managed: new Set([...plan.managed].filter((key) => !gone.has(key))),
    kept: plan.kept.filter((key) => !gone.has(key)),
    status: { ...base, state: 'ServingSources', step: 'reverse-reads', message },
  };
}

function stepMessage(step: ReshardStep, job: string): string {
  const what: Record<ReshardStep, string> = {
    create: 'creating the workflow',
    'wait-for-copy': 'copying, then waiting for the replication lag to fall under the bound',
    'switch-reads': 'switching rdonly and replica traffic',
    'switch-writes': 'switching primary traffic',
    complete: 'completing the workflow',
    cancel: 'cancelling the workflow',
    'reverse-writes': 'reversing primary traffic to the sources',
    'reverse-reads': 'reversing rdonly and replica traffic to the sources',
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

/**
 * The reshard left the spec with its targets (`shards` unchanged): cancel. Traffic switched to the
 * targets is reversed first (writes, then reads: the reverse steps), the targets held meanwhile; then
 * `Reshard cancel`, then the targets leave with their copy. Only once complete started is it too late.
 */
function cancel(spec: Keyspace, observed: ReadonlyMap<string, KubeObject>, now: Date): ReshardPlan {
  const removed = removedTargets(spec, observed);
  const ko = keyspaceObject(spec);
  // Every reshard Job stays while the targets do: they say how far the workflow went.
  const jobs = [...observed.values()].filter(isReshardJob);
  const managed = new Set(jobs.map(objectKey));
  const jobOf = (step: ReshardStep) => jobs.find((job) => job.metadata.name === reshardJobName(ko, step));
  const done = (step: ReshardStep) => jobs.some((job) => job.metadata.name === reshardJobName(ko, step) && isReady(job));
  const started = (step: ReshardStep) => jobOf(step) !== undefined;
  if (removed.length === 0) return unfinished(spec, observed, managed, started('create') && !done('complete'));
  const targets = removed.map((shard) => (shard.spec as { name: string }).name).sort();
  const base = { workflow: RESHARD_WORKFLOW, sources: [], targets };
  const held = removed.map((shard) => shard.metadata.name);
  if (started('complete')) {
    const message = `the reshard left the spec after its completion started: ${targets.join(', ')} are kept (they hold the data that serves). Put the reshard back to finish it`;
    return { ...EMPTY, kept: [...managed], managed, held, status: { ...base, state: 'CannotCancel', message }, unsettled: [message] };
  }
  if (spec.reshard?.runsWorkflow === false || !started('create')) {
    return { ...EMPTY, kept: [...managed], managed, released: held, status: { ...base, state: 'Cancelled', message: 'no workflow was created: the targets leave' } };
  }
  if (SWITCH_STEPS.some(started)) {
    const reversing = reverseBeforeCancel(spec, jobOf, base, managed, now);
    if (reversing !== undefined) return { ...reversing, held };
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
  return { ...EMPTY, kept: [...managed], managed, released: held, status: { ...base, state: 'Cancelled', step: 'cancel', message: 'the workflow is cancelled: the targets leave; the sources serve as before' } };
}

/**
 * Before a cancel, traffic comes back to the sources: a forward switch under way finishes, then
 * reverse-writes, then reverse-reads (each a no-op when its traffic is on the sources). Undefined once
 * both completed: the cancel may run.
 */
function reverseBeforeCancel(
  spec: Keyspace,
  jobOf: (step: ReshardStep) => KubeObject | undefined,
  base: { workflow: string; sources: string[]; targets: string[] },
  managed: ReadonlySet<string>,
  now: Date,
): ReshardPlan | undefined {
  const hold = (job: KubeObject) => ({ ...EMPTY, slots: [{ desired: heldChild(job), observed: job, method: 'replace' as const }], kept: [...managed].filter((key) => key !== objectKey(job)), managed });
  for (const step of ['switch-reads', 'switch-writes'] as const) {
    const job = jobOf(step);
    if (job !== undefined && isActive(job)) return { ...hold(job), status: { ...base, state: 'Reversing', step, message: `waiting for step ${step} to finish, then reversing traffic before cancelling` } };
  }
  for (const step of REVERSE_STEPS) {
    const job = jobOf(step);
    const name = reshardJobName(keyspaceObject(spec), step);
    const wait = step === 'reverse-writes' && job === undefined ? switchSpacing(jobOf('switch-writes'), now) : 0;
    if (wait > 0) {
      const message = spacingMessage(wait, 'reversing writes, then cancelling');
      return { ...EMPTY, kept: [...managed], managed, status: { ...base, state: 'Reversing', step, message }, unsettled: [`reshard ${message}`] };
    }
    if (job === undefined) {
      const fresh = jobFor(spec, step, [], base.targets);
      return { ...EMPTY, slots: [{ desired: fresh, method: 'replace' }], kept: [...managed], managed: new Set([...managed, `Job/${name}`]), status: { ...base, state: 'Reversing', step, message: `${stepMessage(step, name)}, then cancelling` } };
    }
    if (isFailedJob(job)) {
      const message = `step ${step} failed (Job ${name}): see its logs; delete the Job to retry`;
      return { ...EMPTY, kept: [...managed], managed, status: { ...base, state: 'Failed', step, message }, unsettled: [`reshard ${message}`] };
    }
    if (!isReady(job)) return { ...hold(job), status: { ...base, state: 'Reversing', step, message: `${stepMessage(step, name)}, then cancelling` } };
  }
  return undefined;
}
