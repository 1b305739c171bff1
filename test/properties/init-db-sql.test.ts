/**
 * The law of custom init SQL (spec.initDbSql, docs/decisions/0014-init-sql-from-a-secret.md), over
 * random valid clusters with a cluster-level reference or none, and per keyspace an override or none,
 * rendered top down through the four layers on their first sync:
 *
 * - one SQL per Vitess shard: every tablet's mysqld (both pools, every cell of the keyspace) and the
 *   shard's initial backup run `--init-db-sql-file` on the same file from the same Secret volume, and
 *   that is the keyspace's reference, else the cluster's, else the image's init_db.sql with no volume;
 * - only those two containers mount it.
 * FC_RUNS cases (default 1000); FC_SEED replays.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { buildSpec, clusterName, clusterObject, specBlueprint } from '../arbitraries/cluster.ts';
import { dnsLabel, runs } from '../arbitraries/index.ts';
import { type ContainerLike, execFlagValue, podSpecOf, renderTree } from '../templates/seed-tree.ts';

type Ref = { secretName: string; key?: string };

const ref: fc.Arbitrary<Ref> = fc.record(
  { secretName: dnsLabel(20), key: fc.constantFrom('init_db.sql', 'init.sql', 'users-and-grants.sql') },
  { requiredKeys: ['secretName'] },
);

const cases = fc
  .record({
    name: clusterName,
    blueprint: specBlueprint(),
    cluster: fc.option(ref, { nil: undefined }),
    keyspaces: fc.array(fc.option(ref, { nil: undefined }), { minLength: 3, maxLength: 3 }),
    backup: fc.boolean(),
  })
  .filter(({ blueprint }) => blueprint.keyspaces.length > 0);

/** What a process initializing a data dir runs: the flag's file and the volume it comes from. */
function initSqlOf(container: ContainerLike, volumes: { name: string }[] = []): { file: string | undefined; volume: unknown; mounted: boolean } {
  return {
    file: execFlagValue(container, 'init-db-sql-file'),
    volume: volumes.find((v) => v.name === 'init-db-sql'),
    mounted: (container.volumeMounts ?? []).some((m) => m.name === 'init-db-sql' && m.mountPath === '/vt/secrets/init-db-sql' && (m as { readOnly?: boolean }).readOnly === true),
  };
}

function expected(sql: Ref | undefined): { file: string; volume: unknown; mounted: boolean } {
  if (sql === undefined) return { file: '/vt/config/init_db.sql', volume: undefined, mounted: false };
  return {
    file: '/vt/secrets/init-db-sql/init_db.sql',
    volume: { name: 'init-db-sql', secret: { secretName: sql.secretName, defaultMode: 0o440, items: [{ key: sql.key ?? 'init_db.sql', path: 'init_db.sql' }] } },
    mounted: true,
  };
}

describe('init SQL', () => {
  test("one SQL per Vitess shard: every tablet's mysqld and the initial backup's vtbackup, in every cell, run the keyspace's (else the cluster's, else the image's)", () => {
    let withCustom = 0;
    fc.assert(
      fc.property(cases, ({ name, blueprint, cluster, keyspaces, backup }) => {
        const spec = buildSpec({ ...blueprint, backup: blueprint.backup ?? (backup ? { location: { gcs: { bucket: 'b' } } } : undefined) }, name) as ReturnType<typeof buildSpec> & { initDbSql?: Ref };
        if (cluster !== undefined) spec.initDbSql = cluster;
        const want = new Map<string, Ref | undefined>();
        (spec.keyspaces ?? []).forEach((keyspace, i) => {
          const own = keyspaces[i];
          if (own !== undefined) Object.assign(keyspace, { initDbSql: own });
          want.set(keyspace.name, own ?? cluster);
        });
        const tree = renderTree({ ...clusterObject(name, spec), metadata: { name, namespace: 'default', uid: 'u', generation: 1 } });
        const seen = new Map<string, unknown[]>();
        for (const { parent, children } of tree) {
          for (const child of children) {
            const pod = podSpecOf(child);
            for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
              const reads = (c.name === 'mysqld' && child.kind === 'Pod') || (c.name === 'vtbackup' && child.kind === 'Job');
              const at = `${child.kind}/${child.metadata.name} ${c.name}`;
              if (!reads) {
                expect({ at, mounts: (c.volumeMounts ?? []).filter((m) => m.name === 'init-db-sql') }).toEqual({ at, mounts: [] });
                continue;
              }
              expect(parent.kind).toBe('VitessShard');
              const shard = parent.spec as { keyspace: string; name: string };
              const vitessShard = `${shard.keyspace}/${shard.name}`;
              const got = initSqlOf(c, pod?.volumes);
              expect({ at, ...got }).toEqual({ at, ...expected(want.get(shard.keyspace)) });
              seen.set(vitessShard, [...(seen.get(vitessShard) ?? []), JSON.stringify(got)]);
              if (got.mounted) withCustom++;
            }
          }
        }
        for (const [vitessShard, all] of seen) expect({ vitessShard, distinct: new Set(all).size }).toEqual({ vitessShard, distinct: 1 });
      }),
      runs(),
    );
    // The law is not vacuous: custom SQL was rendered and checked.
    expect(withCustom).toBeGreaterThan(0);
  }, 120_000);
});
