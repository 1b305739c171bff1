/**
 * The Metacontroller sync request and response, as our hooks see them.
 *
 * The envelope is validated here, once, at the edge: a body that is not a Metacontroller sync
 * request for the expected parent kind is a `MalformedRequestError` (answered 400, so Metacontroller
 * applies nothing). The parent's spec is validated separately by the layer, because a bad spec is
 * answered 200 with every child held (docs/design.md, "Answers that keep data safe").
 */
import * as v from 'valibot';
import { isRecord, jsonDepthExceeds, type KubeObject, MAX_JSON_DEPTH } from '../kube/object.ts';

const Metadata = v.looseObject({
  name: v.pipe(v.string(), v.minLength(1)),
  namespace: v.optional(v.string()),
  uid: v.optional(v.string()),
  generation: v.optional(v.number()),
  labels: v.optional(v.record(v.string(), v.string())),
  annotations: v.optional(v.record(v.string(), v.string())),
});

const KubeObjectSchema = v.looseObject({
  apiVersion: v.pipe(v.string(), v.minLength(1)),
  kind: v.pipe(v.string(), v.minLength(1)),
  metadata: Metadata,
});

/**
 * Children keyed by `<Kind>.<apiVersion>`, then by name (hook version v1) or namespace/name (v2).
 * We never depend on the key: a child is identified by its kind and name (all share the parent's namespace).
 */
/** valibot's record() accepts arrays as empty maps; Metacontroller never sends a list here, so a list is malformed. */
const MapOnly = v.custom<Record<string, unknown>>(isRecord, 'must be a map, not a list');
const ChildMap = v.pipe(MapOnly, v.record(v.string(), v.pipe(MapOnly, v.record(v.string(), KubeObjectSchema))));

const SyncRequestSchema = v.looseObject({
  controller: v.optional(v.looseObject({})),
  parent: v.looseObject({
    apiVersion: v.pipe(v.string(), v.minLength(1)),
    kind: v.pipe(v.string(), v.minLength(1)),
    metadata: Metadata,
    spec: v.optional(v.unknown()),
    status: v.optional(v.nullable(v.looseObject({}))),
  }),
  children: v.optional(ChildMap, {}),
  related: v.optional(ChildMap, {}),
  finalizing: v.optional(v.boolean(), false),
});

/** A parent as it arrives: its spec not yet validated, its previous status as we last wrote it. */
export interface ObservedParent extends KubeObject {
  spec?: unknown;
  status?: ParentStatus | null;
}

/** The status fields every layer writes; layers add their own. */
export interface ParentStatus {
  /** As stored: normally our conditions, but never trusted to be (see stampConditions). */
  conditions?: unknown;
  observedGeneration?: number;
  [field: string]: unknown;
}

export interface SyncRequest {
  parent: ObservedParent;
  /** Every observed child, flattened out of the per-type maps, in a stable order. */
  children: KubeObject[];
  finalizing: boolean;
  /**
   * The child resources the calling CompositeController declares (`spec.childResources[].resource`,
   * e.g. `networkpolicies`): Metacontroller fails a sync whose answer holds a child of another kind, so
   * a layer makes an optional kind only where it is declared. Absent or empty: none.
   */
  declared?: ReadonlySet<string>;
}

export interface SyncResponse {
  status: Record<string, unknown>;
  children: KubeObject[];
  resyncAfterSeconds?: number;
  /** Finalize hook only: the parent's deletion may finish (Metacontroller removes its finalizer). */
  finalized?: boolean;
}

export class MalformedRequestError extends Error {
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
    this.name = 'MalformedRequestError';
  }
}

/** Parses a request body (already JSON-decoded) for a parent of `parentKind`, or throws MalformedRequestError. */
export function parseSyncRequest(body: unknown, parentKind: string): SyncRequest {
  // Before anything walks it recursively (the spec's sortedKeys, JSON.stringify of the answer).
  if (jsonDepthExceeds(body)) throw new MalformedRequestError(`the request nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`);
  const result = v.safeParse(SyncRequestSchema, body);
  if (!result.success) {
    throw new MalformedRequestError('not a Metacontroller sync request', formatIssues(result.issues));
  }
  const { parent, children, finalizing, controller } = result.output;
  if (parent.kind !== parentKind) {
    throw new MalformedRequestError(`parent.kind is '${parent.kind}', this hook syncs '${parentKind}'`);
  }
  const flattened = Object.keys(children)
    .sort()
    .flatMap((type) => {
      const byKey = children[type] ?? {};
      return Object.keys(byKey)
        .sort()
        .map((key) => byKey[key] as KubeObject);
    });
  return { parent: parent as ObservedParent, children: flattened, finalizing, declared: declaredResources(controller) };
}

/** `spec.childResources[].resource` of a CompositeController, read leniently: anything else declares nothing. */
function declaredResources(controller: unknown): ReadonlySet<string> {
  const spec = isRecord(controller) ? controller.spec : undefined;
  const resources = isRecord(spec) ? spec.childResources : undefined;
  if (!Array.isArray(resources)) return new Set();
  return new Set(resources.flatMap((entry: unknown) => (isRecord(entry) && typeof entry.resource === 'string' ? [entry.resource] : [])));
}

/** Issues as `path: message` lines, the path in dotted form (`spec.cells[0].name`). */
export function formatIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ''): string[] {
  return issues.map((issue) => {
    const path = (issue.path ?? [])
      .map((item) => (typeof item.key === 'number' ? `[${item.key}]` : `.${String(item.key)}`))
      .join('');
    const where = `${prefix}${path}`.replace(/^\./, '');
    return where.length > 0 ? `${where}: ${issue.message}` : issue.message;
  });
}
