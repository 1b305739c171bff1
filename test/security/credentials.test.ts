/**
 * Issue 18, item 5: passwords in plain text. The database users' passwords come from a Secret as
 * Vitess' credentials file (spec.dbCredentials); a flag that takes a secret inline is refused in
 * extraFlags and backupFlags at every layer, with the path and the way that works.
 */
import { describe, expect, test } from 'bun:test';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { layers } from '../../lib/sync/index.ts';
import { isSecretFlag } from '../../lib/vitess/secret-flags.ts';
import { allObjects, type ContainerLike, containersOf, execFlagValue, NOW, renderTree, seedCluster } from '../templates/seed-tree.ts';

type Spec = Record<string, any>;

function withSpec(root: KubeObject, edit: (spec: Spec) => void): KubeObject {
  const spec = structuredClone(root.spec) as Spec;
  edit(spec);
  return { ...root, spec };
}

function sync(parent: KubeObject): { problems?: string[]; conditions: { type: string; reason: string }[] } {
  const layer = layers.find((l) => l.parentKind === parent.kind)!;
  return layer.sync(parseSyncRequest({ controller: {}, parent, children: {} }, parent.kind), { now: NOW }).status as any;
}

/** The first parent of `kind` in the seed's rendered tree: a lower layer's object, to be written directly. */
function parentOf(kind: string, name?: string): KubeObject {
  return renderTree().find((layer) => layer.parent.kind === kind && (name === undefined || layer.parent.metadata.name === name))!.parent;
}

const POINTER = "give the database users' passwords in a Secret named by the VitessCluster's spec.dbCredentials";

describe('password flags are refused at every layer, with the path and a pointer to the Secret way', () => {
  const cases: [string, () => KubeObject, (spec: Spec) => void, string][] = [
    ['VitessCluster vttablet', seedCluster, (s) => (s.keyspaces[0].tablets.defaults = { vttablet: { extraFlags: { db_app_password: 'x' } } }), 'spec.keyspaces[0].tablets.defaults.vttablet.extraFlags.db_app_password'],
    ['VitessCluster mysqlctld', seedCluster, (s) => (s.keyspaces[0].tablets.masterEligible.mysql = { extraFlags: { 'db-dba-password': 'x' } }), 'spec.keyspaces[0].tablets.masterEligible.mysql.extraFlags.db-dba-password'],
    ['VitessCluster vtgate static users inline', seedCluster, (s) => (s.cells[1].vtgate.extraFlags = { mysql_auth_server_static_string: '{}' }), 'spec.cells[1].vtgate.extraFlags.mysql_auth_server_static_string'],
    ['VitessCluster backupFlags', seedCluster, (s) => (s.backupFlags = { ...s.backupFlags, 'db-repl-password': 'x' }), 'spec.backupFlags.db-repl-password'],
    ['VitessCell vtctld', () => parentOf('VitessCell', 'vitess-global'), (s) => (s.vtctld = { ...s.vtctld, extraFlags: { 'db-allprivs-password': 'x' } }), 'spec.vtctld.extraFlags.db-allprivs-password'],
    ['VitessCell keyspace tablets', () => parentOf('VitessCell', 'vitess-zone1'), (s) => (s.keyspaces[0].tablets.replica.vttablet.extraFlags = { 'db-filtered-password': 'x' }), 'spec.keyspaces[0].tablets.replica.vttablet.extraFlags.db-filtered-password'],
    ['VitessKeyspace', () => parentOf('VitessKeyspace'), (s) => (s.tablets.rdonly.vttablet.extraFlags = { 'db-appdebug-password': 'x' }), 'spec.tablets.rdonly.vttablet.extraFlags.db-appdebug-password'],
    ['VitessShard', () => parentOf('VitessShard'), (s) => (s.tablets.replica.mysql.extraFlags = { DB_DBA_PASSWORD: 'x' }), 'spec.tablets.replica.mysql.extraFlags.DB_DBA_PASSWORD'],
    ['VitessShard backupFlags', () => parentOf('VitessShard'), (s) => (s.backupFlags = { 'db-erepl-password': 'x' }), 'spec.backupFlags.db-erepl-password'],
  ];
  for (const [name, root, edit, path] of cases) {
    test(name, () => {
      const parent = withSpec(root(), edit);
      const status = sync(parent);
      expect(status.conditions.find((c) => c.type === 'Ready')?.reason).toBe('InvalidSpec');
      expect(status.problems).toHaveLength(1);
      expect(status.problems?.[0]).toStartWith(`${path}: takes a secret on the command line`);
      expect(status.problems?.[0]).toContain(POINTER);
    });
  }

  test('the rule: names ending in password and the inline-secret strings, either spelling; files and other flags pass', () => {
    for (const name of ['db-app-password', 'db_dba_password', 'DB-REPL-PASSWORD', 'mysql-auth-server-static-string', 'mysql_ldap_auth_config_string']) expect({ name, refused: isSecretFlag(name) }).toEqual({ name, refused: true });
    for (const name of ['grpc-auth-static-password-file', 'mysql-auth-server-static-file', 'db-credentials-file', 'db-app-user', 'queryserver-config-pool-size']) expect({ name, refused: isSecretFlag(name) }).toEqual({ name, refused: false });
  });
});

describe('spec.dbCredentials: the Secret key as Vitess\' credentials file, in every process that logs in to MySQL', () => {
  const FILE = '/vt/secrets/db-credentials/db_credentials.json';
  const withCredentials = withSpec(seedCluster(), (s) => {
    s.dbCredentials = { secretName: 'vitess-db-passwords', key: 'creds.json' };
    s.backup = { location: { gcs: { bucket: 'b' } }, initialBackup: true };
  });
  const objects = allObjects(renderTree(withCredentials));
  const pods = objects.filter((o) => o.kind === 'Pod') as (V1Pod & KubeObject)[];
  const initialBackups = objects.filter((o) => o.kind === 'Job' && o.metadata.name.endsWith('-initial-backup'));

  test('every tablet: vttablet and mysqlctld get --db-credentials-server=file and the file; the key mounted read-only (0440) under a fixed name', () => {
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods) {
      for (const name of ['vttablet', 'mysqld']) {
        const c = containersOf(pod).find((x) => x.name === name)!;
        expect({ pod: pod.metadata.name, c: name, server: execFlagValue(c, 'db-credentials-server'), file: execFlagValue(c, 'db-credentials-file') }).toEqual({ pod: pod.metadata.name, c: name, server: 'file', file: FILE });
        expect(c.volumeMounts as unknown[]).toContainEqual({ name: 'db-credentials', mountPath: '/vt/secrets/db-credentials', readOnly: true });
      }
      expect(pod.spec?.volumes).toContainEqual({ name: 'db-credentials', secret: { secretName: 'vitess-db-passwords', defaultMode: 0o440, items: [{ key: 'creds.json', path: 'db_credentials.json' }] } });
      // No other container reads the passwords.
      for (const c of containersOf(pod).filter((x) => !['vttablet', 'mysqld'].includes(x.name))) expect((c.volumeMounts ?? []).map((m) => m.name)).not.toContain('db-credentials');
    }
  });

  test('the initial backup: vtbackup logs in with the same file', () => {
    expect(initialBackups.length).toBeGreaterThan(0);
    for (const job of initialBackups) {
      const text = JSON.stringify(job);
      expect(text).toContain('--db-credentials-file=' + FILE);
      expect(text).toContain('"secretName":"vitess-db-passwords"');
    }
  });

  test('a keyspace\'s own dbCredentials replace the cluster\'s for its tablets (as its own initDbSql does)', () => {
    const own = withSpec(withCredentials, (s) => (s.keyspaces[0].dbCredentials = { secretName: 'commerce-db-passwords' }));
    const volumes = allObjects(renderTree(own))
      .filter((o) => o.kind === 'Pod')
      .flatMap((pod) => ((pod as V1Pod).spec?.volumes ?? []).filter((v) => v.name === 'db-credentials'));
    expect(volumes.length).toBeGreaterThan(0);
    for (const volume of volumes) expect(volume.secret).toEqual({ secretName: 'commerce-db-passwords', defaultMode: 0o440, items: [{ key: 'db_credentials.json', path: 'db_credentials.json' }] });
  });

  test('without dbCredentials: no credentials flag or volume anywhere (the tree is as before)', () => {
    const text = JSON.stringify(allObjects(renderTree()));
    expect(text).not.toContain('db-credentials');
  });

  test('no command line of the tree carries a secret flag', () => {
    for (const o of objects) {
      for (const c of containersOf(o) as (ContainerLike & V1Container)[]) {
        for (const word of [...(c.command ?? []), ...(c.args ?? [])]) {
          const flag = /^--([^=]+)=/.exec(word)?.[1];
          if (flag !== undefined) expect({ container: c.name, flag, secret: isSecretFlag(flag) }).toEqual({ container: c.name, flag, secret: false });
        }
      }
    }
  });
});
