/** Tablet Pod placement, my.cnf overrides and init container resources, rendered from one pool. */
import { describe, expect, test } from 'bun:test';
import type { TabletPoolSpec } from '../../lib/api/passdown.ts';
import { tabletDisruptionBudget, tabletPod, type TabletScope } from '../../lib/templates/tablet.ts';
import { TABLET_SCOPE } from './seed-tree.ts';

const scope: TabletScope = TABLET_SCOPE;
const tablet = { name: 'p-vttablet-zone1-0000000100', uid: 100, type: 'replica' as const };
const pool = (extra: Partial<TabletPoolSpec> = {}): TabletPoolSpec => ({ replicas: 2, image: 'vitess/lite:v24.0.3', mysqlImage: 'mysql:8.0.40', volumeClaim: {}, vttablet: {}, mysql: {}, ...extra });
const container = (pod: ReturnType<typeof tabletPod>, name: string) => [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name)!;

describe('tablet placement', () => {
  test("by default the shard's tablets spread over nodes, preferred only (ScheduleAnyway)", () => {
    expect(tabletPod(scope, tablet, pool()).spec?.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'vitess.io/cluster': 'p', 'vitess.io/cell': 'zone1', 'vitess.io/keyspace': 'commerce', 'vitess.io/shard': 'x-80', 'vitess.io/component': 'vttablet' } },
      },
    ]);
  });

  test("the user's placement is carried as given; their spread replaces ours, [] turns it off", () => {
    const spread = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' as const }];
    const pod = tabletPod(scope, tablet, pool({ priorityClassName: 'db', nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'db', operator: 'Exists' }], topologySpreadConstraints: spread }));
    expect(pod.spec).toMatchObject({ priorityClassName: 'db', nodeSelector: { disk: 'ssd' }, tolerations: [{ key: 'db', operator: 'Exists' }], topologySpreadConstraints: spread });
    expect(tabletPod(scope, tablet, pool({ topologySpreadConstraints: [] })).spec?.topologySpreadConstraints).toEqual([]);
  });

  test('a PDB for 2 tablets or more, none for one', () => {
    expect(tabletDisruptionBudget(scope, 'p-zone1-commerce-x-80', 2)?.spec?.maxUnavailable).toBe(1);
    expect(tabletDisruptionBudget(scope, 'p-zone1-commerce-x-80', 1)).toBeUndefined();
  });
});

describe('my.cnf overrides', () => {
  const pod = tabletPod(scope, tablet, pool({ mysql: { config: { innodb_buffer_pool_size: '1G', max_connections: 500 } } }));

  test('the init container writes them beside Vitess config; mysqld reads them through EXTRA_MY_CNF', () => {
    const init = container(pod, 'vt-init');
    // The error log on stderr first (lib/vitess/mycnf.ts), then the pool's options: a later line wins in my.cnf.
    expect(init.env).toEqual([{ name: 'MY_CNF', value: 'log-error = /vt/config/mysqld-stderr.log\ninnodb_buffer_pool_size = 1G\nmax_connections = 500\n' }]);
    expect(init.command?.[2]).toEndWith(`&& printf '%s' "$MY_CNF" > /mnt/vt/config/extra-my.cnf`);
    // /mnt/vt in the init container is /vt in the mysqld container (the same emptyDir).
    expect(container(pod, 'mysqld').env).toContainEqual({ name: 'EXTRA_MY_CNF', value: '/vt/config/extra-my.cnf' });
  });

  test("without overrides, only mysqld's error log on stderr (so `kubectl logs -c mysqld` shows it)", () => {
    const plain = tabletPod(scope, tablet, pool());
    expect(container(plain, 'vt-init').env).toEqual([{ name: 'MY_CNF', value: 'log-error = /vt/config/mysqld-stderr.log\n' }]);
    expect(container(plain, 'mysqld').env).toContainEqual({ name: 'EXTRA_MY_CNF', value: '/vt/config/extra-my.cnf' });
    // A name with an extension (mysqld adds `.err` to one without), linked to the opening process's stderr.
    expect(container(plain, 'vt-init').command?.[2]).toContain('ln -sf /proc/self/fd/2 /mnt/vt/config/mysqld-stderr.log');
  });

  test("the pool may send the error log elsewhere: its option comes last, and my.cnf's last line wins", () => {
    const own = tabletPod(scope, tablet, pool({ mysql: { config: { 'log-error': '/vt/vtdataroot/error.log' } } }));
    expect(container(own, 'vt-init').env).toEqual([{ name: 'MY_CNF', value: 'log-error = /vt/vtdataroot/error.log\n' }]);
  });

  test('an edit of the overrides changes the Pod, so the tablet revision moves and the rollout restarts it', () => {
    const other = tabletPod(scope, tablet, pool({ mysql: { config: { innodb_buffer_pool_size: '2G', max_connections: 500 } } }));
    expect(JSON.stringify(other)).not.toBe(JSON.stringify(pod));
  });
});

test('init container resources', () => {
  const pod = tabletPod(scope, tablet, pool({ initContainers: { resources: { requests: { cpu: '100m' }, limits: { memory: 64 } } } }));
  expect(container(pod, 'vt-init').resources).toEqual({ requests: { cpu: '100m' }, limits: { memory: '64' } });
});
