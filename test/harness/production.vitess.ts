/**
 * examples/production.yaml run for real, scaled to the harness machine (every change is in `scaled()`
 * below): vtgate's static MySQL users from a Secret (and a Secret edit reloaded without a restart),
 * TLS on vtgate's MySQL port from a Secret, my.cnf overrides, and backups to a `file` location: the
 * initial backup Job (vtbackup --initial-backup) seeding the new shard, its tablets restoring it, a
 * BackupShard run from the rendered CronJob's template, and a new tablet restoring that backup.
 * Each test checks one "Done when" of issue 10 against the live processes (docs/vitess-harness.md).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { PORTS } from '../../lib/vitess/ports.ts';
import { errors, everyPodReady, READY_WAIT_MS, ROOT, runRoot, secret, shardPrimary, tools, until } from './runner/checks.ts';
import { Driver, type Driven } from './runner/driver.ts';
import { PodRunner, type RunPod } from './runner/runner.ts';

const RUN_ROOT = runRoot('production');
const example = parseClusterYaml(readFileSync(join(ROOT, 'examples/production.yaml'), 'utf8')) as KubeObject & { spec: any };
const BACKUP_CLAIM = 'prod-backups';

/** The example with fewer processes and the storage this machine has: the changes, one by one. */
function scaled(spec0: any, replicas = 2): KubeObject {
  const spec = structuredClone(spec0);
  // No S3 here: the `file` location on a shared volume (a PVC every tablet and Job mounts).
  spec.backup.location = { file: { claimName: BACKUP_CLAIM, root: 'prod' } };
  // No mysqld-exporter image here (the runner has Vitess, etcd and MySQL only).
  delete spec.monitoring;
  const cell = spec.cells[0];
  cell.etcd.size = 1; // 3 members -> 1
  cell.vtgate.replicas = 1; // 2 -> 1
  const pools = spec.keyspaces[0].tablets;
  pools.replica.replicas = replicas; // 3 -> 2 (then 3, for the restore)
  delete pools.rdonly; // 1 -> none
  // 1G of InnoDB buffer pool per tablet does not fit beside the rest; the my.cnf override is kept.
  pools.defaults.mysql.config.innodb_buffer_pool_size = '128M';
  return { ...example, spec };
}

interface Certificate { ca: string; crt: string; key: string }

/**
 * A CA and two certificates it signs, made with openssl into `dir`, as cert-manager would write them:
 * vtgate's MySQL port's, and the one every Vitess process serves and dials gRPC with (its DNS name is
 * the example's `tls.grpc.serverName`).
 */
function certificates(dir: string): { mysql: Certificate; grpc: Certificate; etcd: Certificate } {
  mkdirSync(dir, { recursive: true });
  const run = (...args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=vitess-harness-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
  const sign = (name: string, cn: string, dns: string, ...more: string[]): Certificate => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${[`DNS:${dns}`, ...more].join(',')}\n`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
    return { ca: read('ca.crt'), crt: read(`${name}.crt`), key: read(`${name}.key`) };
  };
  return {
    mysql: sign('mysql', 'prod-vtgate-mysql', 'prod-zone1-vtgate'),
    grpc: sign('grpc', 'prod-vitess-grpc', example.spec.tls.grpc.serverName),
    // The topology address is the cell's etcd client Service (docs/security.md, "Topology TLS").
    etcd: sign('etcd', 'prod-etcd', 'prod-zone1-etcd-client', 'DNS:*.prod-zone1-etcd'),
  };
}

const tlsSecret = (name: string, c: Certificate): KubeObject => secret(name, { 'tls.crt': c.crt, 'tls.key': c.key, 'ca.crt': c.ca });

/**
 * The init SQL Secret: Vitess' own init_db.sql of the built release (the harness's /vt/config), with
 * one statement of ours at its `{{custom_sql}}` placeholder, as docs/access.md tells users to start.
 */
const EXTRA_USER = 'prod_reporting';
/** The passwords of the users Vitess logs in as: set by the init SQL, given to Vitess by spec.dbCredentials. */
const DB_PASSWORDS: Record<string, { host: string; password: string }> = {
  vt_dba: { host: 'localhost', password: 'dba-pw' },
  vt_app: { host: 'localhost', password: 'app-pw' },
  vt_appdebug: { host: 'localhost', password: 'appdebug-pw' },
  vt_allprivs: { host: 'localhost', password: 'allprivs-pw' },
  vt_filtered: { host: 'localhost', password: 'filtered-pw' },
  vt_repl: { host: '%', password: 'repl-pw' },
};
function initDbSql(): string {
  const vitess = readFileSync(join(tools.vitessDir, 'vt', 'config', 'init_db.sql'), 'utf8');
  if (!vitess.includes('# {{custom_sql}}')) throw new Error('init_db.sql has no {{custom_sql}} placeholder');
  const passwords = Object.entries(DB_PASSWORDS).map(([user, { host, password }]) => `ALTER USER '${user}'@'${host}' IDENTIFIED BY '${password}';`);
  return vitess.replace('# {{custom_sql}}', [`CREATE USER '${EXTRA_USER}'@'localhost';`, `GRANT SELECT ON *.* TO '${EXTRA_USER}'@'localhost';`, ...passwords].join('\n'));
}
/** Vitess' credentials file: each user's passwords, the first used. */
const dbCredentialsSecret = (): KubeObject =>
  secret(example.spec.dbCredentials.secretName, { 'db_credentials.json': JSON.stringify(Object.fromEntries(Object.entries(DB_PASSWORDS).map(([user, { password }]) => [user, [password]]))) });

const USERS = { harness: [{ Password: 'harness-password', UserData: 'harness' }] };
const usersSecret = (users: object): KubeObject => secret(example.spec.mysqlUsers.secretName, { 'users.json': JSON.stringify(users) });

let runner: PodRunner;
let driver: Driver;
let startup: Driven;
let startupMs = 0;
let tls: { mysql: Certificate; grpc: Certificate; etcd: Certificate };
const CERTS = `${RUN_ROOT}-certs`;
/** The CA, where the MySQL image's client (chrooted) reads it. */
const CA_IN_ROOTFS = '/tmp/vitess-harness-prod-ca.crt';

/** vtctldclient from the node, with a client certificate: vtctld's gRPC port asks for one (mutual TLS). */
const vtctld = (...args: string[]) =>
  runner.node([
    join(tools.vitessDir, 'bin', 'vtctldclient'),
    '--server=prod-zone1-vtctld:15999',
    `--vtctld-grpc-cert=${CERTS}/grpc.crt`,
    `--vtctld-grpc-key=${CERTS}/grpc.key`,
    `--vtctld-grpc-ca=${CERTS}/ca.crt`,
    `--vtctld-grpc-server-name=${example.spec.tls.grpc.serverName}`,
    ...args,
  ]);
const tablets = (): RunPod[] => runner.pods.filter((p) => p.labels['vitess.io/component'] === 'vttablet');
const alias = (p: RunPod): string => `zone1-${p.name.slice(-10)}`;
const vtgate = (): RunPod => runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtgate') as RunPod;
/** The MySQL image's client through vtgate's MySQL port, as `user`, with the TLS mode given. */
function mysql(sql: string, opts: { user?: string; password?: string; ssl?: string; target?: string } = {}) {
  const { user = 'harness', password = USERS.harness[0]?.Password, ssl = `--ssl-mode=VERIFY_CA`, target = 'commerce' } = opts;
  return runner.node(
    ['/usr/bin/mysql', '--protocol=TCP', '-h', vtgate().ip, '-P', '3306', '-u', user, `--password=${password}`, ssl, `--ssl-ca=${CA_IN_ROOTFS}`, '--batch', '--skip-column-names', '-D', target, '-e', sql],
    { rootfs: tools.mysqlRoot },
  );
}
const dba = (p: RunPod, sql: string) => vtctld('ExecuteFetchAsDBA', alias(p), sql);
const backups = (): string[] => vtctld('GetBackups', 'commerce/0').stdout.split('\n').filter(Boolean);
const primaryAlias = (): string | undefined => shardPrimary(vtctld('GetShard', 'commerce/0').stdout);
function vttabletLog(p: RunPod): string {
  return readFileSync(join(p.dir, 'vttablet.log'), 'utf8');
}

beforeAll(async () => {
  const t0 = Date.now();
  tls = certificates(CERTS);
  writeFileSync(join(tools.mysqlRoot, CA_IN_ROOTFS), tls.mysql.ca);
  runner = new PodRunner(tools, RUN_ROOT, 'vp');
  await runner.start();
  const secrets = [usersSecret(USERS), secret(example.spec.initDbSql.secretName, { [example.spec.initDbSql.key]: initDbSql() }), tlsSecret(example.spec.tls.mysql.secretName, tls.mysql), tlsSecret(example.spec.tls.grpc.secretName, tls.grpc), tlsSecret(example.spec.tls.etcd.secretName, tls.etcd), dbCredentialsSecret()];
  driver = new Driver(runner, [...secrets, scaled(example.spec)]);
  startup = await driver.converge(READY_WAIT_MS);
  startupMs = Date.now() - t0;
  console.log(`start-up: ${(startupMs / 1000).toFixed(0)} s, ${startup.rounds} rounds, converged ${startup.converged}; pods: ${runner.pods.map((p) => `${p.name}=${runner.isReady(p) ? 'Ready' : 'NotReady'}(restarts ${p.restarts})`).join(', ')}`);
});

afterAll(async () => {
  await runner?.stop();
  rmSync(join(tools.mysqlRoot, CA_IN_ROOTFS), { force: true });
});

describe('examples/production.yaml on real Vitess (scaled), driven by the simulator', () => {
  test('the hooks converge over real processes: every Pod Ready by its own probes, the initial backup Job completed', () => {
    everyPodReady(runner, startup, startupMs);
    const initial = runner.pods.find((p) => p.labels['vitess.io/component'] === 'initial-backup');
    expect(initial?.done, 'the initial backup Job ran and exited 0').toBe(true);
    expect(tablets().length).toBe(2);
  });

  test('the initial backup Job made the shard\'s first backup with vtbackup, into the file location', () => {
    const initial = runner.pods.find((p) => p.labels['vitess.io/component'] === 'initial-backup') as RunPod;
    const log = readFileSync(join(initial.dir, 'vtbackup.log'), 'utf8');
    expect(backups().length, `GetBackups: ${vtctld('GetBackups', 'commerce/0').stderr}\n${errors(initial)}`).toBeGreaterThanOrEqual(1);
    expect(log).not.toContain('has a primary: it serves already');
    // The backup's files are in the PVC folder behind the location (root `prod`, then keyspace/shard).
    const dir = join(RUN_ROOT, 'pvc', BACKUP_CLAIM, 'prod', 'commerce', '0');
    expect(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)).toEqual(backups());
  });

  test('the new shard\'s tablets restored that backup before serving, and vtorc elected a primary', async () => {
    const first = backups()[0] as string;
    for (const p of tablets()) {
      const log = vttabletLog(p);
      expect(log, `${p.name} did not restore`).toContain(`Restore: found latest backup commerce/0 ${first} to restore`);
      expect(log).toContain('Restore: complete');
    }
    expect(await until(primaryAlias, 60000)).toBeDefined();
  });

  test('the init SQL from the Secret is what initialized MySQL: the tablets restored the initial backup vtbackup made with it', () => {
    const initial = runner.pods.find((p) => p.labels['vitess.io/component'] === 'initial-backup') as RunPod;
    const file = '/vt/secrets/init-db-sql/init_db.sql';
    expect(initial.spec.containers[0].command.join(' ')).toContain(`--init-db-sql-file=${file}`);
    for (const p of tablets()) {
      const users = dba(p, `SELECT user FROM mysql.user WHERE user IN ('${EXTRA_USER}', 'vt_monitoring', 'vt_dba') ORDER BY user`);
      expect(users.stdout, users.stderr).toContain(EXTRA_USER);
      expect(users.stdout).toContain('vt_monitoring');
      const first = readFileSync(join(p.dir, 'mysqld.log'), 'utf8');
      expect(first).toContain(`mysqlctl.Init running with contents previously embedded from ${file}`);
    }
  });

  test('the users Vitess logs in as have the init SQL\'s passwords, and the tablets logged in with the Secret\'s file: no password on a command line', () => {
    for (const p of tablets()) {
      // Every user Vitess logs in as has a password now; the tablets serve and replicate (the tests
      // above and below), so vttablet, mysqlctld and vtbackup logged in with the file's.
      const r = dba(p, `SELECT user FROM mysql.user WHERE user LIKE 'vt\\_%' AND authentication_string = '' ORDER BY user`);
      expect(r.status, r.stderr).toBe(0);
      for (const user of Object.keys(DB_PASSWORDS)) expect(r.stdout).not.toContain(user);
      for (const c of p.spec.containers as { name: string; command: string[] }[]) {
        const line = c.command.join(' ');
        for (const { password } of Object.values(DB_PASSWORDS)) expect(line).not.toContain(password);
        if (c.name === 'vttablet' || c.name === 'mysqld') expect(line).toContain('--db-credentials-file=/vt/secrets/db-credentials/db_credentials.json');
      }
    }
    // vt_repl's password, over TCP: the replica's replication connection to the primary uses it.
    const replica = tablets().find((p) => alias(p) !== primaryAlias()) as RunPod;
    const status = dba(replica, 'SHOW REPLICA STATUS');
    expect(status.stdout, status.stderr).toContain('vt_repl');
    expect(status.stdout).toMatch(/\|\s*Yes\s*\|\s*Yes\s*\|/);
  });

  test('etcd serves its client port over TLS with the Secret\'s certificate, and answers no client without one', () => {
    const etcd = runner.pods.find((p) => p.labels['vitess.io/component'] === 'etcd') as RunPod;
    const s = runner.node(['openssl', 's_client', '-connect', `${etcd.ip}:2379`, '-CAfile', `${CERTS}/ca.crt`, '-verify_return_error', '-verify_hostname', 'prod-zone1-etcd-client', '-cert', `${CERTS}/etcd.crt`, '-key', `${CERTS}/etcd.key`], { input: '' });
    expect(s.stdout, s.stderr).toContain('subject=CN = prod-etcd');
    expect(s.stdout).toContain('Verify return code: 0 (ok)');
    const etcdctl = (...flags: string[]) => runner.node(['timeout', '20', join(tools.vitessDir, 'bin', 'etcdctl'), `--endpoints=https://${etcd.ip}:2379`, '--insecure-skip-tls-verify', '--dial-timeout=5s', ...flags, 'get', '/vitess/global', '--prefix', '--keys-only']);
    const bare = etcdctl();
    expect(bare.status).not.toBe(0);
    const withCert = etcdctl(`--cert=${CERTS}/etcd.crt`, `--key=${CERTS}/etcd.key`, `--cacert=${CERTS}/ca.crt`);
    expect(withCert.status, withCert.stderr).toBe(0);
    expect(withCert.stdout).toContain('/vitess/global/keyspaces/commerce');
  });

  test('my.cnf overrides of the pool (mysql.config) are what mysqld runs with', () => {
    for (const p of tablets()) {
      const r = dba(p, 'SELECT @@max_connections AS c, @@innodb_buffer_pool_size AS b');
      // vtctldclient's table: | c | b |, then the row.
      expect(r.stdout, r.stderr).toMatch(new RegExp(`\\|\\s*1000\\s*\\|\\s*${128 * 1024 * 1024}\\s*\\|`));
    }
  });

  test('vtgate admits the Secret\'s user with its password over TLS verified against the CA, and writes and reads a row', async () => {
    let last = mysql('SELECT 1');
    const got = await until(() => {
      last = mysql("CREATE TABLE IF NOT EXISTS prod (id BIGINT PRIMARY KEY, v VARCHAR(32)); REPLACE INTO prod VALUES (1, 'before-backup'); SELECT v FROM prod WHERE id = 1;");
      return last.status === 0 ? last.stdout.trim() : undefined;
    }, 60000);
    expect(got, `mysql through vtgate: ${last.stderr.trim()}`).toBe('before-backup');
  });

  test('vtgate refuses a wrong password, an unknown user and a plain (non-TLS) connection', () => {
    const wrong = mysql('SELECT 1', { password: 'not-the-password' });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain('Access denied for user');
    const unknown = mysql('SELECT 1', { user: 'nobody' });
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('Access denied for user');
    const plain = mysql('SELECT 1', { ssl: '--ssl-mode=DISABLED' });
    expect(plain.status).not.toBe(0);
    expect(plain.stderr).toContain('server does not allow insecure connections, client must use SSL/TLS');
  });

  test('the certificate vtgate presents on the MySQL port is the Secret\'s, and verifies against its ca.crt', () => {
    const r = runner.node(['openssl', 's_client', '-connect', `${vtgate().ip}:3306`, '-starttls', 'mysql', '-CAfile', `${CERTS}/ca.crt`, '-verify_return_error'], { input: '' });
    expect(r.stdout, r.stderr).toContain('subject=CN = prod-vtgate-mysql');
    expect(r.stdout).toContain('Verify return code: 0 (ok)');
  });

  test('gRPC between Vitess processes is mutual TLS: a tablet presents the shared certificate, vtctld answers no client without one', () => {
    const tablet = tablets()[0] as RunPod;
    const r = runner.node(['openssl', 's_client', '-connect', `${tablet.ip}:${PORTS.grpc}`, '-CAfile', `${CERTS}/ca.crt`, '-verify_return_error', '-verify_hostname', example.spec.tls.grpc.serverName, '-cert', `${CERTS}/grpc.crt`, '-key', `${CERTS}/grpc.key`], { input: '' });
    expect(r.stdout, r.stderr).toContain('subject=CN = prod-vitess-grpc');
    expect(r.stdout).toContain('Verify return code: 0 (ok)');
    // The same call as every other test's, without the client certificate flags.
    const bare = runner.node(['timeout', '20', join(tools.vitessDir, 'bin', 'vtctldclient'), '--server=prod-zone1-vtctld:15999', 'GetKeyspaces']);
    expect(bare.status).not.toBe(0);
    expect(JSON.parse(vtctld('GetKeyspaces').stdout).map((k: { name: string }) => k.name)).toEqual(['commerce']);
  });

  test('a user added to the Secret logs in once vtgate re-reads the file (reload interval 10s), without a vtgate restart', async () => {
    const before = { generation: vtgate().generation, restarts: vtgate().restarts };
    driver.replace(usersSecret({ ...USERS, added: [{ Password: 'added-password', UserData: 'added' }] }));
    const t0 = Date.now();
    await driver.converge(30000);
    let last = mysql('SELECT 1', { user: 'added', password: 'added-password' });
    const ok = await until(() => {
      last = mysql('SELECT 1', { user: 'added', password: 'added-password' });
      return last.status === 0 ? true : undefined;
    }, 45000, 1000);
    console.log(`added user admitted after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(ok, last.stderr).toBe(true);
    expect({ generation: vtgate().generation, restarts: vtgate().restarts }).toEqual(before);
  });
});

describe('a scheduled backup and a restore into a new tablet, on real Vitess', () => {
  let job: RunPod | undefined;
  let grown: Driven;
  let taken: string | undefined;
  let before: Set<string>;

  beforeAll(async () => {
    // What the schedule would run: a Job from the rendered CronJob's template, owned by it, as
    // `kubectl create job --from=cronjob/<name>` makes (the runner has no CronJob controller).
    const cron = driver.objects().find((o) => o.kind === 'CronJob') as KubeObject & { spec: any };
    const ref = { apiVersion: 'batch/v1', kind: 'CronJob', name: cron.metadata.name, uid: cron.metadata.uid as string, controller: true };
    driver.create({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `${cron.metadata.name}-manual`, namespace: cron.metadata.namespace, labels: cron.spec.jobTemplate.metadata?.labels, ownerReferences: [ref] }, spec: cron.spec.jobTemplate.spec } as KubeObject);
    await driver.converge(10000);
    job = await until(() => runner.pods.find((p) => p.name === `${cron.metadata.name}-manual-job` && p.done), 180000);
    taken = backups().at(-1);
    // A row written after the backup: the new tablet gets it by replication, from the backup's position.
    mysql("REPLACE INTO prod VALUES (2, 'after-backup')");
    before = new Set(tablets().map((p) => p.name));
    driver.apply(scaled(example.spec, 3));
    grown = await driver.converge(READY_WAIT_MS);
  });

  test('BackupShard from the CronJob\'s template completes, and the shard has a second backup', () => {
    expect(job, 'the BackupShard Job did not complete').toBeDefined();
    expect(backups().length).toBe(2);
  });

  test('a new tablet (replicas 2 -> 3) restores the latest backup, then catches up by replication', async () => {
    expect(grown.converged).toBe(true);
    const fresh = tablets().filter((p) => !before.has(p.name));
    expect(fresh.length).toBe(1);
    const p = fresh[0] as RunPod;
    const log = vttabletLog(p);
    expect(log).toContain(`Restore: found latest backup commerce/0 ${taken} to restore`);
    expect(log).toContain('Restore: complete');
    const rows = await until(() => {
      const r = dba(p, 'SELECT id, v FROM vt_commerce.prod ORDER BY id');
      return r.stdout.includes('after-backup') ? r.stdout : undefined;
    }, 60000, 1000);
    expect(rows, dba(p, 'SELECT id, v FROM vt_commerce.prod ORDER BY id').stderr).toContain('before-backup');
    expect(rows).toContain('after-backup');
  });
});
