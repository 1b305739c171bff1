/**
 * A MySQL line change (8.4 -> 9.7) restarts each tablet only after a Job set innodb_fast_shutdown=0 on
 * it, and (for a replica) only then the reparent; within a line (8.4.6 -> 8.4.7) nothing of the kind.
 * Golden requests edited by hand (each test says what it changes).
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import { shardLayer } from '../../lib/sync/shard.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

type Request = { parent: KubeObject & { spec: Record<string, any> }; children: Record<string, Record<string, KubeObject & Record<string, any>>> };
const request = (name: string): Request => loadJson(join(FIXTURES, 'sync-shard', name, 'request.json')) as Request;
const sync = (body: Request): SyncResponse => shardLayer.sync(parseSyncRequest(body, 'VitessShard'), { now: FIXED_NOW });
const child = (response: SyncResponse, kind: string, name: string) => response.children.find((c) => c.kind === kind && c.metadata.name === name) as (KubeObject & Record<string, any>) | undefined;
const rollout = (response: SyncResponse): string => (response.status.rollout as { message: string }).message;

const RDONLY = 'vitess-vttablet-zone1-1327744200';
const REPLICA = 'vitess-vttablet-zone1-0214747900';

/** The all-ready shard with `pools` asked to run `image` (observed Pods run mysql:8.4.6). */
function withMysql(image: string, pools: readonly string[] = ['replica', 'rdonly']): Request {
  const body = request('seed-x-80-all-ready');
  for (const pool of pools) body.parent.spec.tablets[pool].mysqlImage = image;
  return body;
}

/** `job` (from an earlier answer) observed as completed. */
function completed(body: Request, job: KubeObject): Request {
  const jobs = (body.children['Job.batch/v1'] ??= {});
  jobs[job.metadata.name] = { ...job, status: { succeeded: 1, completionTime: '2025-12-31T23:59:00Z', conditions: [{ type: 'Complete', status: 'True' }] } } as KubeObject & Record<string, any>;
  return body;
}

describe('a MySQL line change (mysql:8.4.6 -> mysql:9.7.4)', () => {
  test('the first tablet (rdonly) is not restarted before a Job sets innodb_fast_shutdown=0 on it, with its alias and the statement in env', () => {
    const response = sync(withMysql('mysql:9.7.4'));
    expect(child(response, 'Pod', RDONLY)).toBeDefined();
    const job = child(response, 'Job', `${RDONLY}-slow-shutdown`);
    const container = job?.spec.template.spec.containers[0];
    expect(container.command.slice(0, 2)).toEqual(['/bin/sh', '-ec']);
    expect(container.command[2]).toEndWith('\nvtctldclient ExecuteFetchAsDBA "$TABLET_ALIAS" "$SQL"');
    expect(container.env).toContainEqual({ name: 'TABLET_ALIAS', value: 'zone1-1327744200' });
    expect(container.env).toContainEqual({ name: 'SQL', value: 'SET GLOBAL innodb_fast_shutdown=0' });
    expect(rollout(response)).toContain('slow shutdown of zone1-1327744200');
  });

  test('once that Job completed, the rdonly tablet restarts (its Pod is left out)', () => {
    const first = sync(withMysql('mysql:9.7.4'));
    const response = sync(completed(withMysql('mysql:9.7.4'), child(first, 'Job', `${RDONLY}-slow-shutdown`)!));
    expect(child(response, 'Pod', RDONLY)).toBeUndefined();
  });

  test('a replica tablet: the slow shutdown first, then its reparent, the slow-shutdown Job kept meanwhile', () => {
    const first = sync(withMysql('mysql:9.7.4', ['replica']));
    expect(child(first, 'Job', `${REPLICA}-slow-shutdown`)).toBeDefined();
    expect(child(first, 'Job', `${REPLICA}-reparent`)).toBeUndefined();
    const body = completed(withMysql('mysql:9.7.4', ['replica']), child(first, 'Job', `${REPLICA}-slow-shutdown`)!);
    const second = sync(body);
    expect(child(second, 'Job', `${REPLICA}-slow-shutdown`)).toBeDefined();
    expect(child(second, 'Job', `${REPLICA}-reparent`)?.spec.template.spec.containers[0].env).toContainEqual({ name: 'AVOID_PRIMARY', value: 'zone1-0214747900' });
    expect(child(second, 'Pod', REPLICA)).toBeDefined();
  });

  test('a tablet that is not Ready is restarted without one (its mysqld may not run to take the statement)', () => {
    const body = withMysql('mysql:9.7.4');
    body.children['Pod.v1']![RDONLY]!.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] };
    const response = sync(body);
    expect(child(response, 'Job', `${RDONLY}-slow-shutdown`)).toBeUndefined();
    expect(child(response, 'Pod', RDONLY)).toBeUndefined();
  });
});

test('within a line (mysql:8.4.6 -> mysql:8.4.7) the rdonly tablet restarts at once, without a slow-shutdown Job', () => {
  const response = sync(withMysql('mysql:8.4.7'));
  expect(response.children.some((c) => c.metadata.name.endsWith('-slow-shutdown'))).toBe(false);
  expect(child(response, 'Pod', RDONLY)).toBeUndefined();
});

test('an image whose tag names no version counts as a line change (mysql:8.4.6 -> mysql:lts)', () => {
  expect(child(sync(withMysql('mysql:lts')), 'Job', `${RDONLY}-slow-shutdown`)).toBeDefined();
});
