import { describe, expect, test } from 'bun:test';
import { backupCronJob, backupStorage, initialBackupJob, vtctldBackupFlags, vttabletBackupFlags } from '../../lib/templates/backup.ts';
import type { TabletScope } from '../../lib/templates/tablet.ts';
import type { V1Container } from '@kubernetes/client-node';
import { runContainer } from './run-container.ts';

const SCOPE: TabletScope = {
  cluster: 'c',
  cell: 'zone1',
  keyspace: 'ks',
  shard: '-80',
  template: {},
  topology: { implementation: 'etcd2', global: { address: 'e:2379', root: '/vitess/global' }, cell: { address: 'e:2379', root: '/vitess/zone1' } },
  vtctldAddress: 'vtctld:15999',
};
const POOL = { replicas: 2, image: 'vitess/lite:v24.0.3', mysqlImage: 'mysql:8.0.40', volumeClaim: {}, vttablet: {}, mysql: {} };

describe('backupStorage', () => {
  test('a Secret key mounted read-only as the file the flag or variable names', () => {
    const storage = backupStorage({ location: { azblob: { account: 'a', container: 'c', keySecret: { name: 'az', key: 'key' } } }, engine: 'builtin' });
    expect(storage.volumes).toEqual([{ name: 'backup-secret', secret: { secretName: 'az', items: [{ key: 'key', path: 'account-key' }] } }]);
    expect(storage.mounts).toEqual([{ name: 'backup-secret', mountPath: '/vt/secrets/backup', readOnly: true }]);
    expect(storage.flags['azblob-backup-account-key-file']).toBe('/vt/secrets/backup/account-key');
  });
  test('file: a PVC by name, or a PVC, NFS or CSI volume source, mounted at the storage root', () => {
    expect(backupStorage({ location: { file: { claimName: 'shared' } }, engine: 'builtin' }).volumes).toEqual([{ name: 'backup', persistentVolumeClaim: { claimName: 'shared' } }]);
    expect(backupStorage({ location: { file: { volume: { nfs: { server: 'nfs', path: '/x' } } } }, engine: 'builtin' }).volumes).toEqual([{ name: 'backup', nfs: { server: 'nfs', path: '/x' } }]);
  });
  test('nothing without a location', () => {
    expect(backupStorage(undefined)).toEqual({ flags: {}, env: [], volumes: [], mounts: [] });
  });
});

describe('flags per binary', () => {
  const backup = { location: { gcs: { bucket: 'b' } }, engine: 'xtrabackup' as const, waitForBackupInterval: '10s' };
  test("raw backupFlags win flag by flag over the typed ones (underscores dashed), and the seed's raw-only form is unchanged", () => {
    expect(vttabletBackupFlags(backup, { gcs_backup_storage_bucket: 'other' })?.['gcs-backup-storage-bucket']).toBe('other');
    expect(vttabletBackupFlags(undefined, { backup_storage_implementation: 'gcs' })).toEqual({ 'restore-from-backup': 'true', 'backup-storage-implementation': 'gcs' });
    expect(vttabletBackupFlags(undefined, {})).toBeUndefined();
    expect(vttabletBackupFlags(undefined, undefined)).toBeUndefined();
  });
  test('vtctld gets the storage, not the engine or restore flags (it registers no xtrabackup flags)', () => {
    expect(vtctldBackupFlags(backup, undefined)).toEqual({ 'backup-storage-implementation': 'gcs', 'gcs-backup-storage-bucket': 'b' });
    expect(vtctldBackupFlags(undefined, { a: 'b' })).toEqual({ a: 'b' });
  });
});

describe('backup Jobs', () => {
  test('CronJob: BackupShard on the schedule, Forbid and history limits by default', () => {
    const cron = backupCronJob(SCOPE, 'c-zone1-ks-x-80', { cron: '0 3 * * *', allowPrimary: true }, 'vitess/lite:v24.0.3', 'vtctld:15999');
    expect(cron.metadata?.name).toBe('c-zone1-ks-x-80-backup');
    expect(cron.spec).toMatchObject({ schedule: '0 3 * * *', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 });
    expect(cron.spec?.jobTemplate.spec?.template.spec?.containers[0]?.command).toEqual(['/vt/bin/vtctldclient', '--server=vtctld:15999', 'BackupShard', '--allow-primary', 'ks/-80']);
    const long = backupCronJob(SCOPE, 'x'.repeat(60), { cron: '* * * * *' }, 'i', 'v');
    expect((long.metadata?.name ?? '').length).toBeLessThanOrEqual(52);
  });
  test('initial backup: vtbackup in the MySQL image, always the builtin engine', () => {
    const job = initialBackupJob(SCOPE, 'c-zone1-ks-x-80', { location: { gcs: { bucket: 'b' } }, engine: 'xtrabackup' }, undefined, POOL, 'vtctld:15999');
    const pod = job.spec?.template.spec;
    expect(pod?.containers[0]?.image).toBe('mysql:8.0.40');
    expect(pod?.initContainers?.[0]?.image).toBe('vitess/lite:v24.0.3');
    // A shard with a primary serves already: no initial backup (vtbackup would refuse).
    const served = runContainer(pod?.containers[0] as V1Container, { vtctldclient: 'echo zone1-0000000101', vtbackup: '' });
    expect(served.status).toBe(0);
    expect(served.calls).toEqual([{ binary: 'vtctldclient', args: ['--server=vtctld:15999', '--action-timeout=30s', 'GetTablets', '--keyspace=ks', '--shard=-80', '--tablet-type=primary'] }]);
    const fresh = runContainer(pod?.containers[0] as V1Container, { vtctldclient: '', vtbackup: '' });
    const vtbackup = fresh.calls[1];
    expect(vtbackup?.binary).toBe('vtbackup');
    expect(vtbackup?.args).toContain('--initial-backup=true');
    expect(vtbackup?.args).toContain('--backup-engine-implementation=builtin');
    expect(vtbackup?.args.some((arg) => arg.startsWith('--xtrabackup'))).toBe(false);
  });
  // Found on the real-Vitess harness: with gRPC TLS, vtctld refuses a vtctldclient without the client
  // certificate, and the initial backup's primary check waited on it for good.
  test('with gRPC TLS, both backup Jobs call vtctld with the client certificate, mounted', () => {
    const tls = { grpc: { secretName: 'grpc-tls', serverName: 'vitess-grpc' } };
    const scope = { ...SCOPE, tls };
    const cron = backupCronJob(scope, 'c-zone1-ks-x-80', { cron: '0 3 * * *' }, 'vitess/lite:v24.0.3', 'vtctld:15999').spec?.jobTemplate.spec?.template.spec;
    const initial = initialBackupJob(scope, 'c-zone1-ks-x-80', { location: { gcs: { bucket: 'b' } }, engine: 'builtin' }, undefined, POOL, 'vtctld:15999').spec?.template.spec;
    for (const pod of [cron, initial]) {
      const c = pod?.containers[0];
      const args = runContainer(c as V1Container, { vtctldclient: 'echo primary', vtbackup: '' }).calls[0]?.args ?? [];
      expect(args).toContain('--vtctld-grpc-cert=/vt/tls/grpc/tls.crt');
      expect(args).toContain('--vtctld-grpc-ca=/vt/tls/grpc/ca.crt');
      expect(args).toContain('--vtctld-grpc-server-name=vitess-grpc');
      expect(c?.volumeMounts).toContainEqual({ name: 'grpc-tls', mountPath: '/vt/tls/grpc', readOnly: true });
      expect(pod?.volumes?.find((v) => v.name === 'grpc-tls')?.secret?.secretName).toBe('grpc-tls');
    }
  });
});
