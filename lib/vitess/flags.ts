/**
 * Command-line flags of Vitess binaries, in one place.
 *
 * Vitess servers (vtgate, vtctld, vttablet, vtorc, mysqlctld) parse their flags with pflag and take
 * only the spellings they register: since v19 those are the dashed ones (`--topo-implementation`),
 * and v25 drops the old underscore aliases. Only vtctl/vtctlclient translated underscores into dashes.
 * So we emit dashed names and turn the underscores of user-given names (the seed's
 * `backup_storage_implementation`) into dashes, except glog's flags (below).
 */
import type { FlagsSpec } from '../api/common.ts';
import type { TopologySpec } from '../api/passdown.ts';
import { kubeletArgument } from '../kube/expansion.ts';
import { PORTS } from './ports.ts';

export type FlagMap = Readonly<Record<string, string>>;

/**
 * glog's flags, which Vitess v24 still registers under glog's own names: `--log_dir` is accepted
 * (with a warning that glog is deprecated for `--log-structured`), `--log-dir` is "unknown flag". These
 * keep their underscores. The list is what v24.0.3's binaries accept (checked by running them);
 * glog's `log_link` and `logbuflevel` are not registered there at all.
 */
export const GLOG_FLAGS: ReadonlySet<string> = new Set(['alsologtostderr', 'log_backtrace_at', 'log_dir', 'logtostderr', 'stderrthreshold', 'v', 'vmodule']);

/** A flag name in the spelling the Vitess servers accept: dashed, except glog's flags. */
export function dashed(name: string): string {
  if (!name.includes('_') || GLOG_FLAGS.has(name)) return name;
  return name.replaceAll('_', '-');
}

/**
 * `--name=value` arguments: our flags, then the user's. A user flag of the same (dashed) name
 * replaces ours in place, so users can override any flag. Output order is stable. Values are escaped
 * for the kubelet's `$(VAR)` expansion (lib/kube/expansion.ts): each reaches the binary as written.
 */
export function flagArgs(...layers: readonly (FlagMap | FlagsSpec | undefined)[]): string[] {
  const merged = mergeFlags(...layers);
  const args: string[] = [];
  for (const name of Object.keys(merged)) args.push(`--${name}=${kubeletArgument(merged[name] as string)}`);
  return args;
}

/**
 * Flag layers merged by dashed name, later layers winning in place (what flagArgs renders).
 * Assigned straight into one object (every tablet's containers merge dozens of flags per sync): a
 * key assigned again keeps its place, as it would in a Map, and the object orders keys as any other
 * (integer-like names first). No name becomes `__proto__`: `dashed` turns its underscores into dashes.
 */
export function mergeFlags(...layers: readonly (FlagMap | FlagsSpec | undefined)[]): FlagMap {
  const merged: Record<string, string> = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const name in layer) merged[dashed(name)] = layer[name] as string;
  }
  return merged;
}

/**
 * Flags every long-running Vitess server gets: ports and the topology. No `--logtostderr`: it has
 * no effect since v24 (Vitess logs to stderr by default) and v25 removes it.
 */
export function serverFlags(topology: TopologySpec): FlagMap {
  return {
    port: String(PORTS.web),
    'grpc-port': String(PORTS.grpc),
    ...topoFlags(topology),
  };
}

export function topoFlags(topology: TopologySpec): FlagMap {
  return {
    'topo-implementation': topology.implementation,
    'topo-global-server-address': topology.global.address,
    'topo-global-root': topology.global.root,
  };
}

/** The files of one certificate: cert-manager's `tls.crt`, `tls.key` and `ca.crt`, mounted from a Secret. */
export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/**
 * A topology client's certificate, and the CA it checks the etcd server's against
 * (go/vt/topo/etcd2topo: `--topo-etcd-tls-cert`, `-key`, `-ca`). One set per process: it serves the
 * connections to the global and to the cell topology alike.
 */
export function topoTlsFlags(files: TlsFiles): FlagMap {
  return { 'topo-etcd-tls-cert': files.cert, 'topo-etcd-tls-key': files.key, 'topo-etcd-tls-ca': files.ca };
}

/**
 * vtgate's static MySQL users from a file. vtgate re-reads the file on a ticker of
 * `--mysql-auth-static-reload-interval` (go/mysql/auth_server_static.go), so an edited Secret
 * reaches the users once the kubelet refreshed the mounted file, without a restart.
 */
export function staticAuthFlags(file: string, reloadInterval: string): FlagMap {
  return { 'mysql-auth-server-impl': 'static', 'mysql-auth-server-static-file': file, 'mysql-auth-static-reload-interval': reloadInterval };
}

/**
 * The passwords of the database users from a file (go/vt/dbconfigs/credentials.go, the `file`
 * credentials server): JSON `{"<user>": ["<password>", ...]}`, the first password used. Registered by
 * vttablet, mysqlctld and vtbackup, the binaries that log in to MySQL. The file is read at the first
 * login and again after a SIGHUP, never on a timer: a changed password reaches a process when it restarts.
 */
export function dbCredentialsFlags(file: string): FlagMap {
  return { 'db-credentials-server': 'file', 'db-credentials-file': file };
}

/**
 * TLS on vtgate's MySQL port. `--mysql-server-ssl-ca` makes vtgate ask for and verify client
 * certificates; `--mysql-server-require-secure-transport` rejects plain connections.
 */
export function mysqlServerTlsFlags(files: TlsFiles, options: { requireSecureTransport: boolean; verifyClients: boolean }): FlagMap {
  return {
    'mysql-server-ssl-cert': files.cert,
    'mysql-server-ssl-key': files.key,
    ...(options.verifyClients ? { 'mysql-server-ssl-ca': files.ca } : {}),
    ...(options.requireSecureTransport ? { 'mysql-server-require-secure-transport': 'true' } : {}),
  };
}

/** A gRPC server with TLS; `--grpc-ca` also makes it ask for and verify client certificates (mutual TLS). */
export function grpcServerTlsFlags(files: TlsFiles): FlagMap {
  return { 'grpc-cert': files.cert, 'grpc-key': files.key, 'grpc-ca': files.ca };
}

/**
 * The gRPC clients each binary runs, by the prefix of their `--<client>-grpc-{cert,key,ca,server-name}`
 * flags (what v24.0.3's `--help` lists): `tablet` (queries, streams), `tablet-manager` (reparents,
 * replication control, the throttler), `binlog-player` (vreplication), `vtctld` (vtctldclient).
 */
export const GRPC_CLIENTS = {
  vtgate: ['tablet'],
  vtctld: ['tablet', 'tablet-manager'],
  vttablet: ['tablet', 'tablet-manager', 'binlog-player'],
  vtorc: ['tablet-manager'],
  vtctldclient: ['vtctld'],
} as const;

/** Client certificate and server check for every gRPC client of `binary`; servers are checked against `serverName`. */
export function grpcClientTlsFlags(binary: keyof typeof GRPC_CLIENTS, files: TlsFiles, serverName: string): FlagMap {
  const flags: Record<string, string> = {};
  for (const client of GRPC_CLIENTS[binary]) {
    flags[`${client}-grpc-cert`] = files.cert;
    flags[`${client}-grpc-key`] = files.key;
    flags[`${client}-grpc-ca`] = files.ca;
    flags[`${client}-grpc-server-name`] = serverName;
  }
  return flags;
}

/**
 * vtgate buffers a shard's primary traffic through a failover only if the shard's previous failover
 * ended at least this long before (`--buffer-min-time-between-failovers`, Vitess' default 1m0s);
 * a faster one is not buffered, and reads fail with "primary is not serving". vtgate is given it
 * explicitly, and the shard layer spaces its reparents by it (lib/sync/shard.ts).
 */
export const VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS = 60;
