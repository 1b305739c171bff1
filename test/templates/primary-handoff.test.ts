import { describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { HANDOFF_SECONDS, TABLET_GRACE_SECONDS } from '../../lib/templates/primary-handoff.ts';
import { tabletPod } from '../../lib/templates/tablet.ts';
import { runContainer } from './run-container.ts';
import { TABLET_SCOPE } from './seed-tree.ts';

const POOL = { replicas: 2, image: 'vitess/lite:v24.0.3', mysqlImage: 'mysql:8.0.40', volumeClaim: {}, vttablet: {}, mysql: {} };
const pod = tabletPod(TABLET_SCOPE, { name: 'p-vttablet-zone1-0000000101', uid: 101, type: 'replica' }, POOL as never);
const containerOf = (name: string): V1Container => pod.spec?.containers.find((c) => c.name === name) as V1Container;
const envOf = (c: V1Container): Record<string, string> => Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));

/** vtctldclient's connection flags in the seed tree (the shell function passes them first). */
const CONNECTION = ['--server=p-zone1-vtctld:15999'];

/**
 * Runs vttablet's preStop command as the kubelet would (run-container.ts), vtctldclient a stub that
 * answers GetTablet with `type` and, with `sameCellFails`, refuses a reparent within the cell.
 */
function runHook(c: V1Container, type: string, sameCellFails = false): { calls: string[]; done: boolean } {
  const refuse = sameCellFails ? `*PlannedReparentShard*cross-cell*) ;; *PlannedReparentShard*) echo 'cannot find a tablet to reparent to' >&2; exit 1;;` : '';
  const stub = `case "$*" in *GetTablet*) printf '{\\n  "type": "${type}"\\n}\\n';; ${refuse} esac`;
  const run = runContainer({ name: 'preStop', env: c.env, command: c.lifecycle?.preStop?.exec?.command }, { vtctldclient: stub });
  expect(run.status).toBe(0);
  for (const call of run.calls) expect(call.args.slice(0, CONNECTION.length)).toEqual(CONNECTION);
  return { calls: run.calls.map((call) => call.args.slice(CONNECTION.length).join(' ')), done: existsSync(join(run.dir, 'mnt', 'primary-handoff-done')) };
}

describe('primary hand-off on deletion (preStop)', () => {
  test('vttablet\'s preStop runs a shell script whose values are environment variables, never its text', () => {
    const vttablet = containerOf('vttablet');
    const [shell, flag, script] = vttablet.lifecycle?.preStop?.exec?.command ?? [];
    expect([shell, flag]).toEqual(['/bin/sh', '-c']);
    expect(envOf(vttablet)).toMatchObject({ TABLET_ALIAS: 'zone1-0000000101', KEYSPACE_SHARD: 'commerce/-80', VTCTLDCLIENT_SERVER: 'p-zone1-vtctld:15999' });
    for (const value of ['zone1-0000000101', 'commerce', '-80', 'p-zone1-vtctld']) expect(script).not.toContain(value);
  });

  test('a primary runs PlannedReparentShard away from itself (in its cell, else across cells); a replica only asks', () => {
    const vttablet = containerOf('vttablet');
    const primary = runHook(vttablet, 'PRIMARY');
    expect(primary.calls).toEqual(['--action-timeout=10s GetTablet zone1-0000000101', `--action-timeout=${(HANDOFF_SECONDS - 10) / 2}s PlannedReparentShard --avoid-primary=zone1-0000000101 commerce/-80`]);
    expect(primary.done).toBe(true);
    // A cell with no other replica: Vitess refuses to promote across cells unless told, the second try does.
    const alone = runHook(vttablet, 'PRIMARY', true);
    expect(alone.calls.slice(1)).toEqual([
      `--action-timeout=${(HANDOFF_SECONDS - 10) / 2}s PlannedReparentShard --avoid-primary=zone1-0000000101 commerce/-80`,
      `--action-timeout=${(HANDOFF_SECONDS - 10) / 2}s PlannedReparentShard --avoid-primary=zone1-0000000101 --allow-cross-cell-promotion commerce/-80`,
    ]);
    const replica = runHook(vttablet, 'REPLICA');
    expect(replica.calls).toEqual(['--action-timeout=10s GetTablet zone1-0000000101']);
    expect(replica.done).toBe(true);
  });

  test('mysqld\'s preStop waits for vttablet\'s (the file in the Pod\'s emptyDir), bounded', () => {
    const mysqld = containerOf('mysqld');
    const dir = mkdtempSync(join(tmpdir(), 'handoff-'));
    writeFileSync(join(dir, 'done'), '');
    const t0 = Date.now();
    const r = spawnSync('/bin/sh', ['-c', mysqld.lifecycle?.preStop?.exec?.command?.[2] as string], { env: { ...envOf(mysqld), HANDOFF_DONE_FILE: join(dir, 'done') }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(Number(envOf(mysqld).HANDOFF_WAIT_SECONDS)).toBeGreaterThanOrEqual(HANDOFF_SECONDS);
    // Both containers see the same emptyDir: vttablet at /mnt/vt, mysqld at /vt.
    expect(envOf(containerOf('vttablet')).HANDOFF_DONE_FILE).toBe('/mnt/vt/primary-handoff-done');
    expect(envOf(mysqld).HANDOFF_DONE_FILE).toBe('/vt/primary-handoff-done');
    expect(containerOf('vttablet').volumeMounts).toContainEqual({ name: 'vt', mountPath: '/mnt/vt' });
  });

  test('the grace period fits the hand-off and then mysqld\'s shutdown', () => {
    expect(pod.spec?.terminationGracePeriodSeconds).toBe(TABLET_GRACE_SECONDS);
    expect(TABLET_GRACE_SECONDS).toBeGreaterThanOrEqual(HANDOFF_SECONDS + 120);
  });
});
