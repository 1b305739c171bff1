/**
 * Issue 18.1: no spec value reaches a shell as code. Every container and probe the templates make is
 * run as the kubelet would start it (lib/kube/expansion.ts), with every value hostile (shell command
 * substitution, quotes, `;`, a newline, a glob, the kubelet's own `$(VAR)` and `$$(`) and the Vitess
 * binaries replaced by stubs that record their argv. Nothing but the stubs may run (no marker file
 * appears), and each stub gets each value exactly as written.
 *
 * The values bypass validation on purpose (every layer refuses them at the edge too: see
 * test/sync/hostile-names.test.ts): the templates must be safe whatever reaches them.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container, V1CronJob, V1Deployment, V1Job, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { ResolvedBackupSpec } from '../../lib/api/backup.ts';
import type { ResolvedComponentSpec, ResolvedEtcdSpec, TabletPoolSpec } from '../../lib/api/passdown.ts';
import { backupCronJob, initialBackupJob } from '../../lib/templates/backup.ts';
import { cellInfoJob } from '../../lib/templates/cell-info-job.ts';
import type { CellScope } from '../../lib/templates/cell-scope.ts';
import { etcdObjects } from '../../lib/templates/etcd.ts';
import { keyspaceJob } from '../../lib/templates/keyspace-job.ts';
import { reparentJob } from '../../lib/templates/reparent-job.ts';
import { tabletPod, type TabletScope } from '../../lib/templates/tablet.ts';
import { vtctldObjects } from '../../lib/templates/vtctld.ts';
import { vtgateObjects } from '../../lib/templates/vtgate.ts';
import { vtorcDeployment } from '../../lib/templates/vtorc.ts';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../lib/kube/object.ts';
import { myCnfText, mysqldDefaults } from '../../lib/vitess/mycnf.ts';
import { allObjects, podSpecOf, renderTree } from './seed-tree.ts';
import { type Call, runContainer } from './run-container.ts';

const MARKS = mkdtempSync(join(tmpdir(), 'hostile-marks-'));

/** A value that runs `touch` in every way a shell or the kubelet could be made to run it. */
function hostile(tag: string): string {
  const touch = (n: number): string => `touch ${MARKS}/${tag}-${n}`;
  return `x$(${touch(1)})'$(${touch(2)})'"\`${touch(3)}\`";${touch(4)} && ${touch(5)}\n${touch(6)} $$(${touch(7)}) $(VTCTLDCLIENT_SERVER) $(POD_IP)x * |${touch(8)}`;
}

const V = {
  cell: hostile('cell'),
  keyspace: hostile('keyspace'),
  shard: hostile('shard'),
  globalAddress: hostile('global-address'),
  globalRoot: hostile('global-root'),
  cellAddress: hostile('cell-address'),
  cellRoot: hostile('cell-root'),
  vtctldAddress: hostile('vtctld-address'),
  serverName: hostile('server-name'),
  alias: hostile('alias'),
  flag: hostile('flag'),
  bucket: hostile('bucket'),
  myCnf: hostile('mycnf'),
};

const TLS = { grpc: { secretName: 'grpc', serverName: V.serverName } };
const CELL: CellScope = {
  cluster: 'c',
  cell: V.cell,
  cellObject: 'c-zone1',
  template: {},
  topology: { implementation: 'etcd2', global: { address: V.globalAddress, root: V.globalRoot }, cell: { address: V.cellAddress, root: V.cellRoot } },
  vtctldAddress: V.vtctldAddress,
  vitessImage: 'vitess/lite:v24.0.3',
  backupFlags: { 'backup-storage-root': V.flag },
  tls: TLS,
};
const BACKUP: ResolvedBackupSpec = { location: { s3: { region: 'r', bucket: V.bucket } }, engine: 'builtin' };
const TABLET: TabletScope = { ...CELL, keyspace: V.keyspace, shard: V.shard, backup: BACKUP };
const POOL: TabletPoolSpec = {
  replicas: 2,
  image: 'vitess/lite:v24.0.3',
  mysqlImage: 'mysql:8.0.40',
  volumeClaim: {},
  vttablet: { extraFlags: { 'queryserver-config-pool-size': V.flag } },
  mysql: { extraFlags: { 'wait-time': V.flag }, config: { max_connections: V.myCnf } },
};
const COMPONENT: ResolvedComponentSpec = { image: 'vitess/lite:v24.0.3', replicas: 1, extraFlags: { 'extra-flag': V.flag } };

/** vtctldclient's connection flags, as vtctld must receive them. */
const CONNECTION = [`--server=${V.vtctldAddress}`, '--vtctld-grpc-cert=/vt/tls/grpc/tls.crt', '--vtctld-grpc-key=/vt/tls/grpc/tls.key', '--vtctld-grpc-ca=/vt/tls/grpc/ca.crt', `--vtctld-grpc-server-name=${V.serverName}`];

function only(list: V1Container[] | undefined, name: string): V1Container {
  const found = (list ?? []).find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
}

const jobContainer = (job: V1Job, name = 'vtctldclient'): V1Container => only(job.spec?.template.spec?.containers, name);
const cronContainer = (cron: V1CronJob): V1Container => only(cron.spec?.jobTemplate.spec?.template.spec?.containers, 'vtctldclient');
const podContainer = (pod: V1Pod, name: string): V1Container => only(pod.spec?.containers, name);
const deploymentContainer = (d: V1Deployment | V1StatefulSet): V1Container => (d.spec?.template.spec?.containers ?? [])[0] as V1Container;

/** The subcommand a vtctldclient call ran: its first argument after the connection flags that is no flag. */
const subcommand = 'for a in "$@"; do case $a in --*) ;; *) echo "$a"; break;; esac; done';

function expectNothingElseRan(): void {
  expect(readdirSync(MARKS)).toEqual([]);
}

function argsAfterConnection(call: Call | undefined): string[] {
  expect(call?.args.slice(0, CONNECTION.length)).toEqual(CONNECTION);
  return call?.args.slice(CONNECTION.length) ?? [];
}

describe('hostile values reach no shell: every script and command run with stubbed Vitess binaries', () => {
  test('cell registration Job: AddCellInfo gets the root, address and cell exactly', () => {
    const run = runContainer(jobContainer(cellInfoJob(CELL)), { vtctldclient: `case $(${subcommand}) in GetCellInfo) exit 1;; esac` });
    expectNothingElseRan();
    expect(run.status).toBe(0);
    expect(run.calls.map(argsAfterConnection)).toEqual([
      ['GetCellInfo', V.cell],
      ['AddCellInfo', `--root=${V.cellRoot}`, `--server-address=${V.cellAddress}`, V.cell],
    ]);
  });

  test('keyspace Job: CreateKeyspace and SetKeyspaceDurabilityPolicy get the keyspace exactly', () => {
    const run = runContainer(jobContainer(keyspaceJob(CELL, V.keyspace, 'semi_sync')), { vtctldclient: `case $(${subcommand}) in GetKeyspace) exit 1;; esac` });
    expectNothingElseRan();
    expect(run.status).toBe(0);
    expect(run.calls.map(argsAfterConnection)).toEqual([
      ['GetKeyspace', V.keyspace],
      ['CreateKeyspace', '--durability-policy=semi_sync', V.keyspace],
      ['SetKeyspaceDurabilityPolicy', '--durability-policy=semi_sync', V.keyspace],
    ]);
  });

  test('reparent Jobs (away from a tablet, onto a tablet): PlannedReparentShard gets the alias and keyspace/shard exactly', () => {
    const tablet = { name: 't', uid: 1, type: 'replica' as const };
    for (const [target, flag] of [[{ avoidPrimary: V.alias }, 'avoid-primary'], [{ newPrimary: V.alias }, 'new-primary']] as const) {
      const run = runContainer(jobContainer(reparentJob(TABLET, tablet, target, 'vitess/lite:v24.0.3', V.vtctldAddress, 'r1')), { vtctldclient: '' });
      expectNothingElseRan();
      expect(run.status).toBe(0);
      expect(run.calls.map(argsAfterConnection)).toEqual([['PlannedReparentShard', `--${flag}=${V.alias}`, `${V.keyspace}/${V.shard}`]]);
    }
  });

  test('backup CronJob: BackupShard gets keyspace/shard exactly', () => {
    const cron = backupCronJob(TABLET, 'c-zone1-ks-x-80', { cron: '0 3 * * *', concurrency: 2, allowPrimary: true }, 'vitess/lite:v24.0.3', V.vtctldAddress);
    const run = runContainer(cronContainer(cron), { vtctldclient: '' });
    expectNothingElseRan();
    expect(run.status).toBe(0);
    expect(run.calls.map(argsAfterConnection)).toEqual([['BackupShard', '--allow-primary', '--concurrency=2', `${V.keyspace}/${V.shard}`]]);
  });

  test('initial backup Job: the primary check and vtbackup get every value exactly', () => {
    const job = initialBackupJob(TABLET, 'c-zone1-ks-x-80', BACKUP, { 'backup-storage-root': V.flag }, POOL, V.vtctldAddress);
    const run = runContainer(jobContainer(job, 'vtbackup'), { vtctldclient: '', vtbackup: '' });
    expectNothingElseRan();
    expect(run.status).toBe(0);
    const [check, vtbackup] = run.calls;
    expect(argsAfterConnection(check)).toEqual(['--action-timeout=30s', 'GetTablets', `--keyspace=${V.keyspace}`, `--shard=${V.shard}`, '--tablet-type=primary']);
    expect(vtbackup?.binary).toBe('vtbackup');
    for (const arg of [
      `--topo-global-server-address=${V.globalAddress}`,
      `--topo-global-root=${V.globalRoot}`,
      `--init-keyspace=${V.keyspace}`,
      `--init-shard=${V.shard}`,
      `--init-db-name-override=vt_${V.keyspace}`,
      `--s3-backup-storage-bucket=${V.bucket}`,
      `--backup-storage-root=${V.flag}`,
    ]) {
      expect(vtbackup?.args).toContain(arg);
    }
  });

  test('tablet Pod: the init script writes my.cnf values exactly; mysqlctld and vttablet get theirs as argv', () => {
    const pod = tabletPod(TABLET, { name: 't', uid: 101, type: 'replica' }, POOL);
    const init = runContainer(only(pod.spec?.initContainers, 'vt-init'), { mysqlctld: '' });
    expectNothingElseRan();
    expect(init.status).toBe(0);
    // Our defaults (mysqld's error log on stderr) first, then the pool's values, as the template writes them.
    expect(readFileSync(join(init.dir, 'mnt', 'config', 'extra-my.cnf'), 'utf8')).toBe(myCnfText({ ...mysqldDefaults(join(init.dir, 'vt', 'config')), ...POOL.mysql.config }) as string);
    expect(myCnfText(POOL.mysql.config)).toContain(V.myCnf);
    const mysqld = runContainer(podContainer(pod, 'mysqld'), { mysqlctld: '' });
    expect(mysqld.calls[0]?.args).toContain(`--wait-time=${V.flag}`);
    const vttablet = runContainer(podContainer(pod, 'vttablet'), { vttablet: '' });
    expectNothingElseRan();
    for (const arg of [`--init-keyspace=${V.keyspace}`, `--init-shard=${V.shard}`, `--topo-global-server-address=${V.globalAddress}`, `--queryserver-config-pool-size=${V.flag}`, '--tablet-hostname=10.1.2.3', `--tablet-grpc-server-name=${V.serverName}`]) {
      expect(vttablet.calls[0]?.args).toContain(arg);
    }
  });

  test('vtctld (and its readiness probe), vtgate, vtorc and etcd: every value exactly as argv', () => {
    const [, , vtctld] = vtctldObjects(CELL, COMPONENT);
    const container = deploymentContainer(vtctld);
    const server = runContainer(container, { vtctld: '' });
    expect(server.calls[0]?.args).toContain(`--backup-storage-root=${V.flag}`);
    expect(server.calls[0]?.args).toContain(`--extra-flag=${V.flag}`);
    const probe = runContainer({ name: 'probe', env: container.env, command: container.readinessProbe?.exec?.command }, { vtctldclient: '' });
    expect(probe.calls[0]?.args).toContain(`--vtctld-grpc-server-name=${V.serverName}`);
    const vtgate = vtgateObjects(CELL, COMPONENT, [V.cell]).find((o) => o.kind === 'Deployment') as V1Deployment;
    expect(runContainer(deploymentContainer(vtgate), { vtgate: '' }).calls[0]?.args).toContain(`--cell=${V.cell}`);
    const vtorc = runContainer(deploymentContainer(vtorcDeployment(CELL, COMPONENT, [V.keyspace])), { vtorc: '' });
    expect(vtorc.calls[0]?.args).toContain(`--extra-flag=${V.flag}`);
    const etcd: ResolvedEtcdSpec = { provider: 'builtin', version: '3.5.17', size: 1, image: 'etcd' };
    const statefulSet = etcdObjects(CELL, etcd).find((o) => o.kind === 'StatefulSet') as V1StatefulSet;
    expect(runContainer(deploymentContainer(statefulSet), { etcd: '' }).calls[0]?.args).toContain('--name=pod-0');
    expectNothingElseRan();
  });

  test('the markers would be seen: a value run by a shell leaves one', () => {
    const run = runContainer({ name: 'control', command: ['/bin/sh', '-c', `echo ${hostile('control')}`] }, {});
    expect(run.status).toBe(0);
    expect(existsSync(join(MARKS, 'control-1'))).toBe(true);
    for (const file of readdirSync(MARKS)) Bun.spawnSync(['rm', join(MARKS, file)]);
    expectNothingElseRan();
  });
});

describe('hostile free-text values through all four layers (what validation lets through)', () => {
  test('production example with hostile flags, my.cnf values and backup paths: every container of the tree runs nothing else', () => {
    const documents = parseAllDocuments(readFileSync(new URL('../../examples/production.yaml', import.meta.url), 'utf8')).map((doc) => doc.toJSON() as KubeObject);
    const cluster = documents.find((doc) => doc?.kind === 'VitessCluster') as KubeObject & { spec: Record<string, any> };
    const spec = cluster.spec;
    // Free text the schema allows: flag values, my.cnf values (one line, no braces), backup paths.
    const text = (tag: string): string => `x$(touch ${MARKS}/${tag}-1)';touch ${MARKS}/${tag}-2;'\`touch ${MARKS}/${tag}-3\` $$(touch ${MARKS}/${tag}-4) "$(VTCTLDCLIENT_SERVER)"`;
    spec.backupFlags = { 'backup-storage-hook': text('backup-flag') };
    spec.backup.location.s3.root = text('s3-root');
    spec.backup.location.s3.endpoint = text('s3-endpoint');
    for (const cell of spec.cells) for (const component of ['vtctld', 'vtgate', 'vtorc']) if (cell[component] !== undefined) cell[component].extraFlags = { 'extra-flag': text(`${component}-flag`) };
    for (const keyspace of spec.keyspaces) {
      keyspace.tablets.defaults = { ...keyspace.tablets.defaults, vttablet: { extraFlags: { 'extra-flag': text('vttablet-flag') } }, mysql: { config: { max_connections: text('mycnf') } } };
    }
    const objects = allObjects(renderTree(cluster));
    expect(JSON.stringify(objects)).toContain('touch');
    const stubs = Object.fromEntries(['vtctldclient', 'vtbackup', 'vttablet', 'mysqlctld', 'vtgate', 'vtctld', 'vtorc', 'vtadmin', 'etcd', 'etcdctl'].map((name) => [name, '']));
    let ran = 0;
    for (const object of objects) {
      const spec = podSpecOf(object) ?? (object.spec as { jobTemplate?: { spec?: { template?: { spec?: { containers: V1Container[] } } } } } | undefined)?.jobTemplate?.spec?.template?.spec;
      for (const container of [...((spec as { initContainers?: V1Container[] } | undefined)?.initContainers ?? []), ...((spec?.containers as V1Container[] | undefined) ?? [])]) {
        if ((container.command ?? []).length === 0) continue;
        runContainer(container, stubs);
        for (const probe of [container.readinessProbe, container.livenessProbe]) if (probe?.exec?.command !== undefined) runContainer({ name: 'probe', env: container.env, command: probe.exec.command }, stubs);
        ran += 1;
      }
    }
    expect(ran).toBeGreaterThan(10);
    expectNothingElseRan();
  });
});
