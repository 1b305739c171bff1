/**
 * The topology clean-up Jobs' scripts, run under `sh -e` against a stand-in for vtctldclient that keeps
 * tablet and shard records as files and answers as vtctld does (NoNode text when a record is absent;
 * DeleteTablets refuses an absent tablet or a primary without --allow-primary; DeleteShards refuses a
 * shard that still has tablet records in a cell, and a serving one without --even-if-serving).
 */
import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { cellRecordJob, keyspaceRecordJob, shardRecordJob, tabletRecordJob } from '../../lib/templates/topology-jobs.ts';

const SCOPE = { cluster: 'c', cell: 'zone1', keyspace: 'commerce', shard: '-80', template: {} };
const TABLET = { name: 'c-vttablet-zone1-0000012300', uid: 12300, type: 'replica' as const };

function tabletJob(alias: string, allowPrimary = false, scope = SCOPE): V1Job {
  return tabletRecordJob({ scope, tablet: TABLET, alias, image: 'vitess/lite:v24.0.3', vtctldAddress: 'v:15999', allowPrimary });
}

function shardJob(shard: string, keyspace = 'commerce', removeFromCell = true): V1Job {
  return shardRecordJob({ scope: { cluster: 'c', cell: 'zone1', keyspace, template: {} }, shardObject: 'c-zone1-commerce-x-80', shard, image: 'vitess/lite:v24.0.3', vtctldAddress: 'v:15999', removeFromCell });
}

/** A tablet record as vtctldclient GetTablet prints it (protojson: its spacing varies by build). */
function tabletRecord(keyspace: string, shard: string, primary = false): string {
  return `{\n  "alias":  {\n    "cell":  "zone1",\n    "uid":  12300\n  },\n  "keyspace":  "${keyspace}",\n  "shard":  "${shard}",\n  "type":  "${primary ? 'PRIMARY' : 'REPLICA'}"\n}\n`;
}

interface Run {
  status: number | null;
  calls: string[];
  out: string;
  exists(path: string): boolean;
}

/** Runs a Job's script with the Job's own environment and a fake vtctldclient over `records` (path -> content). */
function run(job: V1Job, records: Record<string, string>): Run {
  const dir = mkdtempSync(join(tmpdir(), 'topology-job-'));
  for (const [path, content] of Object.entries(records)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const fake = join(dir, 'vtctldclient');
  writeFileSync(
    fake,
    `#!/bin/sh
d=${dir}
printf '%s\\n' "$*" >> $d/calls
case $1 in --server=*) shift;; *) exit 3;; esac
cmd=$1; shift
allow=no; even=no
for a in "$@"; do case $a in --allow-primary) allow=yes;; --even-if-serving) even=yes;; --force|--strict|--cell) ;; --*) echo "unknown flag $a" >&2; exit 4;; *) test -n "\${arg:-}" || arg=$a;; esac; done
case $cmd in
  GetTablet) test -f "$d/tablets/$arg" || { echo "rpc error: code = NotFound desc = node doesn't exist: tablets/$arg/Tablet" >&2; exit 1; }; cat "$d/tablets/$arg" ;;
  DeleteTablets) test -f "$d/tablets/$arg" || { echo "node doesn't exist" >&2; exit 1; }
    if grep -q PRIMARY "$d/tablets/$arg" && test $allow = no; then echo "cannot delete tablet $arg as it is a primary" >&2; exit 1; fi
    rm "$d/tablets/$arg" ;;
  GetShard) test -f "$d/shards/$arg" || { echo "node doesn't exist: keyspaces/$arg/Shard" >&2; exit 1; } ;;
  DeleteShards) test -f "$d/shards/$arg" || exit 0
    if grep -q serving: "$d/shards/$arg" && test $even = no; then echo "shard $arg is still serving" >&2; exit 1; fi
    for t in $d/tablets/*; do test -f "$t" || continue; if grep -q "\\"shard\\":  \\"\${arg#*/}\\"" "$t"; then echo "Shard $arg still hase 1 tablets in cell zone1; use Recursive = true" >&2; exit 1; fi; done
    rm "$d/shards/$arg" ;;
  RemoveShardCell) test -f "$d/shards/$1" || { echo "node doesn't exist" >&2; exit 1; }
    grep -q "serving:$2" "$d/shards/$1" || { echo "shard $1 does not have serving cell $2" >&2; exit 1; }
    sed -i "s/serving:$2//" "$d/shards/$1" ;;
  GetKeyspace) test -f "$d/keyspaces/$arg" || { echo "node doesn't exist: keyspaces/$arg/Keyspace" >&2; exit 1; } ;;
  RemoveKeyspaceCell) for s in $d/shards/$1/*; do test -f "$s" || continue
      grep -q "serving:$2" "$s" || { echo "cannot remove cell $2 from shard $1/\${s##*/}: shard $1/\${s##*/} does not have serving cell $2" >&2; exit 1; }
      sed -i "s/serving:$2//" "$s"; done
    test -f "$d/srvkeyspaces/$2/$1" || { echo "cannot delete SrvKeyspace from cell $2 for keyspace $1: node doesn't exist" >&2; exit 1; }
    rm "$d/srvkeyspaces/$2/$1" ;;
  GetCellInfo) test -f "$d/cells/$arg" || { echo "node doesn't exist: cells/$arg/CellInfo" >&2; exit 1; }; cat "$d/cells/$arg" ;;
  DeleteSrvVSchema) test -f "$d/srvvschema/$arg" || { echo "node doesn't exist: $arg/SrvVSchema" >&2; exit 1; }; rm "$d/srvvschema/$arg" ;;
  DeleteCellInfo) if test -n "$(ls "$d/srvkeyspaces/$arg" 2>/dev/null)" && ! printf '%s\n' "$@" | grep -qx -- --force; then echo "cell $arg has serving keyspaces. Before deleting, delete keyspace with DeleteKeyspace, or use -force to continue anyway." >&2; exit 1; fi
    rm "$d/cells/$arg" ;;
  GetTablets) test "$1 $2" = "--strict --cell" || exit 5; for t in $d/tablets/$3-*; do test -f "$t" && echo "\${t##*/} commerce 0 replica"; done; true ;;
  DeleteKeyspace) if ls "$d/shards/$arg" >/dev/null 2>&1 && test -n "$(ls "$d/shards/$arg")"; then echo "keyspace $arg still has 1 shards; use Recursive=true" >&2; exit 1; fi
    rm "$d/keyspaces/$arg" ;;
  *) exit 2 ;;
esac
`,
  );
  chmodSync(fake, 0o755);
  const container = job.spec?.template.spec?.containers[0];
  const command = container?.command ?? [];
  expect(command.slice(0, 2)).toEqual(['/bin/sh', '-ec']);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const variable of container?.env ?? []) env[variable.name] = variable.value ?? '';
  const result = spawnSync('/bin/sh', ['-ec', (command[2] as string).replaceAll('/vt/bin/vtctldclient', fake)], { env, cwd: dir });
  const calls = existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : [];
  return { status: result.status, calls, out: `${result.stdout}${result.stderr}`, exists: (path) => existsSync(join(dir, path)) };
}

describe('the DeleteTablets Job', () => {
  test("deletes the record of this shard's tablet, by the alias in its environment", () => {
    const result = run(tabletJob('zone1-0000012300'), { 'tablets/zone1-0000012300': tabletRecord('commerce', '-80') });
    expect(result.status).toBe(0);
    expect(result.exists('tablets/zone1-0000012300')).toBe(false);
    expect(result.calls).toEqual(['--server=v:15999 GetTablet zone1-0000012300', '--server=v:15999 DeleteTablets zone1-0000012300']);
  });

  test('an absent record is success, and nothing is deleted (run again after a crash)', () => {
    const result = run(tabletJob('zone1-0000012300'), {});
    expect(result.status).toBe(0);
    expect(result.out).toContain('nothing to delete');
    expect(result.calls.some((call) => call.includes('DeleteTablets'))).toBe(false);
  });

  test('a record of another keyspace or shard under the alias is not ours: left alone', () => {
    for (const record of [tabletRecord('commerce2', '-80'), tabletRecord('commerc', '-80'), tabletRecord('commerce', '-8'), tabletRecord('commerce', '80-')]) {
      const result = run(tabletJob('zone1-0000012300'), { 'tablets/zone1-0000012300': record });
      expect(result.status).toBe(0);
      expect(result.exists('tablets/zone1-0000012300')).toBe(true);
      expect(result.out).toContain('not ours, left alone');
    }
  });

  test('a primary is deleted only with allowPrimary (a retiring shard); otherwise the Job fails and says why', () => {
    const refused = run(tabletJob('zone1-0000012300'), { 'tablets/zone1-0000012300': tabletRecord('commerce', '-80', true) });
    expect(refused.status).not.toBe(0);
    expect(refused.out).toContain('as it is a primary');
    expect(refused.exists('tablets/zone1-0000012300')).toBe(true);
    const allowed = run(tabletJob('zone1-0000012300', true), { 'tablets/zone1-0000012300': tabletRecord('commerce', '-80', true) });
    expect(allowed.status).toBe(0);
    expect(allowed.exists('tablets/zone1-0000012300')).toBe(false);
  });

  test('spec values reach the shell as data only: a keyspace named like a command runs nothing', () => {
    const hostile = { ...SCOPE, keyspace: '$(touch pwned)"; touch pwned2; "' };
    const result = run(tabletJob('zone1-0000012300', false, hostile), { 'tablets/zone1-0000012300': tabletRecord('commerce', '-80') });
    expect(result.status).toBe(0);
    expect(result.exists('pwned')).toBe(false);
    expect(result.exists('pwned2')).toBe(false);
    expect(result.exists('tablets/zone1-0000012300')).toBe(true);
    const script = tabletJob('zone1-0000012300', false, hostile).spec?.template.spec?.containers[0]?.command?.[2] ?? '';
    expect(script).not.toContain('pwned');
  });
});

describe('the DeleteShards Job', () => {
  test("takes the shard out of this cell's serving graph, then deletes its record once no tablet record is left", () => {
    const result = run(shardJob('-80'), { 'shards/commerce/-80': 'serving:zone1' });
    expect(result.status).toBe(0);
    expect(result.exists('shards/commerce/-80')).toBe(false);
    expect(result.calls).toEqual(['--server=v:15999 GetShard commerce/-80', '--server=v:15999 RemoveShardCell commerce/-80 zone1', '--server=v:15999 DeleteShards --even-if-serving commerce/-80']);
  });

  test('a shard that no longer serves in the cell (after a reshard) is deleted all the same', () => {
    const result = run(shardJob('-80'), { 'shards/commerce/-80': 'not serving' });
    expect(result.status).toBe(0);
    expect(result.exists('shards/commerce/-80')).toBe(false);
  });

  test('an absent shard is success (run again after a crash, or by a second cell)', () => {
    const result = run(shardJob('-80'), {});
    expect(result.status).toBe(0);
    expect(result.calls.some((call) => call.includes('DeleteShards'))).toBe(false);
  });

  test("tablets left in another cell: the shard stays for that cell's keyspace to delete, and the Job completes", () => {
    const result = run(shardJob('-80'), { 'shards/commerce/-80': 'serving:zone1 serving:zone2', 'tablets/zone2-0000000100': tabletRecord('commerce', '-80') });
    expect(result.status).toBe(0);
    expect(result.exists('shards/commerce/-80')).toBe(true);
    expect(result.out).toContain('another cell still has tablets');
  });

  test('spec values reach the shell as data only', () => {
    const result = run(shardJob('-80', 'x$(touch pwned)'), {});
    expect(result.status).toBe(0);
    expect(result.exists('pwned')).toBe(false);
  });
});

describe('the DeleteKeyspace Job', () => {
  const job = (keyspace: string) => keyspaceRecordJob({ scope: { cluster: 'c', cell: 'zone1', template: {} }, keyspaceObject: 'c-zone1-commerce', keyspace, image: 'vitess/lite:v24.0.3', vtctldAddress: 'v:15999' });

  test('deletes the keyspace once it has no shard; an absent keyspace is success', () => {
    const result = run(job('commerce'), { 'keyspaces/commerce': '{}' });
    expect(result.status).toBe(0);
    expect(result.exists('keyspaces/commerce')).toBe(false);
    expect(run(job('commerce'), {}).status).toBe(0);
  });

  test("a keyspace with shards left (another cell runs it) is kept; this cell leaves it: its shards out of the cell's serving graph, its SrvKeyspace there deleted", () => {
    const result = run(job('commerce'), {
      'keyspaces/commerce': '{}',
      'shards/commerce/-80': 'serving:zone1 serving:zone2',
      'srvkeyspaces/zone1/commerce': '{}',
      'srvkeyspaces/zone2/commerce': '{}',
    });
    expect(result.status).toBe(0);
    expect(result.exists('keyspaces/commerce')).toBe(true);
    expect(result.exists('srvkeyspaces/zone1/commerce')).toBe(false);
    expect(result.exists('srvkeyspaces/zone2/commerce')).toBe(true);
    expect(result.calls).toEqual(['--server=v:15999 GetKeyspace commerce', '--server=v:15999 DeleteKeyspace commerce', '--server=v:15999 RemoveKeyspaceCell commerce zone1']);
  });

  test('run again once this cell left it (its shards no longer serve there): success', () => {
    const result = run(job('commerce'), { 'keyspaces/commerce': '{}', 'shards/commerce/-80': 'serving:zone2', 'srvkeyspaces/zone2/commerce': '{}' });
    expect(result.status).toBe(0);
    expect(result.exists('srvkeyspaces/zone2/commerce')).toBe(true);
  });

  test("a shard that does not serve in the cell (a reshard's target): the SrvKeyspace is left, the Job completes and says so", () => {
    const result = run(job('commerce'), { 'keyspaces/commerce': '{}', 'shards/commerce/-80': 'serving:zone2', 'shards/commerce/80-': 'serving:zone2', 'srvkeyspaces/zone1/commerce': '{}' });
    expect(result.status).toBe(0);
    expect(result.out).toContain('its SrvKeyspace there is left');
  });

  test('spec values reach the shell as data only', () => {
    const result = run(job('x$(touch pwned)'), { 'keyspaces/x$(touch pwned)': '{}' });
    expect(result.exists('pwned')).toBe(false);
  });
});

describe("the DeleteShards Job of a keyspace leaving the cell whole", () => {
  test('leaves the serving graph to the keyspace\'s Job (RemoveKeyspaceCell refuses a shard already taken out)', () => {
    const result = run(shardJob('-80', 'commerce', false), { 'shards/commerce/-80': 'serving:zone1' });
    expect(result.status).toBe(0);
    expect(result.calls).toEqual(['--server=v:15999 GetShard commerce/-80', '--server=v:15999 DeleteShards --even-if-serving commerce/-80']);
  });
});

describe('the DeleteCellInfo Job', () => {
  const job = (cell: string, root = '/vitess/zone2') => cellRecordJob({ scope: { cluster: 'c', cell, template: {} }, cellObject: `c-${cell}`, root, image: 'vitess/lite:v24.0.3', vtctldAddress: 'v:15999' });
  /** A CellInfo as vtctldclient GetCellInfo prints it (protojson). */
  const cellInfo = (root: string) => `{\n  "server_address":  "c-global-etcd-client:2379",\n  "root":  "${root}"\n}\n`;

  test("deletes the cell's SrvVSchema, then its CellInfo", () => {
    const result = run(job('zone2'), { 'cells/zone2': cellInfo('/vitess/zone2'), 'srvvschema/zone2': '{}' });
    expect(result.status).toBe(0);
    expect(result.exists('cells/zone2')).toBe(false);
    expect(result.exists('srvvschema/zone2')).toBe(false);
    expect(result.calls).toEqual(['--server=v:15999 GetCellInfo zone2', '--server=v:15999 DeleteSrvVSchema zone2', '--server=v:15999 DeleteCellInfo zone2']);
  });

  test('an absent CellInfo is success; an absent SrvVSchema too (run again after a crash)', () => {
    expect(run(job('zone2'), {}).status).toBe(0);
    const result = run(job('zone2'), { 'cells/zone2': cellInfo('/vitess/zone2') });
    expect(result.status).toBe(0);
    expect(result.exists('cells/zone2')).toBe(false);
  });

  test('a CellInfo with another root is not ours: left alone', () => {
    for (const root of ['/vitess/zone22', '/other/zone2', '/vitess/zone']) {
      const result = run(job('zone2'), { 'cells/zone2': cellInfo(root), 'srvvschema/zone2': '{}' });
      expect(result.status).toBe(0);
      expect(result.exists('cells/zone2')).toBe(true);
      expect(result.exists('srvvschema/zone2')).toBe(true);
      expect(result.out).toContain('not ours, left alone');
    }
  });

  test("a keyspace left in the cell with a tablet there (not the operator's): the Job fails, says so, and the CellInfo stays", () => {
    const result = run(job('zone2'), { 'cells/zone2': cellInfo('/vitess/zone2'), 'srvkeyspaces/zone2/other': '{}', 'tablets/zone2-0000000100': tabletRecord('other', '0') });
    expect(result.status).not.toBe(0);
    expect(result.out).toContain('has serving keyspaces');
    expect(result.out).toContain('still has tablets');
    expect(result.exists('cells/zone2')).toBe(true);
    expect(result.calls.some((call) => call.includes('--force'))).toBe(false);
  });

  test('what is left of a keyspace in a cell without tablets (a ShardReplication nothing else deletes): deleted with --force', () => {
    const result = run(job('zone2'), { 'cells/zone2': cellInfo('/vitess/zone2'), 'srvkeyspaces/zone2/scratch': '{}', 'tablets/zone1-0000000100': tabletRecord('scratch', '0') });
    expect(result.status).toBe(0);
    expect(result.exists('cells/zone2')).toBe(false);
    expect(result.calls.slice(-3)).toEqual(['--server=v:15999 DeleteCellInfo zone2', '--server=v:15999 GetTablets --strict --cell zone2', '--server=v:15999 DeleteCellInfo --force zone2']);
  });

  test('spec values reach the shell as data only', () => {
    const result = run(job('zone2', '$(touch pwned)'), { 'cells/zone2': cellInfo('$(touch pwned)') });
    expect(result.status).toBe(0);
    expect(result.exists('pwned')).toBe(false);
  });
});
