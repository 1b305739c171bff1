/**
 * The primary's gate in the Vitess-aware rollout (lib/sync/shard-rollout.ts) and the fallback's
 * deferral (lib/sync/shard.ts), on a golden request's shard edited by hand: a Vitess shard whose
 * other cells hold replicas (`peerCells`) never restarts its primary unmoved, whatever the state lists.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import * as v from 'valibot';
import { ShardSpec, type Shard } from '../../lib/api/shard.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { desiredTablets, shardLayer, shardScope } from '../../lib/sync/shard.ts';
import { knownShard, primaryAwareGate } from '../../lib/sync/shard-rollout.ts';
import type { TabletIdentity } from '../../lib/templates/tablet.ts';
import type { VitessShardState } from '../../lib/vitess/state.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

type Request = { parent: KubeObject & { spec: Record<string, any> }; children: Record<string, Record<string, KubeObject>> };
const request = (name: string): Request => loadJson(join(FIXTURES, 'sync-shard', name, 'request.json')) as Request;

const PRIMARY = 'zone1-0214747900';
const OTHER_CELL_REPLICA = 'zone2-0000000100';

/** The golden shard (2 replicas, 1 rdonly in zone1) with one replica, its other cell zone2, in a phase. */
function loneReplicaShard(phase: 'later' | 'now'): Shard {
  const spec = request('seed-x-80-vitess-reparent-onto-updated-replica').parent.spec;
  return v.parse(ShardSpec, { ...spec, peerCells: ['zone2'], tablets: { ...spec.tablets, replica: { ...spec.tablets.replica, replicas: 1 } }, rollout: { ...spec.rollout, primaryAcrossCells: phase } });
}

function state(tablets: VitessShardState['tablets']): VitessShardState {
  return { observedAt: FIXED_NOW.toISOString(), gates: 1, primary: PRIMARY, tablets: [{ alias: PRIMARY, cell: 'zone1', type: 'primary', serving: true, hostname: '10.0.0.1' }, ...tablets] };
}

function primaryGate(spec: Shard, observedState: VitessShardState, observed: ReadonlyMap<string, KubeObject> = new Map(), deferrable = true) {
  const tablets = desiredTablets(spec);
  const primary = tablets.find((t) => t.type === 'replica') as TabletIdentity;
  const known = knownShard(spec, tablets, new Map(), observed, observedState);
  return { known, gate: primaryAwareGate(shardScope(spec), spec, primary, 'rev', observed, known, deferrable) };
}

describe('a primary whose Vitess shard has replicas in other cells (peerCells)', () => {
  test('can move although the state lists no other replica (vtgate dropped the recreated one)', () => {
    expect(primaryGate(loneReplicaShard('now'), state([])).known.canReparent).toBe(true);
  });

  test('waits, unmoved and not restarted, while vtgate serves from no other replica', () => {
    const { gate } = primaryGate(loneReplicaShard('now'), state([{ alias: OTHER_CELL_REPLICA, cell: 'zone2', type: 'replica', serving: false, hostname: '10.0.0.2' }]));
    expect(gate).toEqual({ state: 'pending', prerequisites: [], message: `the primary ${PRIMARY} of main/-80 waits for vtgate to serve from another replica to move it onto` });
  });

  test('keeps a reparent Job already under way rather than dropping it', () => {
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'vitess-vttablet-zone1-0214747900-reparent', annotations: { 'vitess.io/reparent-for': 'rev' } } } as KubeObject;
    const { gate } = primaryGate(loneReplicaShard('now'), state([]), new Map([[`Job/${job.metadata.name}`, job]]));
    expect(gate?.prerequisites.map((p) => p.metadata.name)).toEqual([job.metadata.name]);
  });

  test('in the next phase (now), moves by one PlannedReparentShard --new-primary onto the other cell\'s served replica', () => {
    const { gate } = primaryGate(loneReplicaShard('now'), state([{ alias: OTHER_CELL_REPLICA, cell: 'zone2', type: 'replica', serving: true, hostname: '10.0.0.2' }]));
    const [job] = gate?.prerequisites ?? [];
    const env = (job as unknown as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }).spec.template.spec.containers[0]?.env;
    expect(env).toContainEqual({ name: 'NEW_PRIMARY', value: OTHER_CELL_REPLICA });
  });

  test('in the first phase (later), waits for the other cells with no Job', () => {
    const { gate } = primaryGate(loneReplicaShard('later'), state([{ alias: OTHER_CELL_REPLICA, cell: 'zone2', type: 'replica', serving: true, hostname: '10.0.0.2' }]));
    expect(gate).toMatchObject({ state: 'pending', prerequisites: [] });
    expect(gate?.message).toContain("waits for another cell's tablets to roll");
  });

  test('without a fresh state, in the first phase, the cell\'s lone replica (maybe the primary) waits: no reparent Job, no restart', () => {
    const body = request('seed-x-80-vitess-state-stale-falls-back');
    body.parent.spec.peerCells = ['zone2'];
    body.parent.spec.tablets.replica.replicas = 1;
    const response = shardLayer.sync(parseSyncRequest(body, 'VitessShard'), { now: FIXED_NOW });
    expect(response.status.vitessState).toBe('stale');
    expect(response.children.filter((c) => c.kind === 'Job')).toEqual([]);
    expect(response.children.some((c) => c.kind === 'Pod' && c.metadata.name === 'vitess-vttablet-zone1-0214747900')).toBe(true);
    expect((response.status.rollout as { message: string }).message).toContain("zone1-0214747900 may be the primary of main/-80 and this cell has no other replica: it waits for the other cells' tablets to roll");
  });
});

describe('a shard vtgate serves from no tablet (a reshard target before the switch, or after a reverse)', () => {
  test('its recreated tablet counts as back once Ready: nothing waits for vtgate to serve it', () => {
    const waiting = request('seed-x-80-vitess-waits-for-vtgate-to-serve-the-new-ip');
    const before = shardLayer.sync(parseSyncRequest(structuredClone(waiting), 'VitessShard'), { now: FIXED_NOW });
    expect((before.status.rollout as { message: string }).message).toContain('vtgate does not serve from');
    const key = 'vitess.io/vitess-state';
    const held = JSON.parse(waiting.parent.metadata.annotations?.[key] as string) as VitessShardState;
    waiting.parent.metadata.annotations = { ...waiting.parent.metadata.annotations, [key]: JSON.stringify({ ...held, tablets: held.tablets.map((t) => ({ ...t, serving: false })) }) };
    const after = shardLayer.sync(parseSyncRequest(waiting, 'VitessShard'), { now: FIXED_NOW });
    expect((after.status.rollout as { message: string; inFlight: string[] }).message).not.toContain('vtgate does not serve from');
    expect((after.status.rollout as { inFlight: string[] }).inFlight).not.toContain('Pod/vitess-vttablet-zone1-1327744200');
  });
});
