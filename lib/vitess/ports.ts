/** Ports of Vitess components and etcd (docs/vitess.md, "Ports and probes"). */
export const PORTS = {
  /** HTTP: status pages, /debug/health, /healthz, metrics. */
  web: 15000,
  grpc: 15999,
  mysql: 3306,
  etcdClient: 2379,
  etcdPeer: 2380,
  /** mysqld-exporter's HTTP port (its default), serving /metrics. */
  mysqldExporter: 9104,
} as const;
