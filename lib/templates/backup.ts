/**
 * Backups in manifests: the storage a Vitess container needs (flags, credential files from a Secret,
 * the `file` location's volume), the CronJob that runs `vtctldclient BackupShard` on a schedule, and
 * the one-shot Job that seeds a new shard with an empty backup (vtbackup --initial-backup).
 * docs/decisions/0011-backups.md.
 */
import type { V1CronJob, V1EnvVar, V1Job, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { BackupJobsSpec, ResolvedBackupSpec } from '../api/backup.ts';
import type { FlagsSpec } from '../api/common.ts';
import type { TabletPoolSpec } from '../api/passdown.ts';
import { objectName, STATEFULSET_NAME_MAX } from '../kube/names.ts';
import { backupShardArgs, engineFlags, initialBackupFlags, restoreFlags, SECRET_FILE, storageEnv, storageFlags, type StoragePaths } from '../vitess/backup.ts';
import { type FlagMap, flagArgs, mergeFlags, topoFlags } from '../vitess/flags.ts';
import { container, NO_SERVICE_ACCOUNT_TOKEN, objectMeta, podSecurityContext } from './meta.ts';
import { withPodSettings } from './pod-settings.ts';
import { initDbSql, SHARED_VTROOT, type TabletScope, VTDATAROOT, VTROOT } from './tablet.ts';
import { scriptValues, vtctldclientFunction, vtctldclientJob } from './vtctldclient-job.ts';
import { dbCredentials, topoTls } from './access.ts';

export const BACKUP_COMPONENT = 'backup';
export const INITIAL_BACKUP_COMPONENT = 'initial-backup';

const PATHS: StoragePaths = { secretDir: '/vt/secrets/backup', fileMount: '/vt/backups' };
const SECRET_VOLUME = 'backup-secret';
const FILE_VOLUME = 'backup';

/** What a container touching backup storage gets: flags, environment, volumes and their mounts. */
export interface BackupStorage {
  flags: FlagMap;
  env: V1EnvVar[];
  volumes: V1Volume[];
  mounts: V1VolumeMount[];
}

const NO_STORAGE: BackupStorage = { flags: {}, env: [], volumes: [], mounts: [] };

export function backupStorage(backup: ResolvedBackupSpec | undefined): BackupStorage {
  if (backup === undefined) return NO_STORAGE;
  const { location } = backup;
  const secret =
    (location.s3?.credentialsSecret && { ref: location.s3.credentialsSecret, file: SECRET_FILE.s3 }) ||
    (location.gcs?.credentialsSecret && { ref: location.gcs.credentialsSecret, file: SECRET_FILE.gcs }) ||
    (location.azblob && { ref: location.azblob.keySecret, file: SECRET_FILE.azblob }) ||
    (location.ceph && { ref: location.ceph.configSecret, file: SECRET_FILE.ceph }) ||
    undefined;
  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  if (secret !== undefined) {
    volumes.push({ name: SECRET_VOLUME, secret: { secretName: secret.ref.name, items: [{ key: secret.ref.key, path: secret.file }] } });
    mounts.push({ name: SECRET_VOLUME, mountPath: PATHS.secretDir, readOnly: true });
  }
  const file = location.file;
  if (file !== undefined) {
    volumes.push(file.claimName !== undefined ? { name: FILE_VOLUME, persistentVolumeClaim: { claimName: file.claimName } } : ({ ...file.volume, name: FILE_VOLUME } as V1Volume));
    mounts.push({ name: FILE_VOLUME, mountPath: PATHS.fileMount });
  }
  const env = Object.entries(storageEnv(location, PATHS)).map(([name, value]) => ({ name, value }));
  return { flags: storageFlags(location, PATHS), env, volumes, mounts };
}

/**
 * vttablet's backup flags: storage, engine and restore, then the user's raw `backupFlags`, which win
 * flag by flag. With only raw flags (the seed's way), a tablet restores as before: `--restore-from-backup`.
 */
export function vttabletBackupFlags(backup: ResolvedBackupSpec | undefined, raw: FlagsSpec | undefined): FlagMap | undefined {
  const hasRaw = raw !== undefined && Object.keys(raw).length > 0;
  if (backup === undefined && !hasRaw) return undefined;
  return mergeFlags(backupStorage(backup).flags, backup === undefined ? {} : engineFlags(backup), restoreFlags(backup), raw);
}

/** vtctld lists and removes backups: the storage flags only (it registers no xtrabackup flags), then the raw ones. */
export function vtctldBackupFlags(backup: ResolvedBackupSpec | undefined, raw: FlagsSpec | undefined): FlagMap | undefined {
  if (backup === undefined) return raw;
  return mergeFlags(backupStorage(backup).flags, raw);
}

/** The CronJob of a shard's scheduled backups; a CronJob name is kept to 52 so its Jobs' names fit. */
export function backupCronJobName(shardObject: string): string {
  return objectName([shardObject, BACKUP_COMPONENT], STATEFULSET_NAME_MAX);
}

export function initialBackupJobName(shardObject: string): string {
  return objectName([shardObject, INITIAL_BACKUP_COMPONENT]);
}

/** Kubernetes' CronJob history defaults are 3 and 1; one failed Job is too few to see a pattern. */
const HISTORY = { successful: 3, failed: 3 } as const;

/**
 * `vtctldclient BackupShard <keyspace>/<shard>`: vtctld picks the most up-to-date healthy replica
 * (or rdonly) tablet, which takes the backup with its own storage flags. Forbid by default: a backup
 * still running when the next is due is not doubled.
 */
export function backupCronJob(scope: TabletScope, shardObject: string, schedule: NonNullable<BackupJobsSpec['schedule']>, image: string, vtctldAddress: string): V1CronJob {
  const job = vtctldclientJob({
    scope,
    name: backupCronJobName(shardObject),
    component: BACKUP_COMPONENT,
    image,
    vtctldAddress,
    run: { args: backupShardArgs(schedule, scope.keyspace, scope.shard) },
    tls: scope.tls,
    // A backup that fails (no healthy replica) is retried a little, then left to the next schedule.
    backoffLimit: 2,
  });
  const { annotations, ...meta } = job.metadata ?? {};
  const kept = annotations !== undefined && Object.keys(annotations).length > 0 ? { annotations } : {};
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { ...meta, ...kept },
    spec: {
      schedule: schedule.cron,
      timeZone: schedule.timeZone,
      suspend: schedule.suspend,
      concurrencyPolicy: schedule.concurrencyPolicy ?? 'Forbid',
      successfulJobsHistoryLimit: schedule.successfulJobsHistoryLimit ?? HISTORY.successful,
      failedJobsHistoryLimit: schedule.failedJobsHistoryLimit ?? HISTORY.failed,
      jobTemplate: { metadata: { labels: meta.labels, ...kept }, spec: job.spec },
    },
  };
}

/**
 * The initial backup is always made by the builtin engine: the MySQL image it runs in has no
 * xtrabackup, and a restore uses the engine that made the backup ("Restores will always be done with
 * whichever engine created a given backup", vttablet --help), so xtrabackup tablets restore it too.
 */
const INITIAL_ENGINE = { engine: 'builtin' } as const satisfies Pick<ResolvedBackupSpec, 'engine'>;

/**
 * The initial backup of a new shard: vtbackup runs its own mysqld, so like mysqlctld it runs in the
 * shard's MySQL image (a backup restores only into the MySQL version that made it), with vtbackup,
 * vtctldclient and Vitess' config copied in from the Vitess image.
 *
 * vtbackup --initial-backup backs up nothing when the shard has a complete backup, and refuses while a
 * tablet of the shard is registered as serving. A shard with a primary serves already (backups were
 * configured after it had data): the Job then ends without a backup, and the first scheduled
 * BackupShard is the shard's first. A new shard has no primary until its tablets restored this backup;
 * its tablets are registered as REPLICA for a moment before they turn RESTORE to wait for it, so
 * vtbackup may refuse once: the container is restarted until they wait.
 */
export function initialBackupJob(scope: TabletScope, shardObject: string, backup: ResolvedBackupSpec, raw: FlagsSpec | undefined, pool: TabletPoolSpec, vtctldAddress: string): V1Job {
  const storage = backupStorage(backup);
  // The SQL the shard's tablets run: they restore this backup, so it must be made from the same.
  const initSql = initDbSql(scope);
  // vtbackup logs in to the mysqld it runs as the tablets' users do: with the same passwords.
  const credentials = dbCredentials(scope.dbCredentials);
  const topo = topoTls(scope.tls);
  const meta = objectMeta(scope, initialBackupJobName(shardObject), INITIAL_BACKUP_COMPONENT);
  // With gRPC TLS, vtctld refuses a client without its certificate (found on the real-Vitess harness:
  // the primary check below waited on vtctld for good).
  const vtctldclient = vtctldclientFunction(vtctldAddress, scope.tls);
  const env = [{ name: 'VTROOT', value: VTROOT }, { name: 'VTDATAROOT', value: VTDATAROOT }, ...vtctldclient.env, ...scriptValues({ KEYSPACE: scope.keyspace, SHARD: scope.shard }), ...storage.env];
  // vtbackup's command line is the script's arguments ("$@"), never part of its text.
  const vtbackup = [`${VTROOT}/bin/vtbackup`, ...flagArgs(topoFlags(scope.topology), initialBackupFlags(scope.keyspace, scope.shard, initSql.file), topo.flags, credentials.flags, storage.flags, engineFlags(INITIAL_ENGINE), raw)];
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta,
    spec: {
      backoffLimit: 10,
      template: {
        metadata: { labels: meta.labels, annotations: meta.annotations },
        spec: withPodSettings({
          restartPolicy: 'OnFailure',
          securityContext: podSecurityContext(),
          ...NO_SERVICE_ACCOUNT_TOKEN,
          initContainers: [
            container({
              name: 'vt-init',
              image: pool.image,
              command: ['/bin/sh', '-ec', `mkdir -p ${SHARED_VTROOT}/bin && cp /vt/bin/vtbackup /vt/bin/vtctldclient ${SHARED_VTROOT}/bin/ && cp -R /vt/config ${SHARED_VTROOT}/`],
              volumeMounts: [{ name: 'vt', mountPath: SHARED_VTROOT }],
            }),
          ],
          containers: [
            container({
              name: 'vtbackup',
              image: pool.mysqlImage,
              command: [
                '/bin/sh',
                '-ec',
                [
                  vtctldclient.text,
                  // vtctldclient's own timeout is 1h: a vtctld that cannot be reached fails the check sooner.
                  'if vtctldclient --action-timeout=30s GetTablets --keyspace="$KEYSPACE" --shard="$SHARD" --tablet-type=primary 2>/dev/null | grep -q .; then',
                  '  echo "$KEYSPACE/$SHARD has a primary: it serves already, so no initial backup; its first scheduled backup is its first"',
                  '  exit 0',
                  'fi',
                  'exec "$@"',
                ].join('\n'),
                INITIAL_BACKUP_COMPONENT,
                ...vtbackup,
              ],
              env,
              volumeMounts: [{ name: 'vt', mountPath: VTROOT }, { name: 'vtdataroot', mountPath: VTDATAROOT }, ...storage.mounts, ...initSql.volumeMounts, ...credentials.volumeMounts, ...topo.volumeMounts, ...vtctldclient.mounted.volumeMounts],
            }),
          ],
          volumes: [{ name: 'vt', emptyDir: {} }, { name: 'vtdataroot', emptyDir: {} }, ...storage.volumes, ...initSql.volumes, ...credentials.volumes, ...topo.volumes, ...vtctldclient.mounted.volumes],
        }, scope.jobPod ?? {}),
      },
    },
  };
}
