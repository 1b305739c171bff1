/**
 * The steps every layer shares:
 *
 *   request -> spec (valibot) -> problems? -> desired children -> revisions -> rollout plan -> status + answer
 *
 * A spec that cannot be honoured holds every child. Otherwise the rollout planner decides which
 * children move now; status reports readiness from the observed children, and the rollout's progress.
 */
import * as v from 'valibot';
import type { TemplateSpec } from '../api/common.ts';
import { namespaceProblem, templateProblems } from '../api/template.ts';
import { condition, type ConditionInput, hasStatusCondition, stampConditions } from '../kube/conditions.ts';
import { sha256 } from '../kube/hash.ts';
import { isRecord, type KubeObject, objectKey, setKey } from '../kube/object.ts';
import { isReady } from '../kube/readiness.ts';
import { heldChild, lastApplied } from '../metacontroller/hold.ts';
import { hasImmutableFields, keepImmutableFields } from '../kube/immutable.ts';
import type { ObservedParent, SyncRequest, SyncResponse } from '../metacontroller/request.ts';
import { planRollout, REVISION_ANNOTATION, revisionOf, type RolloutPlan } from '../rollout/planner.ts';
import { carryAll, defaultSlots, isSettled, isVitessLayerKind, pendingRemovalsOf, REMOVAL_PENDING, reportedVolumes, type SlotSet, volumesOf } from '../rollout/slots.ts';
import type { Layer, SyncContext } from './layer.ts';
import { deleteAnswer, deletionMode, releaseAnswer } from './release.ts';
import { readSpec, type SpecMemo, specMemo } from './specs.ts';
import { CHILD_NOT_CREATED, findAbsences, type NotCreatedChild, notCreatedMessage } from './absent.ts';

const NONE_DECLARED: ReadonlySet<string> = new Set();

/** How many children a status message names before it says "and N more". */
const NAMED_IN_MESSAGE = 5;
/** Hex digits of a revision: like a pod-template-hash, short to read, ample to tell two states apart. */
const REVISION_LENGTH = 10;
/** While a rollout waits, sync again after this long even if no child changes. */
const ROLLOUT_RESYNC_SECONDS = 10;

/** What every layer's spec carries: the template metadata its children inherit. */
export interface LayerSpec {
  template: TemplateSpec;
}

export interface LayerDefinition<Spec extends LayerSpec, Derived = undefined> {
  name: Layer['name'];
  parentKind: Layer['parentKind'];
  schema: v.GenericSchema<unknown, Spec>;
  /**
   * What several steps need from the spec (the shard's tablet list), computed once per sync and
   * passed to children, slots and status explicitly: no memo outlives a sync.
   */
  derive?(spec: Spec, parent: ObservedParent, now: Date): Derived;
  /** Problems that make a spec impossible to honour, each `path: message`; none when it is fine. */
  problems(spec: Spec, parent: ObservedParent): string[];
  /**
   * The desired children, in rollout order. `observed` is there for a layer whose desired state depends
   * on how far its children got (the cluster holds components until every cell's tablets rolled);
   * `declared`: the child resources the CompositeController declares (SyncRequest).
   */
  children(spec: Spec, parent: ObservedParent, derived: Derived, observed: ReadonlyMap<string, KubeObject>, declared: ReadonlySet<string>): KubeObject[];
  /** How many outdated children may move at once. */
  maxInFlight(spec: Spec): number;
  /** Removed children that may be deleted with their data (names), from the spec. */
  confirmRemoval(spec: Spec): readonly string[];
  /**
   * Slots for the planner, when the layer needs more than desired-then-removed (tablets do).
   * `applied`: the last applied configuration of each observed child of a kind with immutable fields
   * that is desired again, by key, as read for keepImmutableFields (so it is parsed once per sync).
   */
  slots?(spec: Spec, desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>, now: Date, derived: Derived, applied: ReadonlyMap<string, KubeObject | undefined>): SlotSet;
  /** Layer-specific status fields, from the observed children (`now`: to judge how old what they carry is). */
  status?(spec: Spec, observed: ReadonlyMap<string, KubeObject>, desired: readonly KubeObject[], derived: Derived, now: Date): Record<string, unknown>;
}

export function defineLayer<Spec extends LayerSpec, Derived = undefined>(definition: LayerDefinition<Spec, Derived>): Layer {
  // The specs this layer validated last (lib/sync/specs.ts: keyed by their text, bounded, frozen).
  const specs = specMemo<Spec>();
  return {
    name: definition.name,
    parentKind: definition.parentKind,
    sync: (request: SyncRequest, context: SyncContext): SyncResponse => syncLayer(definition, specs, request, context),
  };
}

function syncLayer<Spec extends LayerSpec, Derived>(definition: LayerDefinition<Spec, Derived>, specs: SpecMemo<Spec>, request: SyncRequest, context: SyncContext): SyncResponse {
  // A deletion is decided before the spec is read: it creates and rolls nothing (lib/sync/release.ts).
  const deletion = deletionMode(request);
  if (deletion === 'release') return releaseAnswer(request, context);
  if (deletion === 'delete') return deleteAnswer(request, context);
  const { parent } = request;
  // Validated, keys sorted once: every child built from the spec has one key order whatever the
  // order in the user's YAML; revisions can then hash children as they are (see withRevision).
  const read = readSpec(specs, definition.schema, parent.spec ?? {});
  if (!read.success) return holdEverything(request, read.issues, context);
  const { spec } = read;
  const problems = [...commonProblems(spec, parent, context), ...definition.problems(spec, parent)];
  if (problems.length > 0) return holdEverything(request, problems, context);

  const observed = new Map(request.children.map((child) => [objectKey(child), child]));
  const derived = definition.derive?.(spec, parent, context.now) as Derived;
  const applied = new Map<string, KubeObject | undefined>();
  const kept = definition.children(spec, parent, derived, observed, request.declared ?? NONE_DECLARED).map((child) => {
    // The last applied configuration is parsed only for kinds it can change (a JSON.parse per child),
    // and once: the layer's slots hold those children with it (a shard's PVCs).
    const key = objectKey(child);
    const live = hasImmutableFields(child.kind) ? observed.get(key) : undefined;
    if (live === undefined) return keepImmutableFields(child, undefined);
    const last = lastApplied(live);
    applied.set(key, last);
    return keepImmutableFields(child, last);
  });
  const desired = kept.map((k) => withRevision(k.object));
  const slotSet = definition.slots?.(spec, desired, observed, context.now, derived, applied) ?? defaultSlots(desired, observed, definition.confirmRemoval(spec));
  const notApplied = [...kept.flatMap((k) => k.notApplied), ...(slotSet.notApplied ?? [])];
  // Children on their latest revision that rolled as far as the cluster's first phase takes them, their
  // primary left for the next (docs/decisions/0017): settled for this layer's pace, not Updated.
  const deferredChildren = desired.map((child) => ({ key: objectKey(child), seen: observed.get(objectKey(child)), child })).filter(({ seen, child }) => seen !== undefined && revisionOf(seen) === revisionOf(child) && childDeferred(seen)).map(({ key }) => key);
  const unsettled = [...(slotSet.unsettled ?? []), ...deferredChildren.map((key) => `${key}: its primary waits for the other cells' tablets to roll`)];
  const { slots } = slotSet;
  // This layer's own pending removals, then those its children report, so the top names them all.
  const pendingRemovals = [...slotSet.pendingRemovals, ...[...observed.values()].flatMap(pendingRemovalsOf)];
  // Children the layer knows to be up but not yet in service (a tablet vtgate does not serve from yet) count in flight.
  const notServing = new Set(slotSet.notServing ?? []);
  // And children the layer knows to be as far as this phase of its rollout takes them count settled.
  const settledByLayer = new Set([...(slotSet.settledByLayer ?? []), ...deferredChildren]);
  const settled = notServing.size === 0 && settledByLayer.size === 0 ? isSettled : (child: KubeObject): boolean => !notServing.has(objectKey(child)) && (settledByLayer.has(objectKey(child)) || isSettled(child));
  const planned = planRollout(slots, { maxInFlight: definition.maxInFlight(spec), isSettled: settled });
  const waitingForVtgate = [...notServing].filter((key) => planned.inFlight.includes(key));
  const plan = waitingForVtgate.length === 0 ? planned : { ...planned, message: `${planned.message}; vtgate does not serve from ${waitingForVtgate.join(', ')} at its Pod's IP yet` };
  const { held, unclassified } = carryAll(desired, observed, slotSet, plan.children);
  const answered = [...plan.children, ...held];
  // Children answered but never observed, remembered in the status sent back (lib/sync/absent.ts).
  const absences = findAbsences(parent, answered, observed, context.now);
  const takenDown = takenDownByRollout(parent.status?.rollout, plan);
  const rollout = { takenDown, maxInFlight: definition.maxInFlight(spec), wasReady: hasStatusCondition(parent.status?.conditions, 'Ready', 'True'), now: context.now };
  const ready = readyCondition(desired, observed, pendingRemovals, absences.notCreated, parent.metadata.namespace, rollout);
  const conditions = [ready, updatedCondition(plan, pendingRemovals, unsettled)];
  const resync = plan.complete && unsettled.length === 0 ? absences.resyncAfterSeconds : Math.min(ROLLOUT_RESYNC_SECONDS, absences.resyncAfterSeconds ?? Infinity);
  return {
    status: {
      ...definition.status?.(spec, observed, desired, derived, context.now),
      children: desired.length,
      readyChildren: desired.filter((child) => isObservedReady(child, observed)).length,
      updatedChildren: plan.slots.filter((slot) => slot.decision === 'current' && isSettledKey(slot.key, observed)).length,
      rolledOut: rolledOut(plan, observed),
      ...(primaryDeferred(plan, slotSet.deferred ?? [], deferredChildren) ? { primaryDeferred: true } : {}),
      ...observedVolumes(observed),
      rollout: {
        inFlight: plan.inFlight,
        waiting: plan.waiting.length,
        message: plan.message,
        paused: plan.paused,
        ...listIfAny('moved', plan.slots.filter((slot) => slot.decision === 'move' || slot.decision === 'remove').map((slot) => slot.key)),
        ...listIfAny('takenDown', takenDown),
      },
      pendingRemovals: pendingRemovals.length > 0 ? pendingRemovals : undefined,
      notApplied: notApplied.length > 0 ? notApplied : undefined,
      unclassified: unclassified.length > 0 ? unclassified : undefined,
      awaitingCreation: absences.awaiting.length > 0 ? absences.awaiting : undefined,
      notCreated: absences.notCreated.length > 0 ? absences.notCreated : undefined,
      conditions: stamp(parent, conditions, context),
    },
    children: answered,
    ...(resync === undefined ? {} : { resyncAfterSeconds: resync }),
  };
}

/**
 * What no layer may be given (lib/api/template.ts): an object in the operator's own namespace, and
 * template labels or annotations that would join our Pods to a Service or lift a Pod protection.
 * Every layer checks, since each can be created directly.
 */
function commonProblems(spec: LayerSpec, parent: ObservedParent, context: SyncContext): string[] {
  const namespace = namespaceProblem(parent.metadata.namespace, context.operatorNamespace);
  return [...(namespace === undefined ? [] : [namespace]), ...templateProblems(spec.template, 'spec.template')];
}

/**
 * The answer for a spec that cannot be honoured: every observed child exactly as last applied, so
 * Metacontroller changes and deletes nothing, and a Ready=False condition naming each problem.
 */
function holdEverything(request: SyncRequest, problems: string[], context: SyncContext): SyncResponse {
  const observed = request.children;
  const observedByKey = new Map(observed.map((child) => [objectKey(child), child]));
  const message = `spec cannot be honoured, nothing was changed: ${problems.join('; ')}`;
  return {
    status: {
      children: observed.length,
      readyChildren: observed.filter(isReady).length,
      ...observedVolumes(observedByKey),
      problems,
      conditions: stamp(request.parent, [condition('Ready', false, 'InvalidSpec', message), condition('Updated', false, 'InvalidSpec', message)], context),
    },
    children: observed.map(heldChild),
  };
}

/**
 * Stamps a child with the hash of its desired state. Children are built by code from a spec whose
 * keys were sorted at the edge, so the same desired state always serializes the same way and the
 * hash needs no canonical form of its own (hashing is on the hot path: one per child per sync).
 */
export function withRevision(child: KubeObject): KubeObject {
  const annotations = withoutKey(child.metadata.annotations, REVISION_ANNOTATION);
  const hashed = { ...child, metadata: { ...child.metadata, annotations } };
  // The copy hashed is the copy answered: it is ours, so the revision is added to it in place
  // (last key, as a spread would put it) rather than copying the child a second time.
  annotations[REVISION_ANNOTATION] = sha256(JSON.stringify(hashed)).slice(0, REVISION_LENGTH);
  return hashed;
}

/**
 * A copy of `record` without `key`, in its key order: what `const { [key]: _, ...rest } = record`
 * gives, written as a loop because the engine's object rest is slow (one per desired child per sync).
 */
function withoutKey(record: Readonly<Record<string, string>> | undefined, key: string): Record<string, string> {
  const copy: Record<string, string> = {};
  if (record === undefined) return copy;
  for (const name of Object.keys(record)) {
    if (name !== key) setKey(copy, name, record[name] as string);
  }
  return copy;
}

/** A status list of desired children by name, each with whether it is observed and ready. */
export function childList(desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>): { name: string; ready: boolean }[] {
  return desired.map((child) => ({ name: child.metadata.name, ready: isObservedReady(child, observed) }));
}

function isObservedReady(child: KubeObject, observed: ReadonlyMap<string, KubeObject>): boolean {
  const seen = observed.get(objectKey(child));
  return seen !== undefined && isReady(seen);
}

/**
 * No child waits to be moved to a newer revision, down to the tablets (our layers say so of theirs for
 * their latest generation), ready or not: how far a rollout got, not whether it serves. Children being
 * created count as rolled: there is nothing of them to roll. The cluster reads it to hold components
 * until every cell's tablets rolled; a tablet that crashes later does not change it.
 */
function rolledOut(plan: RolloutPlan, observed: ReadonlyMap<string, KubeObject>): boolean {
  return plan.slots.every((slot) => (slot.decision === 'current' || slot.decision === 'create') && childRolledOut(observed.get(slot.key)));
}

/**
 * An observed child is rolled out below it: not our layer kind; or never synced yet (just created);
 * or it says so (`rolledOut`) for its latest generation (a status from before that field: Updated=True).
 */
export function childRolledOut(child: KubeObject | undefined): boolean {
  if (child === undefined || !isVitessLayerKind(child.kind)) return true;
  const status = (child.status ?? {}) as { observedGeneration?: number; rolledOut?: unknown };
  if (status.observedGeneration === undefined) return true;
  const current = child.metadata.generation === undefined || status.observedGeneration >= child.metadata.generation;
  return current && (status.rolledOut === true || (status.rolledOut === undefined && hasStatusCondition((child.status as { conditions?: unknown }).conditions, 'Updated', 'True')));
}

/**
 * Everything rolled as far as the cluster's first phase takes it: nothing in flight, and all that waits
 * is a primary left for the next phase, here (`deferred` slots) or below (children saying so).
 */
function primaryDeferred(plan: RolloutPlan, deferred: readonly string[], deferredChildren: readonly string[]): boolean {
  const isDeferred = (slot: RolloutPlan['slots'][number]): boolean => slot.decision === 'wait-gate' && deferred.includes(slot.key);
  if (!plan.slots.some(isDeferred) && deferredChildren.length === 0) return false;
  return plan.paused === undefined && plan.inFlight.length === 0 && plan.slots.every((slot) => slot.decision === 'current' || isDeferred(slot));
}

/** An observed child of our layer kinds that reports, for its latest generation, its primary left for the next phase. */
export function childDeferred(child: KubeObject): boolean {
  if (!isVitessLayerKind(child.kind)) return false;
  const status = (child.status ?? {}) as { observedGeneration?: number; primaryDeferred?: unknown };
  const synced = child.metadata.generation === undefined || (status.observedGeneration ?? -1) >= child.metadata.generation;
  return synced && status.primaryDeferred === true;
}

function isSettledKey(key: string, observed: ReadonlyMap<string, KubeObject>): boolean {
  const seen = observed.get(key);
  return seen !== undefined && isSettled(seen);
}

/**
 * Tablet volumes at and below this layer: PVCs observed here (shards), plus what child layers report.
 * Removal protection reads it: a cell, keyspace or shard with volumes is never removed unconfirmed.
 * A child layer that has not reported a count may hold data: `volumes` then counts the known ones and
 * `volumesUnknown` is true, which the parent reads as "may hold data" (volumesOf).
 */
function observedVolumes(observed: ReadonlyMap<string, KubeObject>): { volumes: number; volumesUnknown?: true } {
  let volumes = 0;
  let unknown = false;
  for (const child of observed.values()) {
    if (child.kind === 'PersistentVolumeClaim') volumes += 1;
    else if (isVitessLayerKind(child.kind)) {
      const count = volumesOf(child);
      if (count === undefined) {
        unknown = true;
        // A partial count still counts what is known below (it only ever errs towards "has data").
        volumes += reportedVolumes(child) ?? 0;
      } else volumes += count;
    }
  }
  return unknown ? { volumes, volumesUnknown: true } : { volumes };
}

/**
 * How long a child the rollout moved may stay unready and still count as a planned disruption: a
 * recreated Pod not Ready this long after it was created turns Ready False (a Deployment says so
 * itself: its Progressing condition turns False at its progressDeadlineSeconds, 600 s by default).
 */
export const ROLLOUT_READY_DEADLINE_SECONDS = 600;

/**
 * Ready means serving. True when every desired child is ready; and it stays True while the only
 * unready children are the ones the rollout took down on purpose (`takenDown`: moved, not settled yet),
 * no more of them than the rollout setting allows, none past its deadline. It turns True only once every child
 * is ready: a layer being created, or one already unready, is not Ready just because a rollout runs.
 */
function readyCondition(
  desired: readonly KubeObject[],
  observed: ReadonlyMap<string, KubeObject>,
  pendingRemovals: readonly string[],
  notCreated: readonly NotCreatedChild[],
  namespace: string | undefined,
  { takenDown, maxInFlight, wasReady, now }: { takenDown: readonly string[]; maxInFlight: number; wasReady: boolean; now: Date },
): ConditionInput {
  // First: a child that cannot be created blocks everything else, and only its owner's events say why.
  if (notCreated.length > 0) return condition('Ready', false, CHILD_NOT_CREATED, notCreatedMessage(notCreated, namespace));
  if (pendingRemovals.length > 0) {
    return condition('Ready', false, REMOVAL_PENDING, `${pendingRemovals.join(', ')} left the spec but still hold tablet data: kept until named in spec.confirmRemoval`);
  }
  const waitingFor = desired.filter((child) => !isObservedReady(child, observed)).map(objectKey);
  const ready = desired.length - waitingFor.length;
  if (waitingFor.length === 0) return condition('Ready', true, 'AllChildrenReady', `${ready}/${desired.length} children ready`);
  const inFlight = new Set(takenDown);
  const late = waitingFor.filter((key) => inFlight.has(key) && pastDeadline(observed.get(key), now));
  const planned = waitingFor.filter((key) => inFlight.has(key) && !late.includes(key) && isRolloutDisruption(observed.get(key)));
  if (wasReady && planned.length === waitingFor.length && planned.length <= maxInFlight) {
    return condition('Ready', true, 'RollingUpdate', `${ready}/${desired.length} children ready; ${listed(planned)} taken down by the rollout (at most ${maxInFlight} at a time)`);
  }
  if (late.length > 0) {
    return condition('Ready', false, 'RolloutDeadlineExceeded', `${ready}/${desired.length} children ready; ${listed(late)} not ready within ${ROLLOUT_READY_DEADLINE_SECONDS}s (a Pod created longer ago, or a Deployment past its progress deadline)`);
  }
  return condition('Ready', false, 'ChildrenNotReady', `${ready}/${desired.length} children ready; waiting for ${listed(waitingFor)}`);
}

/**
 * The children the rollout took down on purpose and that are still in flight: moved by an earlier sync
 * (`status.rollout.moved`) or already counted so (`status.rollout.takenDown`), remembered in the status
 * this layer wrote last. A child that goes unready or missing without the rollout moving it is not
 * among them. A mangled status is an empty memory.
 */
function takenDownByRollout(previous: unknown, plan: RolloutPlan): string[] {
  const keys = (field: string): string[] => {
    const list = isRecord(previous) ? previous[field] : undefined;
    return Array.isArray(list) ? list.filter((key): key is string => typeof key === 'string') : [];
  };
  const before = new Set([...keys('moved'), ...keys('takenDown')]);
  return plan.inFlight.filter((key) => before.has(key));
}

/** `{ [name]: keys }` when there are any: a status field that is absent at rest. */
function listIfAny(name: string, keys: readonly string[]): Record<string, string[]> {
  return keys.length > 0 ? { [name]: [...keys] } : {};
}

function listed(keys: readonly string[]): string {
  const named = keys.slice(0, NAMED_IN_MESSAGE).join(', ');
  return keys.length > NAMED_IN_MESSAGE ? `${named} and ${keys.length - NAMED_IN_MESSAGE} more` : named;
}

/**
 * An unready child that the rollout's own move explains: one being created anew (absent) or deleted,
 * a young Pod, a Deployment or StatefulSet still rolling its Pods. A workload whose rollout finished
 * but which lost a Pod, and our own layers (their Ready already discounts their planned disruptions),
 * are unready for another reason.
 */
function isRolloutDisruption(child: KubeObject | undefined): boolean {
  if (child === undefined || child.metadata.deletionTimestamp !== undefined) return true;
  if (isVitessLayerKind(child.kind)) return false;
  if (child.kind !== 'Deployment' && child.kind !== 'StatefulSet') return true;
  const status = (child.status ?? {}) as { observedGeneration?: number; updatedReplicas?: number; currentRevision?: string; updateRevision?: string };
  const replicas = (child.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const caughtUp = child.metadata.generation === undefined || (status.observedGeneration ?? -1) >= child.metadata.generation;
  const rolled = (status.updatedReplicas ?? 0) >= replicas && (child.kind === 'Deployment' || status.currentRevision === status.updateRevision);
  return !(caughtUp && rolled);
}

/** A moved child still unready past the deadline: a Pod by its age, a Deployment by its own Progressing condition. */
function pastDeadline(child: KubeObject | undefined, now: Date): boolean {
  if (child === undefined) return false;
  if (child.kind === 'Deployment') {
    const conditions = (child.status as { conditions?: unknown } | undefined)?.conditions;
    return Array.isArray(conditions) && conditions.some((c) => isRecord(c) && c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  }
  const created = Date.parse(child.metadata.creationTimestamp ?? '');
  return child.kind === 'Pod' && !Number.isNaN(created) && now.getTime() - created > ROLLOUT_READY_DEADLINE_SECONDS * 1000;
}

function updatedCondition(plan: RolloutPlan, pendingRemovals: readonly string[], unsettled: readonly string[]): ConditionInput {
  if (plan.paused !== undefined) return condition('Updated', false, 'RolloutPaused', plan.message);
  if (pendingRemovals.length > 0) return condition('Updated', false, REMOVAL_PENDING, `waiting for confirmation to remove ${pendingRemovals.join(', ')}`);
  if (plan.complete && unsettled.length === 0) return condition('Updated', true, 'RolloutComplete', plan.message);
  if (plan.complete) return condition('Updated', false, 'RollingOut', unsettled.join('; '));
  return condition('Updated', false, 'RollingOut', [plan.message, ...unsettled].join('; '));
}

function stamp(parent: ObservedParent, conditions: ConditionInput[], context: SyncContext) {
  return stampConditions(parent.status?.conditions, conditions, context.now);
}
