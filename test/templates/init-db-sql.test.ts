/**
 * Custom init SQL from a Secret (spec.initDbSql, docs/decisions/0014-init-sql-from-a-secret.md): the
 * one Secret key mounted read-only in the mysqld container of a tablet and in the initial backup's
 * vtbackup container, and `--init-db-sql-file` pointing at it in both; without it, the image's file.
 */
import { describe, expect, test } from 'bun:test';
import type { V1Container, V1Volume } from '@kubernetes/client-node';
import type { TabletPoolSpec } from '../../lib/api/passdown.ts';
import { initialBackupJob } from '../../lib/templates/backup.ts';
import { INIT_DB_SQL_FILE, initDbSql, tabletPod, type TabletScope } from '../../lib/templates/tablet.ts';
import { type ContainerLike, execFlagValue, TABLET_SCOPE } from './seed-tree.ts';

const scope: TabletScope = TABLET_SCOPE;
const withSql: TabletScope = { ...scope, initDbSql: { secretName: 'prod-init-sql', key: 'init.sql' } };
const tablet = { name: 'p-vttablet-zone1-0000000100', uid: 100, type: 'replica' as const };
const POOL: TabletPoolSpec = { replicas: 2, image: 'vitess/lite:v24.0.3', mysqlImage: 'mysql:8.0.40', volumeClaim: {}, vttablet: {}, mysql: {} };
const BACKUP = { location: { gcs: { bucket: 'b' } }, engine: 'builtin' as const };

const MOUNTED = '/vt/secrets/init-db-sql/init_db.sql';
const VOLUME: V1Volume = { name: 'init-db-sql', secret: { secretName: 'prod-init-sql', defaultMode: 0o440, items: [{ key: 'init.sql', path: 'init_db.sql' }] } };
const MOUNT = { name: 'init-db-sql', mountPath: '/vt/secrets/init-db-sql', readOnly: true };

const flag = (c: V1Container | undefined, name: string): string | undefined => (c === undefined ? undefined : execFlagValue(c as ContainerLike, name));

const podOf = (s: TabletScope) => tabletPod(s, tablet, POOL).spec!;
const jobOf = (s: TabletScope) => initialBackupJob(s, 'p-zone1-commerce-x-80', BACKUP, undefined, POOL, 'vtctld:15999').spec!.template.spec!;
const named = (containers: V1Container[], name: string) => containers.find((c) => c.name === name);

describe('tablet Pod', () => {
  test("without initDbSql: mysqlctld runs the image's init_db.sql, and the Pod has no init SQL volume", () => {
    const pod = podOf(scope);
    expect(flag(named(pod.containers, 'mysqld'), 'init-db-sql-file')).toBe(INIT_DB_SQL_FILE);
    expect(INIT_DB_SQL_FILE).toBe('/vt/config/init_db.sql');
    expect(JSON.stringify(pod)).not.toContain('init-db-sql"');
  });

  test('with initDbSql: only the named key, read-only (0440, group of fsGroup 999), and --init-db-sql-file points at it', () => {
    const pod = podOf(withSql);
    const mysqld = named(pod.containers, 'mysqld');
    expect(flag(mysqld, 'init-db-sql-file')).toBe(MOUNTED);
    expect(mysqld?.volumeMounts).toContainEqual(MOUNT);
    expect(pod.volumes).toContainEqual(VOLUME);
    expect(pod.securityContext?.fsGroup).toBe(999);
    // The flag keeps its place among mysqlctld's flags: only its value changes.
    const flags = (c: V1Container | undefined) => (c?.command ?? []).map((w) => w.split('=')[0]);
    expect(flags(mysqld)).toEqual(flags(named(podOf(scope).containers, 'mysqld')));
  });

  test('only mysqld mounts it: vttablet, the init container and the exporter never read the SQL', () => {
    const pod = tabletPod({ ...withSql, monitoring: { mysqldExporter: { image: 'exporter:1' } } }, tablet, POOL).spec!;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers].filter((c) => c.name !== 'mysqld')) {
      expect({ container: c.name, mounts: (c.volumeMounts ?? []).filter((m) => m.name === 'init-db-sql') }).toEqual({ container: c.name, mounts: [] });
    }
  });

  test('any key lands under the same file name, so the flag never depends on it', () => {
    const other = initDbSql({ ...scope, initDbSql: { secretName: 's', key: 'users-and-grants.sql' } });
    expect(other.file).toBe(MOUNTED);
    expect(other.volumes[0]?.secret?.items).toEqual([{ key: 'users-and-grants.sql', path: 'init_db.sql' }]);
  });

  test('an edit of the reference changes the Pod spec (so the tablets roll); the default Pod is unchanged by the feature', () => {
    const a = JSON.stringify(podOf(withSql));
    const b = JSON.stringify(podOf({ ...scope, initDbSql: { secretName: 'prod-init-sql-v2', key: 'init.sql' } }));
    expect(a).not.toEqual(b);
    expect(JSON.stringify(podOf({ ...scope, initDbSql: undefined }))).toEqual(JSON.stringify(podOf(scope)));
  });
});

describe('initial backup Job', () => {
  test("vtbackup initializes from the same file as the shard's tablets, mounted the same way", () => {
    const job = jobOf(withSql);
    const vtbackup = named(job.containers, 'vtbackup');
    expect(flag(vtbackup, 'init-db-sql-file')).toBe(MOUNTED);
    expect(vtbackup?.volumeMounts).toContainEqual(MOUNT);
    expect(job.volumes).toContainEqual(VOLUME);
    const pod = podOf(withSql);
    expect(job.volumes?.find((v) => v.name === 'init-db-sql')).toEqual(pod.volumes?.find((v) => v.name === 'init-db-sql'));
    expect(flag(vtbackup, 'init-db-sql-file')).toBe(flag(named(pod.containers, 'mysqld'), 'init-db-sql-file'));
  });

  test("without initDbSql: the image's init_db.sql, no init SQL volume; the vt-init container never mounts it", () => {
    const job = jobOf(scope);
    expect(flag(named(job.containers, 'vtbackup'), 'init-db-sql-file')).toBe(INIT_DB_SQL_FILE);
    expect(job.volumes?.map((v) => v.name)).toEqual(['vt', 'vtdataroot']);
    expect((jobOf(withSql).initContainers ?? []).flatMap((c) => c.volumeMounts ?? []).map((m) => m.name)).toEqual(['vt']);
  });
});
