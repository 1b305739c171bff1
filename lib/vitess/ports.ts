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
  /** vtadmin-api's HTTP API (vtadmin's own examples use it), and vtadmin-web's nginx (the image's VTADMIN_WEB_PORT). */
  vtadminApi: 14200,
  vtadminWeb: 14201,
} as const;
