/**
 * Placement and MySQL configuration at the edge (the VitessCluster schema) and as resolved per cell:
 * Kubernetes' shapes checked with their paths, a cell's zone in every component's and pool's node
 * selector, a keyspace's tablet defaults under each pool's own.
 */
import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { type ClusterSpecInput, ClusterSpec } from '../../lib/api/cluster.ts';
import { inZone } from '../../lib/api/placement.ts';
import { resolveCells } from '../../lib/api/resolve.ts';
import { formatIssues } from '../../lib/metacontroller/request.ts';

const base = (): ClusterSpecInput => ({
  selector: { matchLabels: { app: 'p' } },
  cells: [{ name: 'zone1', etcd: { size: 1 }, vtctld: {}, vtgate: {}, vtorc: {} }],
  keyspaces: [{ name: 'commerce', cells: ['zone1'] }],
});

function problems(spec: unknown): string[] {
  const parsed = v.safeParse(ClusterSpec, spec);
  return parsed.success ? [] : formatIssues(parsed.issues, 'spec');
}

describe('placement at the edge', () => {
  test('Kubernetes shapes are accepted in every component and pool', () => {
    const spec = base();
    spec.cells[0] = {
      ...spec.cells[0]!,
      zone: 'us-east-1a',
      vtgate: {
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname' } }] } },
        tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' }],
        priorityClassName: 'vitess-critical',
      },
      etcd: { size: 1, nodeSelector: { disk: 'ssd' } },
    };
    spec.keyspaces![0]!.tablets = { defaults: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } } } };
    expect(problems(spec)).toEqual([]);
  });

  test('a mistake is named with its path and the rule', () => {
    const spec = base();
    spec.cells[0] = { ...spec.cells[0]!, vtgate: { tolerations: [{ key: 'a', operator: 'Maybe' as 'Exists' }] } };
    spec.keyspaces![0]!.tablets = { replica: { topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }] } };
    const found = problems(spec).join('\n');
    expect(found).toContain('spec.cells[0].vtgate.tolerations[0].operator');
    expect(found).toContain('spec.keyspaces[0].tablets.replica.topologySpreadConstraints[0].maxSkew');
  });

  test('my.cnf options: names, one-line values without braces (mysqlctld reads them as a Go template)', () => {
    const spec = base();
    spec.keyspaces![0]!.tablets = { defaults: { mysql: { config: { max_connections: 500, sql_mode: 'STRICT_ALL_TABLES' } } } };
    expect(problems(spec)).toEqual([]);
    spec.keyspaces![0]!.tablets = { defaults: { mysql: { config: { 'bad name': '1', server_id: '{{.ServerID}}', x: 'a\nb' } } } };
    const found = problems(spec).join('\n');
    expect(found).toContain('must be a MySQL option name');
    expect(found).toContain('spec.keyspaces[0].tablets.defaults.mysql.config.server_id');
    expect(found).toContain('spec.keyspaces[0].tablets.defaults.mysql.config.x');
  });

  test('a zone must be a label value', () => {
    const spec = base();
    spec.cells[0] = { ...spec.cells[0]!, zone: 'us east' };
    expect(problems(spec).join('\n')).toContain('spec.cells[0].zone');
  });
});

describe('placement resolved per cell', () => {
  const spec = base();
  spec.cells[0] = { ...spec.cells[0]!, zone: 'us-east-1a', vtgate: { nodeSelector: { pool: 'frontend' } } };
  spec.keyspaces![0]!.tablets = {
    defaults: { tolerations: [{ key: 'db', operator: 'Exists' }], nodeSelector: { pool: 'db' }, mysql: { config: { max_connections: 1000, innodb_buffer_pool_size: '1G' } } },
    rdonly: { replicas: 1, nodeSelector: { disk: 'hdd' }, tolerations: [{ key: 'batch', operator: 'Exists' }], mysql: { config: { max_connections: 200 } } },
  };
  const [cell] = resolveCells(v.parse(ClusterSpec, spec), 'p');

  test("the cell's zone reaches every component and pool, beside the user's node selector", () => {
    for (const component of [cell!.etcd, cell!.vtctld, cell!.vtorc]) expect(component?.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'us-east-1a' });
    expect(cell!.vtgate?.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'us-east-1a', pool: 'frontend' });
    expect(cell!.keyspaces[0]!.tablets.replica.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'us-east-1a', pool: 'db' });
  });

  test("a pool's own settings overlay the defaults: maps merge key by key, lists are replaced", () => {
    const rdonly = cell!.keyspaces[0]!.tablets.rdonly;
    expect(rdonly.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'us-east-1a', pool: 'db', disk: 'hdd' });
    expect(rdonly.tolerations).toEqual([{ key: 'batch', operator: 'Exists' }]);
    expect(rdonly.mysql.config).toEqual({ max_connections: 200, innodb_buffer_pool_size: '1G' });
  });

  test("a zone the user put in a node selector wins over the cell's", () => {
    expect(inZone({ nodeSelector: { 'topology.kubernetes.io/zone': 'b' } }, 'a').nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'b' });
    expect(inZone({}, undefined)).toEqual({});
  });
});
