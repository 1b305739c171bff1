import { describe, expect, test } from 'bun:test';
import { backupShardArgs, engineFlags, initialBackupFlags, restoreFlags, storageEnv, storageFlags } from '../../lib/vitess/backup.ts';

const PATHS = { secretDir: '/s', fileMount: '/b' };
const SECRET = { name: 'sec', key: 'k' };

describe('storageFlags (flag names as v24.0.3 vttablet/vtctld --help print them)', () => {
  test('s3: region, bucket, root, endpoint, path style; credentials through AWS_SHARED_CREDENTIALS_FILE', () => {
    const s3 = { region: 'eu-west-1', bucket: 'b', root: 'r', endpoint: 'https://minio:9000', forcePathStyle: true, credentialsSecret: SECRET };
    expect(storageFlags({ s3 }, PATHS)).toEqual({
      'backup-storage-implementation': 's3',
      's3-backup-aws-region': 'eu-west-1',
      's3-backup-storage-bucket': 'b',
      's3-backup-storage-root': 'r',
      's3-backup-aws-endpoint': 'https://minio:9000',
      's3-backup-force-path-style': 'true',
    });
    expect(storageEnv({ s3 }, PATHS)).toEqual({ AWS_SHARED_CREDENTIALS_FILE: '/s/credentials' });
    // Without a Secret the SDK's own sources (IAM roles for service accounts) apply: no variable set.
    expect(storageEnv({ s3: { region: 'r', bucket: 'b' } }, PATHS)).toEqual({});
    expect(storageFlags({ s3: { region: 'r', bucket: 'b', forcePathStyle: false } }, PATHS)).toEqual({ 'backup-storage-implementation': 's3', 's3-backup-aws-region': 'r', 's3-backup-storage-bucket': 'b' });
  });
  test('gcs: bucket and root; GOOGLE_APPLICATION_CREDENTIALS', () => {
    expect(storageFlags({ gcs: { bucket: 'b', root: 'x/y' } }, PATHS)).toEqual({ 'backup-storage-implementation': 'gcs', 'gcs-backup-storage-bucket': 'b', 'gcs-backup-storage-root': 'x/y' });
    expect(storageEnv({ gcs: { bucket: 'b', credentialsSecret: SECRET } }, PATHS)).toEqual({ GOOGLE_APPLICATION_CREDENTIALS: '/s/credentials.json' });
  });
  test('azblob: account, container, root without outer slashes, the key as a file flag', () => {
    expect(storageFlags({ azblob: { account: 'a', container: 'c', root: '/a/b/', keySecret: SECRET } }, PATHS)).toEqual({
      'backup-storage-implementation': 'azblob',
      'azblob-backup-account-name': 'a',
      'azblob-backup-container-name': 'c',
      'azblob-backup-storage-root': 'a/b',
      'azblob-backup-account-key-file': '/s/account-key',
    });
  });
  test('ceph: the config file from the Secret; file: the mounted volume and root', () => {
    expect(storageFlags({ ceph: { configSecret: SECRET } }, PATHS)).toEqual({ 'backup-storage-implementation': 'ceph', 'ceph-backup-storage-config': '/s/ceph.json' });
    expect(storageFlags({ file: { claimName: 'c', root: '/vitess/' } }, PATHS)).toEqual({ 'backup-storage-implementation': 'file', 'file-backup-storage-root': '/b/vitess' });
    expect(storageFlags({ file: { claimName: 'c' } }, PATHS)['file-backup-storage-root']).toBe('/b');
  });
});

describe('engines, restore, BackupShard, vtbackup', () => {
  test('builtin by name; xtrabackup with xbstream and the DBA user unless told otherwise', () => {
    expect(engineFlags({ engine: 'builtin' })).toEqual({ 'backup-engine-implementation': 'builtin' });
    expect(engineFlags({ engine: 'xtrabackup' })).toEqual({ 'backup-engine-implementation': 'xtrabackup', 'xtrabackup-user': 'vt_dba', 'xtrabackup-stream-mode': 'xbstream' });
    expect(engineFlags({ engine: 'xtrabackup', xtrabackup: { user: 'u', streamMode: 'tar', stripes: 8, backupFlags: '--a', prepareFlags: '--b', rootPath: '/usr/bin' } })).toEqual({
      'backup-engine-implementation': 'xtrabackup',
      'xtrabackup-user': 'u',
      'xtrabackup-stream-mode': 'tar',
      'xtrabackup-stripes': '8',
      'xtrabackup-backup-flags': '--a',
      'xtrabackup-prepare-flags': '--b',
      'xtrabackup-root-path': '/usr/bin',
    });
  });
  test('restore: always from backup; waiting only with an interval', () => {
    expect(restoreFlags(undefined)).toEqual({ 'restore-from-backup': 'true' });
    expect(restoreFlags({ location: {}, engine: 'builtin', waitForBackupInterval: '10s' })).toEqual({ 'restore-from-backup': 'true', 'wait-for-backup-interval': '10s' });
  });
  test('BackupShard: v24 flags before the keyspace/shard', () => {
    expect(backupShardArgs({}, 'ks', '-80')).toEqual(['BackupShard', 'ks/-80']);
    expect(backupShardArgs({ allowPrimary: true, concurrency: 2, upgradeSafe: true }, 'ks', '0')).toEqual(['BackupShard', '--allow-primary', '--concurrency=2', '--upgrade-safe', 'ks/0']);
  });
  test("vtbackup's initial backup of the shard, into the tablets' database name", () => {
    expect(initialBackupFlags('ks', '-80', '/vt/config/init_db.sql')).toEqual({
      'initial-backup': 'true',
      'init-keyspace': 'ks',
      'init-shard': '-80',
      'init-db-name-override': 'vt_ks',
      'init-db-sql-file': '/vt/config/init_db.sql',
    });
  });
});
