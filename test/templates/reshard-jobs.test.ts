/**
 * The reshard step Jobs' scripts, run under `sh -e` against a stand-in for vtctldclient whose workflow
 * state lives in files (exists, stream status, lag, traffic state), printed as protojson with uneven
 * spacing as vtctldclient's builds do. Each step is done when Vitess says so, and a second run of a
 * done step changes nothing.
 */
import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reshardJob, type ReshardStep } from '../../lib/templates/reshard-jobs.ts';

interface Workflow {
  exists?: boolean;
  /** Stream statuses, one per line of the status output. */
  streams?: string[];
  lag?: number;
  traffic?: string;
}

function run(step: ReshardStep, workflow: Workflow, timeoutMs = 5000, inspect?: (dir: string) => void): { status: number | null; calls: string[]; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'reshard-job-'));
  if (workflow.exists === true) writeFileSync(join(dir, 'exists'), '');
  writeFileSync(join(dir, 'streams'), (workflow.streams ?? []).map((s) => `${s}\n`).join(''));
  writeFileSync(join(dir, 'lag'), String(workflow.lag ?? 0));
  writeFileSync(join(dir, 'traffic'), workflow.traffic ?? 'Reads Not Switched. Writes Not Switched');
  const fake = join(dir, 'vtctldclient');
  writeFileSync(
    fake,
    `#!/bin/sh
d=${dir}
printf '%s\\n' "$*" >> $d/calls
case $1 in --server=*) shift;; *) exit 3;; esac
test "$1" = Reshard || exit 2
test "$2" = --workflow && test "$3" = reshard && test "$4" = --target-keyspace && test "$5" = commerce || exit 4
case $6 in
  show) test -f $d/exists || { echo '{"workflows": []}'; exit 0; }
    printf '{\\n  "workflows":  [\\n    {\\n      "name":  "reshard",\\n      "max_v_replication_lag":  "%s"\\n    }\\n  ]\\n}\\n' "$(cat $d/lag)" ;;
  status) test -f $d/exists || { echo "workflow reshard not found" >&2; exit 1; }
    printf '{\\n  "shard_streams": {\\n'; while read -r s; do printf '    "status":  "%s",\\n' "$s"; done < $d/streams; printf '  },\\n  "traffic_state":  "%s"\\n}\\n' "$(cat $d/traffic)" ;;
  create) touch $d/exists; echo "Running" > $d/streams ;;
  switchtraffic) case "$7" in --tablet-types=rdonly,replica) echo "All Reads Switched. Writes Not Switched" > $d/traffic;; --tablet-types=primary) echo "All Reads Switched. Writes Switched" > $d/traffic;; *) exit 5;; esac ;;
  # As Vitess: writes reverse through the reverse workflow that only a write switch made; reads only if switched.
  reversetraffic) t=$(cat $d/traffic); case "$7" in
      --tablet-types=primary) case "$t" in *". Writes Switched") echo "\${t%. Writes Switched}. Writes Not Switched" > $d/traffic;; *) echo "no reverse workflow" >&2; exit 7;; esac;;
      --tablet-types=rdonly,replica) case "$t" in "Reads Not Switched."*) echo "reads have not been switched" >&2; exit 8;; *) echo "Reads Not Switched. \${t#*. }" > $d/traffic;; esac;;
      *) exit 5;; esac ;;
  complete) rm -f $d/exists ;;
  cancel) case "$(cat $d/traffic)" in *". Writes Switched") echo "cannot delete a workflow whose writes are switched" >&2; exit 9;; esac; rm -f $d/exists ;;
  *) exit 6 ;;
esac
`,
  );
  chmodSync(fake, 0o755);
  const job = reshardJob({
    scope: { cluster: 'c', cell: 'zone1', keyspace: 'commerce', template: {} },
    keyspaceObject: 'c-zone1-commerce',
    step,
    workflow: 'reshard',
    sources: ['0'],
    targets: ['-80', '80-'],
    maxLagSeconds: 10,
    image: 'vitess/lite:v24.0.3',
    vtctldAddress: 'v:15999',
  });
  const container = job.spec?.template.spec?.containers[0];
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const variable of container?.env ?? []) env[variable.name] = variable.value ?? '';
    const result = spawnSync('/bin/sh', ['-ec', (container?.command?.[2] as string).replaceAll('/vt/bin/vtctldclient', fake)], { env, timeout: timeoutMs });
  inspect?.(dir);
  const calls = existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : [];
  return { status: result.status, calls: calls.map((call) => call.replace('--server=v:15999 Reshard --workflow reshard --target-keyspace commerce ', '')), out: `${result.stdout}${result.stderr}` };
}

describe('reshard step Jobs', () => {
  test('create: creates the workflow with the shards from the environment; a second run sees it and does nothing', () => {
    const first = run('create', {});
    expect(first.status).toBe(0);
    expect(first.calls).toEqual(['show', 'create --source-shards 0 --target-shards -80,80-']);
    const again = run('create', { exists: true });
    expect(again.status).toBe(0);
    expect(again.calls).toEqual(['show']);
  });

  test('wait-for-copy: completes once every stream runs and the lag is under the bound', () => {
    const done = run('wait-for-copy', { exists: true, streams: ['Running', 'Running'], lag: 3 });
    expect(done.status).toBe(0);
    expect(done.out).toContain('copy done, lag 3s');
  });

  test('wait-for-copy: keeps waiting while a stream copies or the lag is above the bound (killed by the test)', () => {
    expect(run('wait-for-copy', { exists: true, streams: ['Copying', 'Running'] }, 1500).status).toBeNull();
    expect(run('wait-for-copy', { exists: true, streams: ['Running'], lag: 11 }, 1500).status).toBeNull();
  });

  test('wait-for-copy: a stream in error fails the step, saying why', () => {
    const failed = run('wait-for-copy', { exists: true, streams: ['Running', 'Error'] });
    expect(failed.status).toBe(1);
    expect(failed.out).toContain('a stream failed');
  });

  test('switch-reads then switch-writes, each once: a switched state is not switched again', () => {
    const reads = run('switch-reads', { exists: true });
    expect(reads.calls).toEqual(['status --format=json', 'switchtraffic --tablet-types=rdonly,replica --max-replication-lag-allowed=10s']);
    expect(run('switch-reads', { exists: true, traffic: 'All Reads Switched. Writes Not Switched' }).calls).toEqual(['status --format=json']);
    const writes = run('switch-writes', { exists: true, traffic: 'All Reads Switched. Writes Not Switched' });
    expect(writes.calls).toEqual(['status --format=json', 'switchtraffic --tablet-types=primary --max-replication-lag-allowed=10s']);
    expect(run('switch-writes', { exists: true, traffic: 'All Reads Switched. Writes Switched' }).calls).toEqual(['status --format=json']);
  });

  test('complete and cancel: done when the workflow is gone (a run before a crash finished it)', () => {
    expect(run('complete', { exists: true }).calls).toEqual(['show', 'complete']);
    expect(run('complete', {}).calls).toEqual(['show']);
    expect(run('cancel', { exists: true }).calls).toEqual(['show', 'status --format=json', 'cancel']);
    expect(run('cancel', {}).status).toBe(0);
  });

  test('cancel: refused while any traffic serves from the targets (the reverse steps run first)', () => {
    for (const traffic of ['All Reads Switched. Writes Not Switched', 'All Reads Switched. Writes Switched', 'Reads Not Switched. Writes Switched']) {
      const refused = run('cancel', { exists: true, traffic });
      expect(refused.status).toBe(1);
      expect(refused.calls).toEqual(['show', 'status --format=json']);
      expect(refused.out).toContain('not wholly on the sources');
    }
  });

  test('reverse-writes then reverse-reads: writes back, then reads back, each once', () => {
    const writes = run('reverse-writes', { exists: true, traffic: 'All Reads Switched. Writes Switched' });
    expect(writes.status).toBe(0);
    expect(writes.calls).toEqual(['status --format=json', 'reversetraffic --tablet-types=primary --max-replication-lag-allowed=10s']);
    const reads = run('reverse-reads', { exists: true, traffic: 'All Reads Switched. Writes Not Switched' });
    expect(reads.status).toBe(0);
    expect(reads.calls).toEqual(['status --format=json', 'reversetraffic --tablet-types=rdonly,replica --max-replication-lag-allowed=10s']);
  });

  test('reverse steps: done when their traffic already serves from the sources (never asked of Vitess, which would refuse)', () => {
    for (const traffic of ['All Reads Switched. Writes Not Switched', 'Reads Not Switched. Writes Not Switched']) {
      const writes = run('reverse-writes', { exists: true, traffic });
      expect(writes.status).toBe(0);
      expect(writes.calls).toEqual(['status --format=json']);
    }
    for (const traffic of ['Reads Not Switched. Writes Not Switched', 'Reads Not Switched. Writes Switched']) {
      const reads = run('reverse-reads', { exists: true, traffic });
      expect(reads.status).toBe(0);
      expect(reads.calls).toEqual(['status --format=json']);
    }
  });

  test('reverse-reads with writes still switched reverses the reads only (Vitess keeps writes on the targets)', () => {
    const reads = run('reverse-reads', { exists: true, traffic: 'All Reads Switched. Writes Switched' });
    expect(reads.status).toBe(0);
    expect(reads.calls.at(-1)).toBe('reversetraffic --tablet-types=rdonly,replica --max-replication-lag-allowed=10s');
  });

  test('reverse-writes: an unknown traffic state fails the step rather than guess', () => {
    const odd = run('reverse-writes', { exists: true, traffic: 'Something Else' });
    expect(odd.status).toBe(1);
    expect(odd.calls).toEqual(['status --format=json']);
  });

  test('a round trip: switch, reverse, switch again: the stand-in ends with all traffic on the targets', () => {
    let traffic = 'Reads Not Switched. Writes Not Switched';
    const after = (step: ReshardStep): void => {
      const result = run(step, { exists: true, traffic }, 5000, (d) => (traffic = readFileSync(join(d, 'traffic'), 'utf8').trim()));
      expect(result.status).toBe(0);
    };
    for (const step of ['switch-reads', 'switch-writes', 'reverse-writes', 'reverse-reads'] as const) after(step);
    expect(traffic).toBe('Reads Not Switched. Writes Not Switched');
    for (const step of ['switch-reads', 'switch-writes'] as const) after(step);
    expect(traffic).toBe('All Reads Switched. Writes Switched');
  });
});
