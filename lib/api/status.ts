/**
 * The status each layer's hook writes. Metacontroller writes the hook's `status` to the /status
 * subresource as-is, and the API server rejects a mistyped field there (the whole status write fails,
 * so the user sees nothing). The CRDs' status schemas are generated from these.
 *
 * The fields every layer writes are typed; each status object also keeps unknown fields
 * (looseObject -> x-kubernetes-preserve-unknown-fields) so a field a hook adds later (per-layer lists
 * such as `cells`, `shards`, `tablets`, `problems`) is stored instead of pruned, without a CRD change
 * having to ship first.
 */
import * as v from 'valibot';

const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

/** metav1.Condition. */
export const Condition = v.object({
  type: v.pipe(v.string(), v.minLength(1), v.maxLength(316)),
  status: v.picklist(['True', 'False', 'Unknown']),
  reason: v.string(),
  message: v.string(),
  lastTransitionTime: v.pipe(v.string(), v.isoTimestamp()),
  observedGeneration: v.optional(Count),
});

/** What every layer reports: Ready and Updated conditions and counts of its children. */
export const LayerStatus = v.looseObject({
  observedGeneration: v.optional(Count),
  conditions: v.optional(v.array(Condition)),
  /** Children the layer wants. */
  children: v.optional(Count),
  /** Of those, observed and ready. */
  readyChildren: v.optional(Count),
  /** Of those, running the current desired state (their revision annotation matches). */
  updatedChildren: v.optional(Count),
  /** Every child on its latest revision, down to the tablets (ready or not): how far a rollout got. */
  rolledOut: v.optional(v.boolean()),
  /**
   * Not rolled out, but as far as the cluster's first phase takes it: all that waits is a primary left
   * for the next phase, here or below (`rollout.primaryAcrossCells: later`, docs/decisions/0017).
   */
  primaryDeferred: v.optional(v.boolean()),
  /** Tablet volumes at and below this object, as far as known. */
  volumes: v.optional(Count),
  /** True when some layer below has not reported its volumes: the count is a lower bound. */
  volumesUnknown: v.optional(v.boolean()),
  /** Observed children the layer could not classify, held as they are (`Kind/name`). */
  unclassified: v.optional(v.array(v.string())),
  /**
   * Children this object's hook answered that are not observed yet, each with the time it was first
   * asked for: the hook's memory between syncs (docs/decisions/0021-child-not-created.md).
   */
  awaitingCreation: v.optional(v.array(v.object({ child: v.string(), since: v.string() }))),
  /**
   * Children still absent after the grace period, here and below: each with the object that asked for
   * it (whose events, `kubectl describe`, say why it was refused) and since when. Ready is then False, ChildNotCreated.
   */
  notCreated: v.optional(v.array(v.object({ child: v.string(), owner: v.string(), since: v.string() }))),
  /** While the VitessCluster is deleted under deletionPolicy Retain (lib/sync/release.ts). */
  release: v.optional(
    v.object({
      /** Tablet Pods still observed here (their PVCs are released only once they are gone). */
      podsLeft: Count,
      /** PVCs still owned here. */
      volumesLeft: Count,
      /** Nothing here or below still owns a PVC: the parent may let this object be deleted. */
      done: v.boolean(),
      /** Children not done yet (`Kind/name`, the first few). */
      waitingFor: v.optional(v.array(v.string())),
    }),
  ),
});

/** One VReplication stream as a tablet reports it (lib/vitess/vreplication.ts): a copy's progress and lag. */
const StreamFigures = {
  /** Init, Copying, Running, Lagging, Stopped, Error (Vitess' names), or Unknown. */
  state: v.string(),
  /** Seconds behind the source; absent while Vitess does not know. */
  lagSeconds: v.optional(Count),
  /** Rows its copy phase inserted so far. */
  rowsCopied: Count,
  /** Tables its copy inserted rows into since the tablet started. */
  tablesCopied: Count,
};

/** A VitessShard's streams, as its primary reports them (reshard targets, while the Vitess state is fresh). */
export const VReplicationStatus = v.object({
  tablet: v.string(),
  streams: v.array(v.object({ id: Count, source: v.string(), workflow: v.string(), ...StreamFigures })),
});

/**
 * A keyspace's reshard (lib/sync/reshard.ts): where the workflow is, and, while the targets' streams
 * are known (lib/sync/reshard-progress.ts), how far the copy got and how far they lag. Every field is
 * optional and unknown ones are kept: an unknown figure is left out, never written as zero.
 */
export const ReshardingStatus = v.looseObject({
  workflow: v.optional(v.string()),
  sources: v.optional(v.array(v.string())),
  targets: v.optional(v.array(v.string())),
  state: v.optional(v.string()),
  step: v.optional(v.string()),
  message: v.optional(v.string()),
  /** When the oldest of the streams' figures was read. */
  observedAt: v.optional(v.string()),
  copy: v.optional(v.object({ rowsCopied: Count, streamsCopying: Count })),
  /** The largest lag of the streams, only when every stream's is known. */
  lagSeconds: v.optional(Count),
  streams: v.optional(v.array(v.object({ target: v.string(), source: v.string(), ...StreamFigures }))),
});

/** The reshards below a cell or a cluster, one line each (lib/sync/resharding-summary.ts). */
const ReshardingSummaries = v.optional(
  v.array(
    v.object({
      keyspace: v.string(),
      /** In a cluster's status: the cell whose VitessKeyspace runs the workflow. */
      cell: v.optional(v.string()),
      state: v.string(),
      step: v.optional(v.string()),
      copy: v.optional(v.object({ rowsCopied: Count, streamsCopying: Count })),
      lagSeconds: v.optional(Count),
    }),
  ),
);

// One name per kind, so a kind's status can grow typed fields without touching the others.
export const ClusterStatus = v.looseObject({ ...LayerStatus.entries, resharding: ReshardingSummaries });
export const CellStatus = v.looseObject({ ...LayerStatus.entries, resharding: ReshardingSummaries });
export const KeyspaceStatus = v.looseObject({ ...LayerStatus.entries, resharding: v.optional(ReshardingStatus) });
export const ShardStatus = v.looseObject({ ...LayerStatus.entries, vreplication: v.optional(VReplicationStatus) });

export type ConditionValue = v.InferOutput<typeof Condition>;
export type LayerStatusValue = v.InferOutput<typeof LayerStatus>;
