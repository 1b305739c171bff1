/** What the observer's tests share. */

/** A vtgate's /debug/gateway answer in v24's shape (lib/vitess/gateway.ts): enums as numbers. */
export function gatewayJson(tablets: { cell: string; uid: number; keyspace?: string; shard?: string; type: number; serving: boolean; hostname: string; term?: number }[]): unknown {
  return tablets.map((t) => {
    const target = { keyspace: t.keyspace ?? 'commerce', shard: t.shard ?? '0', tablet_type: t.type };
    return {
      Cell: t.cell,
      Target: target,
      TabletsStats: [
        {
          Tablet: { alias: { cell: t.cell, uid: t.uid }, hostname: t.hostname, port_map: { grpc: 15999, vt: 15000 }, keyspace: target.keyspace, shard: target.shard, type: t.type, mysql_hostname: t.hostname, mysql_port: 3306 },
          Target: target,
          Serving: t.serving,
          PrimaryTermStartTime: t.term ?? 0,
          Stats: { replication_lag_seconds: 0 },
          LastError: null,
        },
      ],
    };
  });
}
