/**
 * The steps every layer shares: validate the parent's spec, hold everything when it cannot be
 * honoured, stamp revisions on desired children, and report readiness in status.
 *
 *   request -> spec (valibot) -> problems? -> desired children -> revisions -> status + answer
 */
import * as v from 'valibot';
import { condition, type ConditionInput, stampConditions } from '../kube/conditions.ts';
import { shortHash } from '../kube/hash.ts';
import { type KubeObject, objectKey } from '../kube/object.ts';
import { isReady } from '../kube/readiness.ts';
import { heldChild } from '../metacontroller/hold.ts';
import { formatIssues, type ObservedParent, type SyncRequest, type SyncResponse } from '../metacontroller/request.ts';
import type { Layer, SyncContext } from './layer.ts';

/** A hash of a child's desired state, so a later sync can tell an outdated child from an updated one. */
export const REVISION_ANNOTATION = 'vitess.io/revision';

/** How many not-ready children a status message names before it says "and N more". */
const NAMED_IN_MESSAGE = 5;

export interface LayerDefinition<Spec> {
  name: Layer['name'];
  parentKind: Layer['parentKind'];
  schema: v.GenericSchema<unknown, Spec>;
  /** Problems that make a spec impossible to honour, each `path: message`; none when it is fine. */
  problems(spec: Spec, parent: ObservedParent): string[];
  /** The desired children, in rollout order. */
  children(spec: Spec, parent: ObservedParent): KubeObject[];
  /** Layer-specific status fields, from the observed children. */
  status?(spec: Spec, observed: ReadonlyMap<string, KubeObject>, desired: readonly KubeObject[]): Record<string, unknown>;
}

export function defineLayer<Spec>(definition: LayerDefinition<Spec>): Layer {
  return {
    name: definition.name,
    parentKind: definition.parentKind,
    sync: (request: SyncRequest, context: SyncContext): SyncResponse => syncLayer(definition, request, context),
  };
}

function syncLayer<Spec>(definition: LayerDefinition<Spec>, request: SyncRequest, context: SyncContext): SyncResponse {
  const { parent } = request;
  const parsed = v.safeParse(definition.schema, parent.spec ?? {});
  if (!parsed.success) return holdEverything(request, formatIssues(parsed.issues, 'spec'), context);
  const problems = definition.problems(parsed.output, parent);
  if (problems.length > 0) return holdEverything(request, problems, context);

  const desired = definition.children(parsed.output, parent).map(withRevision);
  const observed = new Map(request.children.map((child) => [objectKey(child), child]));
  const readiness = childReadiness(desired, observed);
  const ready = condition(
    'Ready',
    readiness.waitingFor.length === 0,
    readiness.waitingFor.length === 0 ? 'AllChildrenReady' : 'ChildrenNotReady',
    readinessMessage(readiness),
  );
  return {
    status: {
      ...definition.status?.(parsed.output, observed, desired),
      children: desired.length,
      readyChildren: readiness.ready,
      conditions: stamp(parent, [ready], context),
    },
    children: desired,
  };
}

/**
 * The answer for a spec that cannot be honoured: every observed child exactly as last applied, so
 * Metacontroller changes and deletes nothing, and a Ready=False condition naming each problem.
 */
function holdEverything(request: SyncRequest, problems: string[], context: SyncContext): SyncResponse {
  const observed = request.children;
  return {
    status: {
      children: observed.length,
      readyChildren: observed.filter(isReady).length,
      problems,
      conditions: stamp(request.parent, [condition('Ready', false, 'InvalidSpec', `spec cannot be honoured, nothing was changed: ${problems.join('; ')}`)], context),
    },
    children: observed.map(heldChild),
  };
}

export function withRevision(child: KubeObject): KubeObject {
  const { [REVISION_ANNOTATION]: _old, ...annotations } = child.metadata.annotations ?? {};
  const revision = shortHash({ ...child, metadata: { ...child.metadata, annotations } });
  return { ...child, metadata: { ...child.metadata, annotations: { ...annotations, [REVISION_ANNOTATION]: revision } } };
}

/** A status list of desired children by name, each with whether it is observed and ready. */
export function childList(desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>): { name: string; ready: boolean }[] {
  return desired.map((child) => {
    const seen = observed.get(objectKey(child));
    return { name: child.metadata.name, ready: seen !== undefined && isReady(seen) };
  });
}

interface Readiness {
  ready: number;
  waitingFor: string[];
}

function childReadiness(desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>): Readiness {
  const waitingFor = desired
    .map(objectKey)
    .filter((key) => {
      const child = observed.get(key);
      return child === undefined || !isReady(child);
    });
  return { ready: desired.length - waitingFor.length, waitingFor };
}

function readinessMessage({ ready, waitingFor }: Readiness): string {
  const total = ready + waitingFor.length;
  if (waitingFor.length === 0) return `${ready}/${total} children ready`;
  const named = waitingFor.slice(0, NAMED_IN_MESSAGE).join(', ');
  const more = waitingFor.length > NAMED_IN_MESSAGE ? ` and ${waitingFor.length - NAMED_IN_MESSAGE} more` : '';
  return `${ready}/${total} children ready; waiting for ${named}${more}`;
}

function stamp(parent: ObservedParent, conditions: ConditionInput[], context: SyncContext) {
  return stampConditions(parent.status?.conditions, conditions, context.now);
}
