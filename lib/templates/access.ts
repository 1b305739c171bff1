/**
 * The Kubernetes side of access settings: Secrets mounted where the Vitess flags point
 * (lib/vitess/flags.ts), and the annotation that restarts certificate users on a rotation.
 *
 * Secret volumes are mounted whole (no subPath), so the kubelet refreshes the files in place when a
 * Secret changes: that is what lets vtgate re-read its users without a restart.
 */
import type { V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { DbCredentialsSpec, InitDbSqlSpec, MysqlUsersSpec, TlsSpec } from '../api/access.ts';
import { dbCredentialsFlags, type FlagMap, grpcClientTlsFlags, topoTlsFlags, grpcServerTlsFlags, GRPC_CLIENTS, mysqlServerTlsFlags, staticAuthFlags, type TlsFiles } from '../vitess/flags.ts';

/** The Pod template annotation that carries `tls.rotation`: a new value gives the Pods a new revision. */
export const TLS_ROTATION_ANNOTATION = 'vitess.io/tls-rotation';

const GRPC_TLS = { volume: 'grpc-tls', dir: '/vt/tls/grpc' } as const;
const MYSQL_TLS = { volume: 'mysql-tls', dir: '/vt/tls/mysql' } as const;
const ETCD_TLS = { volume: 'etcd-tls', dir: '/vt/tls/etcd' } as const;
const MYSQL_USERS = { volume: 'mysql-users', dir: '/vt/secrets/mysql-users' } as const;
const INIT_DB_SQL = { volume: 'init-db-sql', dir: '/vt/secrets/init-db-sql', file: 'init_db.sql' } as const;
const DB_CREDENTIALS = { volume: 'db-credentials', dir: '/vt/secrets/db-credentials', file: 'db_credentials.json' } as const;

/** Owner and group read only; the Pods' fsGroup (999) gives the Vitess user the group. */
const SECRET_FILE_MODE = 0o440;

/** Volumes and mounts a container needs, and the flags that point at them. */
export interface Mounted {
  volumes: V1Volume[];
  volumeMounts: V1VolumeMount[];
  flags: FlagMap;
}

export const NOTHING_MOUNTED: Mounted = { volumes: [], volumeMounts: [], flags: {} };

/** Several mounts as one. */
export function mounted(...parts: Mounted[]): Mounted {
  return {
    volumes: parts.flatMap((part) => part.volumes),
    volumeMounts: parts.flatMap((part) => part.volumeMounts),
    flags: Object.assign({}, ...parts.map((part) => part.flags)) as FlagMap,
  };
}

function secretMount(place: { volume: string; dir: string }, secretName: string, flags: FlagMap, items?: { key: string; path: string }[]): Mounted {
  return {
    volumes: [{ name: place.volume, secret: { secretName, defaultMode: SECRET_FILE_MODE, ...(items === undefined ? {} : { items }) } }],
    volumeMounts: [{ name: place.volume, mountPath: place.dir, readOnly: true }],
    flags,
  };
}

function tlsFiles(dir: string): TlsFiles {
  return { cert: `${dir}/tls.crt`, key: `${dir}/tls.key`, ca: `${dir}/ca.crt` };
}

/**
 * gRPC TLS of one binary: its server flags (when it serves gRPC) and its clients' flags, over the
 * shared certificate. Nothing without `tls.grpc`.
 */
export function grpcTls(tls: TlsSpec | undefined, binary: keyof typeof GRPC_CLIENTS, serves: boolean): Mounted {
  const grpc = tls?.grpc;
  if (grpc === undefined) return NOTHING_MOUNTED;
  const files = tlsFiles(GRPC_TLS.dir);
  return secretMount(GRPC_TLS, grpc.secretName, { ...(serves ? grpcServerTlsFlags(files) : {}), ...grpcClientTlsFlags(binary, files, grpc.serverName) });
}

/** The topology's client TLS (`tls.etcd`) for a Vitess process: its certificate and the CA of etcd's. Nothing without it. */
export function topoTls(tls: TlsSpec | undefined): Mounted {
  const etcd = tls?.etcd;
  if (etcd === undefined) return NOTHING_MOUNTED;
  return secretMount(ETCD_TLS, etcd.secretName, topoTlsFlags(tlsFiles(ETCD_TLS.dir)));
}

/** The same Secret where etcd itself reads it (lib/templates/etcd.ts): its server certificate, and the CA of its clients'. */
export function etcdServerTls(tls: TlsSpec | undefined, dir: string): { files: TlsFiles; mounted: Mounted } | undefined {
  const etcd = tls?.etcd;
  if (etcd === undefined) return undefined;
  return { files: tlsFiles(dir), mounted: secretMount({ volume: ETCD_TLS.volume, dir }, etcd.secretName, {}) };
}

/** TLS on vtgate's MySQL port. */
export function mysqlTls(tls: TlsSpec | undefined): Mounted {
  const mysql = tls?.mysql;
  if (mysql === undefined) return NOTHING_MOUNTED;
  return secretMount(MYSQL_TLS, mysql.secretName, mysqlServerTlsFlags(tlsFiles(MYSQL_TLS.dir), mysql));
}

/**
 * vtgate's MySQL users. Only the named key is mounted: a Secret without it keeps the new Pod from
 * starting (and the old ones serving, as vtgate surges), rather than starting a vtgate nobody can log in to.
 */
export function mysqlUsers(users: MysqlUsersSpec | undefined): Mounted {
  if (users === undefined) return NOTHING_MOUNTED;
  const file = `${MYSQL_USERS.dir}/${users.key}`;
  return secretMount(MYSQL_USERS, users.secretName, staticAuthFlags(file, users.reloadInterval), [{ key: users.key, path: users.key }]);
}

/** A file from a Secret key, and the volume and mount that put it there. */
export interface SecretFile {
  file: string;
  volumes: V1Volume[];
  volumeMounts: V1VolumeMount[];
}

/**
 * The user's init SQL (spec.initDbSql): only its key, mounted read-only as one file under a fixed
 * name, whatever the key is called. A Secret without that key keeps the Pod from starting (the kubelet
 * holds it in ContainerCreating) rather than letting a tablet initialize with other SQL. Absent: none.
 */
export function customInitDbSql(spec: InitDbSqlSpec | undefined): SecretFile | undefined {
  if (spec === undefined) return undefined;
  const { volumes, volumeMounts } = secretMount(INIT_DB_SQL, spec.secretName, {}, [{ key: spec.key, path: INIT_DB_SQL.file }]);
  return { file: `${INIT_DB_SQL.dir}/${INIT_DB_SQL.file}`, volumes, volumeMounts };
}

/**
 * The database users' passwords (spec.dbCredentials): only its key, read-only, under a fixed name, and
 * the flags that point Vitess at it. A Secret without the key keeps the Pod from starting rather than
 * letting a tablet log in without passwords. Absent: nothing (Vitess' users have no password).
 */
export function dbCredentials(spec: DbCredentialsSpec | undefined): Mounted {
  if (spec === undefined) return NOTHING_MOUNTED;
  return secretMount(DB_CREDENTIALS, spec.secretName, dbCredentialsFlags(`${DB_CREDENTIALS.dir}/${DB_CREDENTIALS.file}`), [{ key: spec.key, path: DB_CREDENTIALS.file }]);
}

/** The rotation annotation for Pods that load certificates; none without TLS or without a rotation value. */
export function rotationAnnotations(tls: TlsSpec | undefined, loadsCertificates: boolean): Record<string, string> {
  // Every Vitess process that talks to the topology loads its certificate too.
  if (!(loadsCertificates || tls?.etcd !== undefined) || tls?.rotation === undefined) return {};
  return { [TLS_ROTATION_ANNOTATION]: tls.rotation };
}
