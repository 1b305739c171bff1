/**
 * A tablet: a Pod running mysqld (under mysqlctld) and vttablet, and a PVC of the same name holding
 * its data, so a Pod recreated from a new template reattaches the same data.
 *
 * mysqld runs from its own MySQL image, so its version is chosen apart from Vitess': an init container
 * copies mysqlctld and Vitess' config files into a shared emptyDir, and the mysqld container runs them
 * inside the MySQL image (lib/vitess/images.ts).
 */
import type { V1Container, V1EnvVar, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { DbCredentialsSpec, InitDbSqlSpec, ResolvedMonitoringSpec, TlsSpec } from '../api/access.ts';
import type { ResolvedBackupSpec } from '../api/backup.ts';
import type { FlagsSpec } from '../api/common.ts';
import type { TabletPoolSpec, TopologySpec } from '../api/passdown.ts';
import { literalEnv } from '../kube/expansion.ts';
import { componentSelector, LABEL } from '../vitess/labels.ts';
import { flagArgs, serverFlags } from '../vitess/flags.ts';
import { EXTRA_MY_CNF_ENV, mysqldDefaults, myCnfText, STDERR_LINK, STDERR_LINK_TARGET } from '../vitess/mycnf.ts';
import { mysqlServerVersionFlag, mysqlVersionOf } from '../vitess/mysql.ts';
import { tabletServiceName } from '../vitess/names.ts';
import { PORTS } from '../vitess/ports.ts';
import { tabletAlias, type TabletType } from '../vitess/tablets.ts';
import { container, httpProbe, lenientLiveness, NO_SERVICE_ACCOUNT_TOKEN, objectMeta, POD_IP_ENV, podSecurityContext, resources, type Scope } from './meta.ts';
import { customInitDbSql, dbCredentials, grpcTls, mounted, rotationAnnotations, type SecretFile, topoTls } from './access.ts';
import { podPlacement, spreadOverNodes } from './placement.ts';
import { withPodMetadata, withPodSettings } from './pod-settings.ts';
import { containerPort } from './workload.ts';
import { TABLET_COMPONENT } from './tablet-service.ts';
import { backupStorage, vttabletBackupFlags } from './backup.ts';
import { primaryHandoff, TABLET_GRACE_SECONDS } from './primary-handoff.ts';

export const VTROOT = '/vt';
export const VTDATAROOT = '/vt/vtdataroot';
/** mysqlctld's control socket, shared by the two containers through the data volume. */
const MYSQLCTL_SOCKET = `${VTDATAROOT}/mysqlctl.sock`;
const MYSQL_SOCKET = `${VTDATAROOT}/mysql.sock`;
/** Where the init container puts mysqlctld and Vitess' config, mounted at /vt in the MySQL container. */
/**
 * mysqld-exporter's client config, written by the init container: the `vt_monitoring` user that
 * Vitess' init_db.sql creates for monitoring (no password, `@localhost`), over mysqld's socket.
 * mysqld-exporter takes a socket only from a my.cnf (`--mysqld.address` is host:port), and a TCP
 * connection would not match `@localhost` (Vitess' my.cnf sets skip-name-resolve).
 */
const EXPORTER_CNF = 'mysqld-exporter.cnf';
const EXPORTER_CNF_TEXT = `[client]\\nuser=vt_monitoring\\nsocket=${MYSQL_SOCKET}\\n`;
export const SHARED_VTROOT = '/mnt/vt';
/** Vitess' init_db.sql as the init container copies it, for mysqlctld and vtbackup alike. */
export const INIT_DB_SQL_FILE = `${VTROOT}/config/init_db.sql`;

/**
 * The SQL mysqlctld and vtbackup run once, on an empty data directory (mysqlctld: when the data dir
 * has no my.cnf yet; go/cmd/mysqlctld, go/vt/mysqlctl Init): the keyspace's `initDbSql` Secret key
 * when set, else Vitess' init_db.sql from the image. One function for both, so a tablet and the
 * initial backup it restores can never start from different SQL.
 */
export function initDbSql(scope: TabletScope): SecretFile {
  return customInitDbSql(scope.initDbSql) ?? { file: INIT_DB_SQL_FILE, volumes: [], volumeMounts: [] };
}
/** The pool's my.cnf overrides, written by the init container, read by mysqlctld through EXTRA_MY_CNF. */
const EXTRA_MY_CNF = 'config/extra-my.cnf';

export interface TabletScope extends Scope {
  cell: string;
  keyspace: string;
  shard: string;
  topology: TopologySpec;
  backupFlags?: FlagsSpec;
  tls?: TlsSpec;
  monitoring?: ResolvedMonitoringSpec;
  backup?: ResolvedBackupSpec;
  initDbSql?: InitDbSqlSpec;
  /** vtctld's gRPC address: a deleted primary's Pod reparents away through it (primary-handoff.ts). */
  vtctldAddress: string;
  dbCredentials?: DbCredentialsSpec;
}

export interface TabletIdentity {
  name: string;
  uid: number;
  type: TabletType;
}

export function tabletLabels(tablet: TabletIdentity): Record<string, string> {
  return { [LABEL.tabletUid]: String(tablet.uid), [LABEL.tabletType]: tablet.type };
}

export function tabletPod(scope: TabletScope, tablet: TabletIdentity, pool: TabletPoolSpec): V1Pod {
  const env = [POD_IP_ENV, { name: 'VTROOT', value: VTROOT }, { name: 'VTDATAROOT', value: VTDATAROOT }];
  const dataMount = { name: 'vtdataroot', mountPath: VTDATAROOT };
  const tls = mounted(grpcTls(scope.tls, 'vttablet', true), topoTls(scope.tls));
  const exporter = scope.monitoring?.mysqldExporter;
  const meta = objectMeta(scope, tablet.name, TABLET_COMPONENT, tabletLabels(tablet));
  const rotation = rotationAnnotations(scope.tls, scope.tls?.grpc !== undefined);
  const storage = backupStorage(scope.backup);
  const initSql = initDbSql(scope);
  // Both containers log in to MySQL: mysqlctld as vt_dba, vttablet as every user.
  const credentials = dbCredentials(scope.dbCredentials);
  // The overrides travel in the Pod spec itself, so the tablet revision covers them and each Pod
  // runs exactly the config of its template (docs/decisions/0007-placement-and-mysql-config.md).
  const myCnf = myCnfText({ ...mysqldDefaults(`${VTROOT}/config`), ...pool.mysql.config });
  const handoff = primaryHandoff({
    alias: tabletAlias(scope.cell, tablet.uid),
    keyspace: scope.keyspace,
    shard: scope.shard,
    vtctldAddress: scope.vtctldAddress,
    tls: scope.tls,
    sharedVolume: 'vt',
    vttabletPath: SHARED_VTROOT,
    mysqldPath: VTROOT,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: withPodMetadata(Object.keys(rotation).length === 0 ? meta : { ...meta, annotations: { ...meta.annotations, ...rotation } }, pool),
    spec: withPodSettings({
      hostname: tablet.name,
      subdomain: tabletServiceName(scope.cluster, scope.cell),
      securityContext: podSecurityContext(),
      ...NO_SERVICE_ACCOUNT_TOKEN,
      enableServiceLinks: false,
      // A primary hands off first (primary-handoff.ts); then mysqld needs time to shut down cleanly
      // while vttablet drains its queries.
      terminationGracePeriodSeconds: TABLET_GRACE_SECONDS,
      // By default a shard's tablets spread over nodes: one node failure takes at most one of them.
      ...podPlacement(pool, [spreadOverNodes(shardTabletSelector(scope))]),
      initContainers: [
        container({
          name: 'vt-init',
          image: pool.image,
          command: ['/bin/sh', '-ec', vtInitScript(myCnf !== undefined, exporter !== undefined)],
          env: myCnf === undefined ? undefined : [literalEnv('MY_CNF', myCnf)],
          resources: resources(pool.initContainers?.resources),
          volumeMounts: [{ name: 'vt', mountPath: SHARED_VTROOT }],
        }),
      ],
      containers: [
        container({
          name: 'mysqld',
          image: pool.mysqlImage,
          command: [
            `${VTROOT}/bin/mysqlctld`,
            ...flagArgs(
              {
                'tablet-uid': String(tablet.uid),
                'socket-file': MYSQLCTL_SOCKET,
                'mysql-socket': MYSQL_SOCKET,
                'db-dba-user': 'vt_dba',
                'init-db-sql-file': initSql.file,
                'wait-time': '2h',
              },
              credentials.flags,
              pool.mysql.extraFlags,
            ),
          ],
          env: [...(myCnf === undefined ? env : [...env, extraMyCnfEnv()]), ...handoff.mysqld.env],
          lifecycle: handoff.mysqld.lifecycle,
          ports: [containerPort('mysql', PORTS.mysql)],
          readinessProbe: { tcpSocket: { port: 'mysql' }, periodSeconds: 2 },
          resources: resources(pool.mysql.resources),
          volumeMounts: [{ name: 'vt', mountPath: VTROOT }, dataMount, ...initSql.volumeMounts, ...credentials.volumeMounts],
        }),
        container({
          name: 'vttablet',
          image: pool.image,
          command: ['/vt/bin/vttablet', ...flagArgs(serverFlags(scope.topology), vttabletFlags(scope, tablet), mysqlServerVersionFlag(mysqlVersionOf(pool.mysqlImage)?.version), credentials.flags, tls.flags, vttabletBackupFlags(scope.backup, scope.backupFlags), pool.vttablet.extraFlags)],
          env: [...env, ...storage.env, ...handoff.vttablet.env],
          lifecycle: handoff.vttablet.lifecycle,
          ports: [containerPort('web', PORTS.web), containerPort('grpc', PORTS.grpc)],
          readinessProbe: httpProbe('/healthz', 'web'),
          livenessProbe: lenientLiveness(httpProbe('/debug/status', 'web')),
          resources: resources(pool.vttablet.resources),
          volumeMounts: [dataMount, ...tls.volumeMounts, ...storage.mounts, ...credentials.volumeMounts, ...handoff.vttablet.volumeMounts],
        }),
        ...(exporter === undefined ? [] : [mysqldExporter(exporter)]),
      ],
      volumes: [
        { name: 'vt', emptyDir: {} },
        { name: 'vtdataroot', persistentVolumeClaim: { claimName: tablet.name } },
        ...tls.volumes,
        ...storage.volumes,
        ...initSql.volumes,
        ...credentials.volumes,
      ],
    }, pool),
  };
}

/**
 * The mysqld-exporter sidecar: reads the config the init container wrote, reaches mysqld over its
 * socket, serves /metrics on its port. No probes: a sidecar must never make the tablet unready (a
 * rollout waits on tablet readiness) nor restart it.
 */
function mysqldExporter(exporter: NonNullable<ResolvedMonitoringSpec['mysqldExporter']>): V1Container {
  return container({
    name: 'mysqld-exporter',
    image: exporter.image,
    command: ['/bin/mysqld_exporter', `--config.my-cnf=${SHARED_VTROOT}/${EXPORTER_CNF}`, `--web.listen-address=:${PORTS.mysqldExporter}`],
    ports: [containerPort(MYSQLD_EXPORTER_PORT, PORTS.mysqldExporter)],
    resources: resources(exporter.resources),
    // Read only: the exporter needs the config and the socket, never to write the data. Not nested
    // (the socket's directory is no mount point inside a read-only mount).
    volumeMounts: [
      { name: 'vt', mountPath: SHARED_VTROOT, readOnly: true },
      { name: 'vtdataroot', mountPath: VTDATAROOT, readOnly: true },
    ],
  });
}

/** The name of the exporter's port, which PodMonitors scrape (metacontroller/components/prometheus). */
export const MYSQLD_EXPORTER_PORT = 'mysqld-metrics';

/**
 * Copies mysqlctld and Vitess' config for the MySQL image, links the error log name to stderr
 * (lib/vitess/mycnf.ts); with overrides, writes them beside that config.
 */
function vtInitScript(withMyCnf: boolean, withExporter: boolean): string {
  const copy = `mkdir -p ${SHARED_VTROOT}/bin && cp /vt/bin/mysqlctld ${SHARED_VTROOT}/bin/ && cp -R /vt/config ${SHARED_VTROOT}/ && ln -sf ${STDERR_LINK_TARGET} ${SHARED_VTROOT}/config/${STDERR_LINK}`;
  const withOverrides = withMyCnf ? `${copy} && printf '%s' "$MY_CNF" > ${SHARED_VTROOT}/${EXTRA_MY_CNF}` : copy;
  return withExporter ? `${withOverrides} && printf '${EXPORTER_CNF_TEXT}' > ${SHARED_VTROOT}/${EXPORTER_CNF}` : withOverrides;
}

function extraMyCnfEnv(): V1EnvVar {
  return { name: EXTRA_MY_CNF_ENV, value: `${VTROOT}/${EXTRA_MY_CNF}` };
}

/** Every tablet of this shard in this cell, both pools: what the default spread and the shard's PDB count. */
function shardTabletSelector(scope: TabletScope): Record<string, string> {
  return componentSelector({ cluster: scope.cluster, cell: scope.cell, keyspace: scope.keyspace, shard: scope.shard }, TABLET_COMPONENT);
}

/**
 * At most one tablet of the shard (in this cell) down at a time through voluntary disruptions (node
 * drains: evictions). Only with 2 tablets or more: with one, no eviction could ever pass a budget
 * that protects anything. The rollout deletes tablet Pods itself, which a PDB does not block; but a
 * restarting tablet counts as unavailable, so a drain waits for it.
 */
export function tabletDisruptionBudget(scope: TabletScope, name: string, tablets: number): V1PodDisruptionBudget | undefined {
  if (tablets < 2) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(scope, name, TABLET_COMPONENT),
    spec: { maxUnavailable: 1, selector: { matchLabels: shardTabletSelector(scope) } },
  };
}

function vttabletFlags(scope: TabletScope, tablet: TabletIdentity): Record<string, string> {
  return {
    'tablet-path': tabletAlias(scope.cell, tablet.uid),
    'tablet-hostname': '$(POD_IP)',
    'init-keyspace': scope.keyspace,
    'init-shard': scope.shard,
    'init-tablet-type': tablet.type,
    'health-check-interval': '5s',
    'service-map': 'grpc-queryservice,grpc-tabletmanager,grpc-updatestream',
    'mysqlctl-socket': MYSQLCTL_SOCKET,
    'db-charset': 'utf8mb4',
    'init-db-name-override': `vt_${scope.keyspace}`,
    'enable-replication-reporter': 'true',
    'db-app-user': 'vt_app',
    'db-dba-user': 'vt_dba',
    'db-repl-user': 'vt_repl',
    'db-filtered-user': 'vt_filtered',
  };
}

export function tabletVolumeClaim(scope: TabletScope, tablet: TabletIdentity, pool: TabletPoolSpec): V1PersistentVolumeClaim {
  const claim = pool.volumeClaim;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: objectMeta(scope, tablet.name, TABLET_COMPONENT, tabletLabels(tablet)),
    spec: {
      accessModes: claim.accessModes ?? ['ReadWriteOnce'],
      storageClassName: claim.storageClassName,
      volumeMode: claim.volumeMode,
      resources: { requests: { storage: '10Gi', ...resources(claim.resources)?.requests }, limits: resources(claim.resources)?.limits },
    },
  };
}
