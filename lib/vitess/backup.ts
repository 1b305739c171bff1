/**
 * Vitess' backup and restore flags, in one place. Checked against v24.0.3: `vttablet --help` and
 * `vtctld --help` of the built binaries, and vtbackup's source (go/cmd/vtbackup/cli/vtbackup.go, and the
 * `servenv.OnParseFor` lists of go/vt/mysqlctl). Which binary registers what (an unknown flag makes a
 * Vitess server exit):
 *
 * | flags | vttablet | vtbackup | vtctld |
 * |---|---|---|---|
 * | `--backup-storage-implementation`, `--s3-*`, `--gcs-*`, `--azblob-*`, `--ceph-*`, `--file-*` | yes | yes | yes |
 * | `--backup-engine-implementation` | yes | yes | yes |
 * | `--xtrabackup-*` | yes | yes | no |
 * | `--restore-from-backup`, `--wait-for-backup-interval` | yes | no | no |
 * | `--initial-backup`, `--init-keyspace`, `--init-shard`, `--init-db-sql-file` | (init-* yes) | yes | no |
 */
import type { BackupLocationSpec, BackupScheduleSpec, ResolvedBackupSpec } from '../api/backup.ts';
import type { FlagMap } from './flags.ts';

/** Where the templates mount what the storage flags point at (lib/templates/backup.ts). */
export interface StoragePaths {
  /** The directory the location's Secret is mounted in. */
  secretDir: string;
  /** Where the `file` location's volume is mounted. */
  fileMount: string;
}

/** The file name a location's Secret key is mounted as, inside `secretDir`. */
export const SECRET_FILE = { s3: 'credentials', gcs: 'credentials.json', azblob: 'account-key', ceph: 'ceph.json' } as const;

/** Joins a mount path and a user's root without doubled or trailing slashes. */
function under(dir: string, root: string | undefined): string {
  const rest = (root ?? '').replace(/^\/+|\/+$/g, '');
  return rest === '' ? dir : `${dir}/${rest}`;
}

/** The storage flags of a location: given to vttablet, vtbackup and vtctld alike. */
export function storageFlags(location: BackupLocationSpec, paths: StoragePaths): FlagMap {
  const { s3, gcs, azblob, ceph, file } = location;
  if (s3 !== undefined) {
    return {
      'backup-storage-implementation': 's3',
      's3-backup-aws-region': s3.region,
      's3-backup-storage-bucket': s3.bucket,
      ...(s3.root === undefined ? {} : { 's3-backup-storage-root': s3.root }),
      ...(s3.endpoint === undefined ? {} : { 's3-backup-aws-endpoint': s3.endpoint }),
      ...(s3.forcePathStyle === true ? { 's3-backup-force-path-style': 'true' } : {}),
    };
  }
  if (gcs !== undefined) {
    return { 'backup-storage-implementation': 'gcs', 'gcs-backup-storage-bucket': gcs.bucket, ...(gcs.root === undefined ? {} : { 'gcs-backup-storage-root': gcs.root }) };
  }
  if (azblob !== undefined) {
    return {
      'backup-storage-implementation': 'azblob',
      'azblob-backup-account-name': azblob.account,
      'azblob-backup-container-name': azblob.container,
      // azblob's root "should exclude both initial and trailing '/'" (vttablet --help).
      ...(azblob.root === undefined ? {} : { 'azblob-backup-storage-root': azblob.root.replace(/^\/+|\/+$/g, '') }),
      'azblob-backup-account-key-file': `${paths.secretDir}/${SECRET_FILE.azblob}`,
    };
  }
  if (ceph !== undefined) return { 'backup-storage-implementation': 'ceph', 'ceph-backup-storage-config': `${paths.secretDir}/${SECRET_FILE.ceph}` };
  if (file !== undefined) return { 'backup-storage-implementation': 'file', 'file-backup-storage-root': under(paths.fileMount, file.root) };
  return {};
}

/**
 * The environment variables the storage's SDK reads its credentials from: the AWS SDK's shared
 * credentials file, Google's application default credentials. azblob and ceph take flags instead.
 */
export function storageEnv(location: BackupLocationSpec, paths: StoragePaths): Record<string, string> {
  if (location.s3?.credentialsSecret !== undefined) return { AWS_SHARED_CREDENTIALS_FILE: `${paths.secretDir}/${SECRET_FILE.s3}` };
  if (location.gcs?.credentialsSecret !== undefined) return { GOOGLE_APPLICATION_CREDENTIALS: `${paths.secretDir}/${SECRET_FILE.gcs}` };
  return {};
}

/**
 * The engine flags, for vttablet and vtbackup (which make backups). xtrabackup 8.0 cannot stream
 * tar, Vitess' default stream mode, so xbstream is ours; its user defaults to the tablet's DBA user.
 */
export function engineFlags(backup: Pick<ResolvedBackupSpec, 'engine' | 'xtrabackup'>): FlagMap {
  if (backup.engine !== 'xtrabackup') return { 'backup-engine-implementation': 'builtin' };
  const x = backup.xtrabackup ?? {};
  return {
    'backup-engine-implementation': 'xtrabackup',
    'xtrabackup-user': x.user ?? 'vt_dba',
    'xtrabackup-stream-mode': x.streamMode ?? 'xbstream',
    ...(x.stripes === undefined ? {} : { 'xtrabackup-stripes': String(x.stripes) }),
    ...(x.backupFlags === undefined ? {} : { 'xtrabackup-backup-flags': x.backupFlags }),
    ...(x.prepareFlags === undefined ? {} : { 'xtrabackup-prepare-flags': x.prepareFlags }),
    ...(x.rootPath === undefined ? {} : { 'xtrabackup-root-path': x.rootPath }),
  };
}

/**
 * vttablet's restore flags: a tablet with an empty data directory restores the latest backup before it
 * serves (a tablet with data skips it); with an interval, it waits for a backup rather than start empty.
 */
export function restoreFlags(backup: ResolvedBackupSpec | undefined): FlagMap {
  return {
    'restore-from-backup': 'true',
    ...(backup?.waitForBackupInterval === undefined ? {} : { 'wait-for-backup-interval': backup.waitForBackupInterval }),
  };
}

/** `vtctldclient BackupShard` arguments (v24: `[--concurrency] [--allow-primary] [--upgrade-safe] <keyspace/shard>`). */
export function backupShardArgs(schedule: BackupScheduleSpec, keyspace: string, shard: string): string[] {
  return [
    'BackupShard',
    ...(schedule.allowPrimary === true ? ['--allow-primary'] : []),
    ...(schedule.concurrency === undefined ? [] : [`--concurrency=${schedule.concurrency}`]),
    ...(schedule.upgradeSafe === true ? ['--upgrade-safe'] : []),
    `${keyspace}/${shard}`,
  ];
}

/**
 * vtbackup's flags for the initial backup of a shard: an empty database initialized like a tablet's
 * (init_db.sql), reset like InitShardPrimary would, uploaded as the shard's first backup. A no-op
 * success when the shard has a complete backup; refused once a tablet of the shard serves.
 */
export function initialBackupFlags(keyspace: string, shard: string, initDbSqlFile: string): FlagMap {
  return {
    'initial-backup': 'true',
    'init-keyspace': keyspace,
    'init-shard': shard,
    'init-db-name-override': `vt_${keyspace}`,
    'init-db-sql-file': initDbSqlFile,
  };
}
