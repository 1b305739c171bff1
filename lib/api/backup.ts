/**
 * Backups and restore, the typed API (docs/decisions/0011-backups.md). One storage location per
 * cluster (vtctld, which lists backups, takes one storage configuration), an engine, a schedule
 * (cluster default, keyspace override), an initial backup of each new shard, and restore of every
 * new tablet from the latest backup. The seed's raw `backupFlags` still work and win over these.
 */
import * as v from 'valibot';

const Name = v.pipe(v.string(), v.minLength(1));

/** A key of a Secret in the cluster's namespace. */
export const SecretKeyRef = v.object({ name: Name, key: Name });

/** A Go duration such as `10s` or `1m30s` (Vitess' duration flags). */
export const GoDuration = v.pipe(v.string(), v.regex(/^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$|^0$/, 'must be a duration such as 10s or 1m30s'));

/**
 * The `file` location's volume: only the sources a shared backup store is made of, a PersistentVolumeClaim,
 * an NFS export or a CSI volume. The volume is mounted read-write in every tablet Pod, vtctld and the
 * backup Jobs, so any other source would hand those Pods what it holds: a hostPath the node's files,
 * a projected volume a ServiceAccount token, a secret or configMap another application's data. Any
 * other key is refused (InvalidSpec naming it); the API server prunes it (and `kubectl` warns).
 * Each source is Kubernetes' own shape, field for field.
 */
export const FileVolume = v.strictObject(
  {
    persistentVolumeClaim: v.optional(v.strictObject({ claimName: Name, readOnly: v.optional(v.boolean()) })),
    nfs: v.optional(v.strictObject({ server: Name, path: Name, readOnly: v.optional(v.boolean()) })),
    csi: v.optional(
      v.strictObject({
        driver: Name,
        readOnly: v.optional(v.boolean()),
        fsType: v.optional(Name),
        volumeAttributes: v.optional(v.record(v.string(), v.string())),
        nodePublishSecretRef: v.optional(v.strictObject({ name: Name })),
      }),
    ),
  },
  (issue) =>
    issue.expected === 'never'
      ? `(${String(issue.input)}) is not allowed: the volume source must be persistentVolumeClaim, nfs or csi (it is mounted read-write in every tablet, vtctld and backup Pod)`
      : 'must be a volume source: persistentVolumeClaim, nfs or csi',
);

/** The volume sources FileVolume allows, for messages. */
export const FILE_VOLUME_SOURCES = ['persistentVolumeClaim', 'nfs', 'csi'] as const;

/** Where backups live: exactly one of these (checked by the cluster's problems). */
export const BackupLocation = v.object({
  /** `credentialsSecret`: an AWS shared credentials file; without it the SDK's usual sources (IAM roles) apply. */
  s3: v.optional(
    v.object({ region: Name, bucket: Name, root: v.optional(v.string()), endpoint: v.optional(v.string()), forcePathStyle: v.optional(v.boolean()), credentialsSecret: v.optional(SecretKeyRef) }),
  ),
  /** `credentialsSecret`: a service account JSON key; without it, workload identity or the node's. */
  gcs: v.optional(v.object({ bucket: Name, root: v.optional(v.string()), credentialsSecret: v.optional(SecretKeyRef) })),
  /** `keySecret`: the storage account key. */
  azblob: v.optional(v.object({ account: Name, container: Name, root: v.optional(v.string()), keySecret: SecretKeyRef })),
  /** `configSecret`: Vitess' ceph JSON config (endPoint, accessKey, secretKey, useSSL). */
  ceph: v.optional(v.object({ configSecret: SecretKeyRef })),
  /** A shared volume (ReadWriteMany: every tablet of a shard writes and reads it): a PVC's name, or a PVC, NFS or CSI volume source. */
  file: v.optional(
    v.object({
      claimName: v.optional(Name),
      volume: v.optional(
        v.pipe(
          FileVolume,
          v.description('The shared backup volume: exactly one of persistentVolumeClaim, nfs, csi. Any other source (hostPath, projected, secret, ...) is refused: it is mounted read-write in every tablet, vtctld and backup Pod.'),
        ),
      ),
      root: v.optional(v.string()),
    }),
  ),
});

/** A backup schedule: a CronJob running `vtctldclient BackupShard` for each shard. */
export const BackupSchedule = v.object({
  /** Cron expression, as a CronJob's `schedule`. */
  cron: v.optional(Name),
  timeZone: v.optional(Name),
  suspend: v.optional(v.boolean()),
  concurrencyPolicy: v.optional(v.picklist(['Allow', 'Forbid', 'Replace'])),
  successfulJobsHistoryLimit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  failedJobsHistoryLimit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /** BackupShard --allow-primary: back up the primary when no replica is healthy (builtin stops its writes meanwhile). */
  allowPrimary: v.optional(v.boolean()),
  /** BackupShard --concurrency. */
  concurrency: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** BackupShard --upgrade-safe. */
  upgradeSafe: v.optional(v.boolean()),
});

export const Xtrabackup = v.object({
  user: v.optional(Name),
  streamMode: v.optional(v.picklist(['tar', 'xbstream'])),
  stripes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  backupFlags: v.optional(v.string()),
  prepareFlags: v.optional(v.string()),
  /** Directory of the xtrabackup and xbstream executables in the tablet image. */
  rootPath: v.optional(Name),
});

export const BackupEngine = v.picklist(['builtin', 'xtrabackup']);

/** `spec.backup` of a VitessCluster. */
export const Backup = v.object({
  location: BackupLocation,
  engine: v.optional(BackupEngine),
  xtrabackup: v.optional(Xtrabackup),
  schedule: v.optional(BackupSchedule),
  /** An empty backup of each new shard before its tablets start (vtbackup --initial-backup); default true. */
  initialBackup: v.optional(v.boolean()),
  /** How often a new tablet checks for a backup while there is none (vttablet --wait-for-backup-interval); default 10s. */
  waitForBackupInterval: v.optional(GoDuration),
});

/** `spec.keyspaces[].backup`: the keyspace's schedule laid over the cluster's. */
export const KeyspaceBackup = v.object({ schedule: v.optional(BackupSchedule) });

/** What every Vitess process touching backups needs, passed down to every layer. */
export const ResolvedBackup = v.object({
  location: BackupLocation,
  engine: BackupEngine,
  xtrabackup: v.optional(Xtrabackup),
  /** Unset: a new tablet with no backup to restore starts empty. */
  waitForBackupInterval: v.optional(GoDuration),
});

/** The backup Jobs of a keyspace's shards: only in the keyspace's first cell, since a Vitess shard spans cells. */
export const BackupJobs = v.object({
  initial: v.boolean(),
  schedule: v.optional(v.object({ ...BackupSchedule.entries, cron: Name })),
});

export type BackupSpec = v.InferOutput<typeof Backup>;
export type BackupLocationSpec = v.InferOutput<typeof BackupLocation>;
export type BackupScheduleSpec = v.InferOutput<typeof BackupSchedule>;
export type ResolvedBackupSpec = v.InferOutput<typeof ResolvedBackup>;
export type BackupJobsSpec = v.InferOutput<typeof BackupJobs>;
export type XtrabackupSpec = v.InferOutput<typeof Xtrabackup>;
