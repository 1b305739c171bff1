import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asKubeObjects, type KubeObject } from '../../lib/kube/object.ts';
import { keyspaceJob } from '../../lib/templates/keyspace-job.ts';
import type { CellScope } from '../../lib/templates/cell-scope.ts';
import { runContainer } from './run-container.ts';
import { allObjects, container, find, renderTree, seedCluster } from './seed-tree.ts';

const tree = renderTree();
const objects = allObjects(tree);

const SCOPE: CellScope = {
  cluster: 'c',
  cell: 'zone1',
  cellObject: 'c-zone1',
  template: {},
  topology: { implementation: 'etcd2', global: { address: 'g:2379', root: '/vitess/global' }, cell: { address: 'g:2379', root: '/vitess/zone1' } },
  vtctldAddress: 'c-global-vtctld:15999',
  vitessImage: 'vitess/lite:v24.0.4',
};

function scriptOf(job: KubeObject): string {
  const command = container(job, 'vtctldclient').command ?? [];
  expect(command.slice(0, 2)).toEqual(['/bin/sh', '-ec']);
  return command[2]!;
}

/**
 * Runs the Job's container as the kubelet would, with a stand-in for vtctldclient that keeps the
 * keyspace records in a folder: GetKeyspace fails when absent, CreateKeyspace fails when present (as vtctld does).
 */
function runJob(job: KubeObject, existing: Record<string, string>): { status: number | null; records: Record<string, string>; calls: string[] } {
  const setup = Object.entries(existing).map(([name, policy]) => `[ -e "$RECORDS/.seeded" ] || printf %s '${policy}' > "$RECORDS/${name}"`);
  const run = runContainer(container(job, 'vtctldclient'), {
    vtctldclient: [
      ...setup,
      'touch "$RECORDS/.seeded"',
      'case $1 in --server=*) shift;; *) exit 3;; esac',
      'cmd=$1; shift',
      'policy=""; for a in "$@"; do case $a in --durability-policy=*) policy=${a#--durability-policy=};; --*) ;; *) ks=$a;; esac; done',
      'case $cmd in',
      '  GetKeyspace) test -f "$RECORDS/$ks" ;;',
      '  CreateKeyspace) test ! -f "$RECORDS/$ks" || { echo exists >&2; exit 1; }; printf %s "$policy" > "$RECORDS/$ks" ;;',
      '  SetKeyspaceDurabilityPolicy) test -f "$RECORDS/$ks" || { echo "node doesn\'t exist" >&2; exit 1; }; printf %s "$policy" > "$RECORDS/$ks" ;;',
      '  *) exit 2 ;;',
      'esac',
    ].join('\n'),
  });
  const records: Record<string, string> = {};
  try {
    records.commerce = readFileSync(join(run.dir, 'records', 'commerce'), 'utf8');
  } catch {
    // no record
  }
  return { status: run.status, records, calls: run.calls.map((call) => call.args.slice(1).join(' ')) };
}

describe('keyspace Job: the keyspace record with its durability policy', () => {
  test('seed: zone1 runs one per keyspace, before the VitessKeyspace, with the default policy (2 replica tablets: none)', () => {
    const cell = tree.find((layer) => layer.parent.kind === 'VitessCell' && layer.parent.metadata.name === 'vitess-zone1')!;
    const names = cell.children.map((child) => `${child.kind}/${child.metadata.name}`);
    expect(names.indexOf('Job/vitess-zone1-main-keyspace')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('Job/vitess-zone1-main-keyspace')).toBeLessThan(names.indexOf('VitessKeyspace/vitess-zone1-main'));
    const job = find(objects, 'Job', 'vitess-zone1-main-keyspace');
    expect(scriptOf(job)).toContain('CreateKeyspace --durability-policy="$DURABILITY_POLICY" "$KEYSPACE"');
    expect(container(job, 'vtctldclient').env).toContainEqual({ name: 'KEYSPACE', value: 'main' });
    expect(container(job, 'vtctldclient').env).toContainEqual({ name: 'DURABILITY_POLICY', value: 'none' });
    expect(objects.some((o) => o.kind === 'Job' && o.metadata.name.startsWith('vitess-global-') && o.metadata.name.endsWith('-keyspace'))).toBe(false);
  });

  test('an edited policy changes the Job (so the revision machinery replaces and re-runs it)', () => {
    const seed = seedCluster() as KubeObject & { spec: { keyspaces: Record<string, unknown>[] } };
    const edited = { ...seed, spec: { ...seed.spec, keyspaces: seed.spec.keyspaces.map((k) => ({ ...k, durabilityPolicy: 'semi_sync' })) } };
    const job = find(allObjects(renderTree(edited)), 'Job', 'vitess-zone1-main-keyspace');
    expect(container(job, 'vtctldclient').env).toContainEqual({ name: 'DURABILITY_POLICY', value: 'semi_sync' });
    expect(JSON.stringify(job.spec)).not.toBe(JSON.stringify(find(objects, 'Job', 'vitess-zone1-main-keyspace').spec));
  });

  test('script, run: creates an absent keyspace with the policy', () => {
    const run = runJob(asKubeObjects([keyspaceJob(SCOPE, 'commerce', 'semi_sync')])[0]!, {});
    expect(run.status).toBe(0);
    expect(run.records).toEqual({ commerce: 'semi_sync' });
  });

  test('script, run: sets the policy on a keyspace a tablet already created (without one), and again when run twice', () => {
    const job = asKubeObjects([keyspaceJob(SCOPE, 'commerce', 'none')])[0]!;
    const run = runJob(job, { commerce: '' });
    expect(run.status).toBe(0);
    expect(run.records).toEqual({ commerce: 'none' });
    expect(run.calls.some((call) => call.startsWith('CreateKeyspace'))).toBe(false);
    expect(runJob(job, { commerce: 'semi_sync' }).records).toEqual({ commerce: 'none' });
  });
});
