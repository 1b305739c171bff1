/**
 * Who may connect and how: vtgate's MySQL users, TLS for vtgate's MySQL port and for gRPC between
 * Vitess components, and the metrics sidecar of tablets. The user's fields and what the layers pass
 * down (defaults applied) sit side by side, so the two never drift apart. docs/access.md says why.
 */
import * as v from 'valibot';
import { DnsName, HostPort, Image, Resources } from './common.ts';
import { PodSettings } from './pod.ts';

/** A Secret in the VitessCluster's namespace: a DNS-1123 subdomain. */
export const SecretName = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a Secret name (lower-case letters, digits, - and .)'),
  v.maxLength(253),
);
/** A key of a Secret's data (Kubernetes' rule for ConfigMap and Secret keys). */
const SecretKey = v.pipe(v.string(), v.regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret key (letters, digits, -, _ and .)'), v.maxLength(253));
/** A Go duration, as Vitess flags take it: `10s`, `1m30s`. */
const Duration = v.pipe(v.string(), v.regex(/^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/, 'must be a duration such as 10s or 1m'));

/**
 * vtgate's MySQL users (static auth): a Secret key holding Vitess' static auth JSON
 * (`{"<user>": [{"Password": "...", "UserData": "<user>"}]}`). Without it vtgate admits any user.
 */
export const MysqlUsers = v.object({
  secretName: SecretName,
  key: v.optional(SecretKey, 'users.json'),
  /** How often vtgate re-reads the file: a Secret edit reaches the mounted file, then vtgate, without a restart. */
  reloadInterval: v.optional(Duration, '10s'),
});

/**
 * SQL that replaces Vitess' init_db.sql (docs/decisions/0014-init-sql-from-a-secret.md): a Secret key
 * holding the whole script that mysqlctld (every tablet) and vtbackup (the initial backup) run once,
 * when they initialize an empty data directory. It replaces Vitess' file entirely, so it must create
 * what Vitess logs in as: start from config/init_db.sql of the Vitess release you run (docs/access.md).
 */
export const InitDbSql = v.object({
  secretName: SecretName,
  key: v.optional(SecretKey, 'init_db.sql'),
});

/**
 * The passwords Vitess logs in to MySQL with (vttablet, mysqlctld, vtbackup): a Secret key holding
 * Vitess' credentials file, JSON mapping each user to a list of passwords of which the first is used
 * (`{"vt_app": ["<password>"], "vt_dba": ["<password>"]}`; go/vt/dbconfigs/credentials.go). A user the file
 * does not name logs in without a password. Given to Vitess as `--db-credentials-file`: never on a
 * command line (docs/security.md).
 */
export const DbCredentials = v.object({
  secretName: SecretName,
  key: v.optional(SecretKey, 'db_credentials.json'),
});

/**
 * TLS from Secrets with cert-manager's keys: `tls.crt`, `tls.key`, `ca.crt`.
 * - `mysql`: vtgate's MySQL port; `requireSecureTransport` (default true) rejects plain connections,
 *   `verifyClients` (default false) also asks clients for a certificate signed by `ca.crt`.
 * - `grpc`: mutual TLS between every Vitess process (servers ask for client certificates signed by
 *   `ca.crt`); one certificate for all, whose DNS names include `serverName`, the name clients check
 *   (tablets are dialled by Pod IP, which no certificate names).
 * - `etcd`: client TLS of the topology: the built-in etcd serves its client port with this certificate
 *   and requires client certificates signed by `ca.crt`; every Vitess process presents it. Its DNS names
 *   include each cell's etcd client Service (`<cluster>-<cell>-etcd-client`). With an external
 *   topology, your etcd must accept it. Peers still talk plain HTTP (lib/templates/etcd.ts).
 * - `rotation`: any text; changing it restarts, in rollout order, every Pod that loaded a certificate
 *   (Vitess v24 reads a certificate file once per process, so a renewed one needs a restart).
 */
export const Tls = v.object({
  mysql: v.optional(
    v.object({
      secretName: SecretName,
      requireSecureTransport: v.optional(v.boolean(), true),
      verifyClients: v.optional(v.boolean(), false),
    }),
  ),
  grpc: v.optional(v.object({ secretName: SecretName, serverName: DnsName })),
  etcd: v.optional(v.object({ secretName: SecretName })),
  rotation: v.optional(v.pipe(v.string(), v.maxLength(63))),
});

/** A mysqld-exporter sidecar in every tablet Pod (presence enables it). */
export const MysqldExporter = v.object({
  image: v.optional(Image),
  resources: v.optional(Resources),
});

export const Monitoring = v.object({
  mysqldExporter: v.optional(MysqldExporter),
});

/** mysqld-exporter's pinned default image (prom/mysqld-exporter, its `--mysqld.*` flags since v0.15). */
export const DEFAULT_MYSQLD_EXPORTER_IMAGE = 'prom/mysqld-exporter:v0.17.2';

/** What the layers carry: the same shapes with defaults applied (the exporter's image decided). */
export const ResolvedMonitoring = v.object({
  mysqldExporter: v.optional(v.object({ ...MysqldExporter.entries, image: Image })),
});

export type MysqlUsersSpec = v.InferOutput<typeof MysqlUsers>;
export type InitDbSqlSpec = v.InferOutput<typeof InitDbSql>;
export type DbCredentialsSpec = v.InferOutput<typeof DbCredentials>;
export type TlsSpec = v.InferOutput<typeof Tls>;
export type ResolvedMonitoringSpec = v.InferOutput<typeof ResolvedMonitoring>;

export function resolveMonitoring(monitoring: v.InferOutput<typeof Monitoring> | undefined): ResolvedMonitoringSpec | undefined {
  const exporter = monitoring?.mysqldExporter;
  if (exporter === undefined) return undefined;
  return { mysqldExporter: { ...exporter, image: exporter.image ?? DEFAULT_MYSQLD_EXPORTER_IMAGE } };
}

/** The part of the TLS settings tablets and the layers above them need: gRPC and the topology's (vtgate's MySQL port is the cell's). */
export function tabletTls(tls: TlsSpec | undefined): TlsSpec | undefined {
  if (tls?.grpc === undefined && tls?.etcd === undefined) return undefined;
  return { grpc: tls.grpc, etcd: tls.etcd, rotation: tls.rotation };
}

/**
 * vtadmin (optional): vtadmin-api and vtadmin-web, run in the cell that holds vtctld. The browser
 * talks to both, so both addresses are ones your users reach (an Ingress, a port-forward):
 * `apiAddress` goes into the web app's config, `webAddress` is the origin vtadmin-api allows (CORS).
 * Access control: `rbac` (a Secret key holding vtadmin's RBAC config) or, only when asked, `allowAll`.
 */
export const Vtadmin = v.object({
  image: v.optional(Image),
  replicas: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  resources: v.optional(Resources),
  apiAddress: v.pipe(v.string(), v.regex(/^https?:\/\/[^\s/"']+(\/[^\s"']*)?$/, 'must be an http(s) URL such as https://vtadmin-api.example.com')),
  webAddress: v.pipe(v.string(), v.regex(/^https?:\/\/[^\s/,"']+$/, 'must be an http(s) origin such as https://vtadmin.example.com')),
  rbac: v.optional(v.object({ secretName: SecretName, key: v.optional(SecretKey, 'rbac.yaml') })),
  allowAll: v.optional(v.boolean(), false),
  /** vtadmin-api's and vtadmin-web's Pods alike (lib/api/pod.ts); `securityContext` replaces each one's default. */
  ...PodSettings,
});

/** The vitess/vtadmin image: the vtadmin binary, and vtadmin-web served by nginx. The release of DEFAULT_IMAGES.vitess. */
export const DEFAULT_VTADMIN_IMAGE = 'vitess/vtadmin:v24.0.3';

/** What the cell that runs vtadmin gets: image and replicas decided, and where vtctld and the vtgates are. */
export const ResolvedVtadmin = v.object({
  ...Vtadmin.entries,
  image: Image,
  replicas: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /** vtctld's web and gRPC addresses and every vtgate's gRPC address: vtadmin's static discovery. */
  vtctld: v.object({ web: HostPort, grpc: HostPort }),
  vtgates: v.array(HostPort),
});

export type ResolvedVtadminSpec = v.InferOutput<typeof ResolvedVtadmin>;
