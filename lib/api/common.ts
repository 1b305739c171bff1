/**
 * Schema pieces shared by the four CRDs. Each CRD's schema lives in its own module; the CRD YAML
 * in crds/ is generated from these (lib/api/crd.ts), so the hook and the API server agree.
 */
import * as v from 'valibot';
import { isSecretFlag, SECRET_FLAG_MESSAGE } from '../vitess/secret-flags.ts';
import { MAX_TABLETS_PER_TYPE } from '../vitess/tablets.ts';
import { Placement } from './placement.ts';
import { PodSettings } from './pod.ts';

export const GROUP = 'vitess.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A DNS-1123 label: the rule for cell names and other parts of object names. */
export const DnsLabel = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lower-case letters, digits and -)'),
  v.maxLength(63),
);

/**
 * Names and addresses that reach Vitess commands, checked with the same patterns at every layer
 * (a VitessCell, VitessKeyspace or VitessShard can be created directly, bypassing the VitessCluster's
 * checks). They also keep a value from reading as an option (no leading `-` where a value stands
 * alone on a command line). docs/decisions/0019-no-spec-value-in-script-text.md.
 */

/**
 * A keyspace name: Vitess (since 16.0.2) allows ASCII letters, digits, `_` and `-` in keyspace
 * names; ours are lower-case and start and end with a letter or digit, as they become part of
 * object names and label values.
 */
export const KeyspaceName = v.pipe(v.string(), v.regex(/^[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/, 'must be lower-case letters, digits, - and _'), v.maxLength(63));

/**
 * A shard name as the operator makes them: `0` (unsharded) or a key range of lower-case hex bytes,
 * `-80`, `80-`, `40-80` (lib/vitess/shards.ts). Vitess allows letters, digits, `_` and `-`.
 */
export const ShardName = v.pipe(v.string(), v.regex(/^(0|([0-9a-f]{2})*-([0-9a-f]{2})*)$/, "must be 0 or a key range of lower-case hex bytes such as -80, 80- or 40-80"), v.maxLength(65));

/** A Kubernetes object name (DNS-1123 subdomain): the VitessCluster's name, carried by every layer. */
export const ObjectName = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a Kubernetes object name (lower-case letters, digits, - and .)'),
  v.maxLength(253),
);

/** A host name (DNS name), an IPv4 address, or an IPv6 address in brackets; then `:port`. */
const HOST_PORT = String.raw`(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):[0-9]{1,5}`;

/** `host:port`: vtctld's gRPC address, vtgate and vtctld addresses in vtadmin's discovery. */
export const HostPort = v.pipe(v.string(), v.regex(new RegExp(`^${HOST_PORT}$`), 'must be host:port, such as etcd.example:2379'), v.maxLength(261));

/**
 * A topology server address: etcd2 takes a comma-separated list of endpoints (Vitess' etcd2topo
 * splits `--topo-global-server-address` on `,`), each `host:port` with an optional http(s) scheme.
 */
export const TopoAddress = v.pipe(
  v.string(),
  v.regex(new RegExp(`^(https?://)?${HOST_PORT}(,(https?://)?${HOST_PORT})*$`), 'must be host:port, or several separated by commas, such as etcd-0.example:2379,etcd-1.example:2379'),
  v.maxLength(2048),
);

/** A path in the topology server: `/vitess/global`. */
export const TopoRoot = v.pipe(v.string(), v.regex(/^\/[-_.\/A-Za-z0-9]*$/, 'must be a path such as /vitess/global (letters, digits, -, _, . and /)'), v.maxLength(512));

/** A DNS name a certificate is checked against (`tls.grpc.serverName`). */
export const DnsName = v.pipe(
  v.string(),
  v.regex(/^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/, 'must be a DNS name such as vitess.example'),
  v.maxLength(253),
);

/** A Kubernetes resource quantity: `500m`, `4Gi`, or a plain number. */
export const Quantity = v.union(
  [
    v.pipe(v.string(), v.regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+|[KMGTPE]i?|[munk])?$/, 'must be a quantity such as 500m or 4Gi')),
    // The API server's int-or-string admits whole numbers only: write fractions as `500m`.
    v.pipe(v.number(), v.integer(), v.minValue(0)),
  ],
  'must be a quantity such as 500m or 4Gi',
);

export const ResourceList = v.record(v.string(), Quantity);

export const Resources = v.object({
  limits: v.optional(ResourceList),
  requests: v.optional(ResourceList),
});

export const Replicas = v.pipe(v.number(), v.integer(), v.minValue(0));

/**
 * A tablet pool's size. Bounded at every layer that carries one (not only the cluster), so that a
 * VitessKeyspace or VitessShard written by hand cannot make a hook render tens of thousands of
 * tablets: the tablet UID scheme leaves room for MAX_TABLETS_PER_TYPE per type anyway.
 */
export const TabletReplicas = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(0),
  v.maxValue(MAX_TABLETS_PER_TYPE, (issue) => `(${String(issue.input)}) must be <= ${MAX_TABLETS_PER_TYPE}, the tablet UID scheme's room per type`),
);

/**
 * Shards per keyspace. Vitess itself sets no limit; ours keeps one keyspace's answer (a VitessShard
 * per shard per cell) and one cell's spec within a few megabytes, far below the body limit.
 */
export const MAX_SHARDS_PER_KEYSPACE = 256;

/** An array of shards, bounded by MAX_SHARDS_PER_KEYSPACE. */
export const shardList = <T extends v.GenericSchema>(item: T) =>
  v.pipe(
    v.array(item),
    v.maxLength(MAX_SHARDS_PER_KEYSPACE, (issue) => `(${String((issue.input as unknown[]).length)} shards) must be at most ${MAX_SHARDS_PER_KEYSPACE} shards per keyspace`),
  );

/** etcd members: etcd recommends clusters of at most 7 members; more only slow down writes. */
export const MAX_ETCD_SIZE = 9;

/**
 * Extra command-line flags, `name: value` without dashes; a user's flag overrides ours of the same name.
 * No flag that takes a secret inline (`--db-app-password`: lib/vitess/secret-flags.ts), at any layer.
 */
export const Flags = v.record(
  v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9][-_A-Za-z0-9.]*$/, 'must be a flag name without leading dashes'),
    v.check((name) => !isSecretFlag(name), SECRET_FLAG_MESSAGE),
  ),
  v.string(),
);

export const Image = v.pipe(v.string(), v.minLength(1));

export const StringMap = v.record(v.string(), v.string());

export const LabelSelector = v.object({
  matchLabels: v.optional(StringMap),
});

/** The metadata every generated child inherits from its parent (the seed's `spec.template`). */
export const Template = v.object({
  metadata: v.optional(
    v.object({
      labels: v.optional(StringMap),
      annotations: v.optional(StringMap),
    }),
  ),
});

/** How a Service is exposed (vtgate, vtctld). */
export const ServiceSpec = v.object({
  type: v.optional(v.picklist(['ClusterIP', 'NodePort', 'LoadBalancer'])),
  annotations: v.optional(StringMap),
});

/** A stateless Vitess component run as a Deployment: vtctld, vtgate, vtorc. */
export const Component = v.object({
  image: v.optional(Image),
  replicas: v.optional(Replicas),
  resources: v.optional(Resources),
  extraFlags: v.optional(Flags),
  service: v.optional(ServiceSpec),
  ...Placement,
  ...PodSettings,
});

/**
 * vtgate autoscaling: a HorizontalPodAutoscaler (autoscaling/v2) over vtgate's Deployment, whose
 * `replicas` the hooks then leave out so that Metacontroller's apply never resets what the HPA set.
 * `metrics` and `behavior` are autoscaling/v2's own shapes (the API server checks them); without
 * `metrics`, 70 % of vtgate's CPU request (set `resources.requests.cpu`).
 */
export const Autoscaling = v.object({
  minReplicas: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  maxReplicas: v.pipe(v.number(), v.integer(), v.minValue(1)),
  metrics: v.optional(v.array(v.looseObject({ type: v.picklist(['Resource', 'Pods', 'Object', 'External', 'ContainerResource']) }))),
  behavior: v.optional(v.looseObject({})),
});

/** What an HPA's bounds cannot be: the API server refuses minReplicas above maxReplicas. */
export function autoscalingProblems(autoscaling: v.InferOutput<typeof Autoscaling> | undefined, path: string): string[] {
  if (autoscaling?.minReplicas === undefined || autoscaling.minReplicas <= autoscaling.maxReplicas) return [];
  return [`${path}.minReplicas: (${autoscaling.minReplicas}) must be <= maxReplicas (${autoscaling.maxReplicas})`];
}

/** vtgate: a component that may also autoscale. */
export const Vtgate = v.object({
  ...Component.entries,
  autoscaling: v.optional(Autoscaling),
});

/** The subset of a PersistentVolumeClaim spec a user sets for tablet and etcd data. */
export const VolumeClaim = v.object({
  accessModes: v.optional(v.array(v.picklist(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']))),
  storageClassName: v.optional(v.string()),
  volumeMode: v.optional(v.picklist(['Filesystem', 'Block'])),
  resources: v.optional(Resources),
});

/** Topology etcd run for a cell: by the operator (default) or as an etcd-operator EtcdCluster. */
export const Etcd = v.object({
  provider: v.optional(v.picklist(['builtin', 'etcd-operator'])),
  version: v.optional(v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+$/, 'must be an etcd version such as 3.5.17'))),
  size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_ETCD_SIZE, (issue) => `(${String(issue.input)}) must be <= ${MAX_ETCD_SIZE} etcd members`))),
  image: v.optional(Image),
  resources: v.optional(Resources),
  volumeClaim: v.optional(VolumeClaim),
  ...Placement,
  ...PodSettings,
});

/** A key range bound: hex bytes, empty for the open end. */
export const KeyRangeBound = v.pipe(v.string(), v.regex(/^([0-9a-fA-F]{2})*$/, 'must be hex bytes such as 80, or empty'));

export const KeyRange = v.object({
  start: v.optional(KeyRangeBound, ''),
  end: v.optional(KeyRangeBound, ''),
});

/** Settings of one tablet container. */
export const TabletContainer = v.object({
  resources: v.optional(Resources),
  extraFlags: v.optional(Flags),
});

/**
 * my.cnf options for a pool's mysqld, `name: value`, written to a file named in EXTRA_MY_CNF, which
 * mysqlctld appends to the my.cnf it generates (docs/vitess.md, "MySQL configuration"). That text is a
 * Go template and lands under `[mysqld]`: values may hold no braces and no line breaks.
 */
export const MyCnf = v.record(
  v.pipe(v.string(), v.regex(/^[A-Za-z0-9][-_A-Za-z0-9.]*$/, 'must be a MySQL option name such as max_connections')),
  v.union(
    [v.pipe(v.string(), v.regex(/^[^\r\n{}]*$/, 'must be one line without braces')), v.pipe(v.number(), v.integer())],
    'must be a string (one line without braces) or a whole number',
  ),
);

/** Settings of a tablet's mysqld container: its container settings and my.cnf overrides. */
export const MysqlContainer = v.object({
  ...TabletContainer.entries,
  config: v.optional(MyCnf),
});

/** Settings of every init container of a tablet Pod. */
export const InitContainers = v.object({ resources: v.optional(Resources) });

/** How many tablets of a pool are kept when it shrinks: like StatefulSet's persistentVolumeClaimRetentionPolicy. */
export const RetentionPolicy = v.picklist(['Retain', 'Delete']);

/** What deleting a VitessCluster does to its tablets' PVCs (docs/decisions/0013-deletion-policy.md). */
export const DeletionPolicy = v.picklist(['Retain', 'Delete']);

/** How many children of a layer may move at once. */
export const InFlight = v.pipe(v.number(), v.integer(), v.minValue(1));

/** When vtgate rolls: `last` (after every tablet, vtctld and vtorc of its cell: the Vitess upgrade order) or `first` (a canary). */
export const VtgateOrder = v.picklist(['last', 'first']);

/**
 * How a rollout moves (docs/decisions/0017): how many children of each layer move at once (cells of
 * the cluster: 1; components and keyspaces of a cell: 16; shards of a keyspace: 64; tablets of a
 * shard: 1), and when vtgate rolls.
 */
export const Rollout = v.object({
  cells: v.optional(InFlight),
  components: v.optional(InFlight),
  shards: v.optional(InFlight),
  tablets: v.optional(InFlight),
  vtgate: v.optional(VtgateOrder),
});

/**
 * Names of VitessCell, VitessKeyspace or VitessShard objects that may be deleted with their tablets'
 * data. Without it, removing a cell, keyspace or shard that still has volumes is held and reported.
 */
export const ConfirmRemoval = v.array(v.pipe(v.string(), v.minLength(1)));

export type ResourcesSpec = v.InferOutput<typeof Resources>;
export type FlagsSpec = v.InferOutput<typeof Flags>;
export type ComponentSpec = v.InferOutput<typeof Component>;
export type AutoscalingSpec = v.InferOutput<typeof Autoscaling>;
export type EtcdSpec = v.InferOutput<typeof Etcd>;
export type MyCnfSpec = v.InferOutput<typeof MyCnf>;
export type VolumeClaimSpec = v.InferOutput<typeof VolumeClaim>;
export type KeyRangeSpec = v.InferOutput<typeof KeyRange>;
export type RolloutSpec = v.InferOutput<typeof Rollout>;
export type TemplateSpec = v.InferOutput<typeof Template>;
export type LabelSelectorSpec = v.InferOutput<typeof LabelSelector>;

/** Where a reshard's traffic serves before its completion: the new shards, or the old ones (docs/decisions/0026). */
export const ReshardTraffic = v.picklist(['target', 'source']);
