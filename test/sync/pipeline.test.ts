import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { jsonEqual, type KubeObject } from '../../lib/kube/object.ts';
import { heldChild, LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import { clusterLayer } from '../../lib/sync/cluster.ts';
import { REVISION_ANNOTATION } from '../../lib/rollout/planner.ts';
import { defineLayer, withRevision } from '../../lib/sync/pipeline.ts';
import { defaultSlots } from '../../lib/rollout/slots.ts';
import * as v from 'valibot';
import { shardLayer } from '../../lib/sync/shard.ts';
import { renderTree, seedCluster } from '../templates/seed-tree.ts';
import { childMap, type ObservedChildCase, observedChildren, permuteKeys, regression, runs } from '../arbitraries/index.ts';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const SEED = parse(readFileSync(new URL('../../examples/seed-my-vitess.yaml', import.meta.url), 'utf8')) as {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
};
type Spec = Record<string, any>;
const seedSpec = (): Spec => structuredClone(SEED.spec);

function clusterRequest(spec: unknown, children: readonly KubeObject[] = [], status?: unknown) {
  return {
    controller: {},
    parent: { apiVersion: SEED.apiVersion, kind: SEED.kind, metadata: { name: 'vitess', namespace: 'default', generation: 1 }, spec, ...(status === undefined ? {} : { status }) },
    children: childMap(children, 'v2'),
  };
}

function syncCluster(spec: unknown, children: readonly KubeObject[] = [], status?: unknown): SyncResponse {
  return clusterLayer.sync(parseSyncRequest(clusterRequest(spec, children, status), 'VitessCluster'), { now: NOW });
}

function readyCondition(response: SyncResponse) {
  const conditions = response.status.conditions as { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready === undefined) throw new Error('no Ready condition');
  return ready;
}

/** Invalid specs, each with the path its problem must name. */
const INVALID_SPECS: { name: string; edit: (spec: Spec) => void; path: string }[] = [
  { name: 'schema: negative replicas', edit: (s) => (s.keyspaces[0].tablets.masterEligible.replicas = -1), path: 'spec.keyspaces[0].tablets.masterEligible.replicas' },
  { name: 'schema: cell name not a DNS label', edit: (s) => (s.cells[1].name = 'Zone_1'), path: 'spec.cells[1].name' },
  { name: 'schema: key range bound not hex', edit: (s) => (s.keyspaces[0].shards[0].keyRange.end = 'zz'), path: 'spec.keyspaces[0].shards[0].keyRange.end' },
  { name: 'semantic: keyspace in an unknown cell', edit: (s) => (s.keyspaces[0].cells = ['zone1', 'zone9']), path: "spec.keyspaces[0].cells[1]: unknown cell 'zone9'" },
  { name: 'semantic: overlapping key ranges', edit: (s) => s.keyspaces[0].shards.push({ keyRange: { start: '40', end: 'c0' } }), path: 'spec.keyspaces[0].shards[2].keyRange: ' },
  { name: 'semantic: duplicate cell names', edit: (s) => s.cells.push({ name: 'zone1' }), path: "spec.cells[2].name: duplicate cell name 'zone1'" },
  { name: 'semantic: duplicate keyspace names', edit: (s) => s.keyspaces.push({ ...s.keyspaces[0] }), path: 'spec.keyspaces[1].name: ' },
  { name: 'semantic: template labels miss the selector', edit: (s) => (s.template.metadata.labels = { other: 'x' }), path: 'spec.template.metadata.labels: ' },
];
const invalidSpec = fc.constantFrom(...INVALID_SPECS);

/** What holding must answer for an observed child: its last applied config when recorded. */
function expectedHeld(c: ObservedChildCase): unknown {
  return c.applied ?? heldChild(c.observed);
}

describe('sync pipeline: an invalid spec holds every observed child', () => {
  for (const { name, edit, path } of INVALID_SPECS) {
    test(`${name}: Ready=False InvalidSpec naming '${path}'`, () => {
      const spec = seedSpec();
      edit(spec);
      const ready = readyCondition(syncCluster(spec));
      expect(ready.status).toBe('False');
      expect(ready.reason).toBe('InvalidSpec');
      expect(ready.message).toContain(path);
    });
  }

  for (const [label, params] of [['random', runs({ numRuns: Math.min(300, Number(process.env.FC_RUNS ?? 300)) })], ['regression seed', regression({ numRuns: 100 })]] as const) {
    test(`hold: answer children are exactly the observed children's last-applied configs, none left out (${label})`, () => {
      fc.assert(
        fc.property(invalidSpec, observedChildren, ({ edit }, cases) => {
          const spec = seedSpec();
          edit(spec);
          const response = syncCluster(spec, cases.map((c) => c.observed));
          const key = (o: unknown) => {
            const k = o as KubeObject;
            return `${k.kind}/${k.metadata.name}`;
          };
          expect(response.children.map(key).sort()).toEqual(cases.map((c) => key(c.observed)).sort());
          for (const c of cases) {
            const answered = response.children.find((child) => key(child) === key(c.observed));
            expect(answered).toStrictEqual(expectedHeld(c) as KubeObject);
            // Byte for byte: the answer serializes to the very annotation text Metacontroller recorded.
            if (c.applied !== undefined) expect(JSON.stringify(answered)).toBe(c.observed.metadata.annotations![LAST_APPLIED_ANNOTATION]!);
          }
          const ready = readyCondition(response);
          expect([ready.status, ready.reason]).toEqual(['False', 'InvalidSpec']);
        }),
        params,
      );
    });
  }

  test('hold: every problem is listed, with its path, in status.problems and the message', () => {
    const spec = seedSpec();
    spec.cells.push({ name: 'zone1' });
    spec.keyspaces[0].cells = ['zone9'];
    const response = syncCluster(spec);
    const problems = response.status.problems as string[];
    expect(problems).toContain("spec.cells[2].name: duplicate cell name 'zone1'");
    expect(problems).toContain("spec.keyspaces[0].cells[0]: unknown cell 'zone9'");
    for (const problem of problems) expect(readyCondition(response).message).toContain(problem);
  });

  test('hold: a missing spec is invalid too, and holds', () => {
    const observed: KubeObject = { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCell', metadata: { name: 'vitess-zone1', uid: 'u' }, spec: { a: 1 } };
    const response = syncCluster(undefined, [observed]);
    expect(response.children).toEqual([{ apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCell', metadata: { name: 'vitess-zone1' }, spec: { a: 1 } }]);
    expect(readyCondition(response).reason).toBe('InvalidSpec');
  });
});

describe('sync pipeline: a valid spec', () => {
  test('the seed gives the VitessCells vitess-global and vitess-zone1, each with a revision', () => {
    const response = syncCluster(seedSpec());
    expect(response.children.map((c) => `${c.kind}/${c.metadata.name}`)).toEqual(['VitessCell/vitess-global', 'VitessCell/vitess-zone1']);
    for (const child of response.children) expect(child.metadata.annotations?.[REVISION_ANNOTATION]).toMatch(/^[0-9a-f]{10}$/);
    expect(readyCondition(response)).toMatchObject({ status: 'False', reason: 'ChildrenNotReady' });
  });

  test('determinism: the same request gives the same bytes', () => {
    expect(JSON.stringify(syncCluster(seedSpec()))).toBe(JSON.stringify(syncCluster(seedSpec())));
  });

  test('determinism: a key-permuted request gives an equal answer with the same revisions', () => {
    const reference = syncCluster(seedSpec());
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const permuted = syncCluster(permuteKeys(seedSpec(), seed));
        expect(jsonEqual(permuted, reference)).toBe(true);
        expect(permuted.children.map((c) => c.metadata.annotations?.[REVISION_ANNOTATION])).toEqual(reference.children.map((c) => c.metadata.annotations?.[REVISION_ANNOTATION]));
      }),
      runs({ numRuns: 100 }),
    );
  });

  // `stale`: Ready=True, but its hook has not synced its latest spec yet. Readiness is about serving,
  // so it counts as ready (it serves as it last reported); only the rollout waits for it to catch up.
  test('Ready=True only when every desired child is observed and reports Ready (stale ones as last reported)', () => {
    const desired = syncCluster(seedSpec()).children;
    const observedState = fc.array(fc.constantFrom('missing', 'ready', 'notReady', 'stale'), { minLength: desired.length, maxLength: desired.length });
    fc.assert(
      fc.property(observedState, (states) => {
        const observed = desired.flatMap((child, i): KubeObject[] => {
          const state = states[i]!;
          if (state === 'missing') return [];
          const generation = 4;
          const observedGeneration = state === 'stale' ? 3 : 4;
          const status = { observedGeneration, conditions: [{ type: 'Ready', status: state === 'notReady' ? 'False' : 'True' }] };
          return [{ ...child, metadata: { ...child.metadata, generation }, status }];
        });
        const response = syncCluster(seedSpec(), observed);
        const serving = (s: string): boolean => s === 'ready' || s === 'stale';
        const allReady = states.every(serving);
        const ready = readyCondition(response);
        expect(ready.status).toBe(allReady ? 'True' : 'False');
        expect(ready.reason).toBe(allReady ? 'AllChildrenReady' : 'ChildrenNotReady');
        expect(response.status.readyChildren).toBe(states.filter(serving).length);
        expect(response.status.children).toBe(desired.length);
      }),
      runs({ numRuns: 50 }),
    );
  });

  test('lastTransitionTime moves only when Ready changes status', () => {
    const previous = { conditions: [{ type: 'Ready', status: 'False', reason: 'ChildrenNotReady', message: 'm', lastTransitionTime: '2024-01-01T00:00:00.000Z' }] };
    expect(readyCondition(syncCluster(seedSpec(), [], previous)).lastTransitionTime).toBe('2024-01-01T00:00:00.000Z');
    const spec = seedSpec();
    spec.cells.push({ name: 'zone1' });
    expect(readyCondition(syncCluster(spec, [], previous)).lastTransitionTime).toBe('2024-01-01T00:00:00.000Z');
    const wasTrue = { conditions: [{ ...previous.conditions[0], status: 'True' }] };
    expect(readyCondition(syncCluster(spec, [], wasTrue)).lastTransitionTime).toBe(NOW.toISOString().replace('.000Z', 'Z'));
  });

  test('shard layer: Ready waits for every tablet Pod and PVC', () => {
    const cells = syncCluster(seedSpec()).children;
    expect(cells).toHaveLength(2);
    const shardParent = {
      apiVersion: 'vitess.io/v1alpha1',
      kind: 'VitessShard',
      metadata: { name: 'vitess-zone1-main-x-80', namespace: 'default' },
      spec: {
        ...(cells[1]!.spec as Record<string, unknown>),
        cell: 'zone1',
        keyspace: 'main',
        name: '-80',
        keyRange: { start: '', end: '80' },
        tablets: (cells[1]!.spec as { keyspaces: { tablets: unknown }[] }).keyspaces[0]!.tablets,
      },
    };
    const desired = shardLayer.sync(parseSyncRequest({ parent: shardParent }, 'VitessShard'), { now: NOW }).children;
    expect(desired.filter((c) => c.kind === 'Pod')).toHaveLength(3);
    const readyAll = desired.map((c) => ({ ...c, status: c.kind === 'Pod' ? { conditions: [{ type: 'Ready', status: 'True' }] } : { phase: 'Bound' } }));
    const sync = (children: KubeObject[]) => shardLayer.sync(parseSyncRequest({ parent: shardParent, children: childMap(children, 'v1') }, 'VitessShard'), { now: NOW });
    expect(readyCondition(sync(readyAll)).status).toBe('True');
    expect(readyCondition(sync(readyAll.slice(1))).status).toBe('False');
    const oneUnbound = readyAll.map((c, i) => (i === 1 ? { ...c, status: { phase: 'Pending' } } : c));
    expect(readyCondition(sync(oneUnbound)).status).toBe('False');
  });
});

describe('children identities', () => {
  // BUG (reported, root cause in lib/kube/names.ts objectName): keyspace names may contain '_', and
  // objectName maps `my_ks` to `my-ks` without a hash, so two keyspaces get one VitessKeyspace object.
  // Either the names must differ or the spec must be refused as InvalidSpec; never one object for two.
  test('no layer answers two children with the same Kind/name (keyspaces my_ks and my-ks)', () => {
    const root = seedCluster();
    const spec = structuredClone(root.spec) as Spec;
    spec.keyspaces.push({ ...structuredClone(spec.keyspaces[0]), name: 'my_ks' }, { ...structuredClone(spec.keyspaces[0]), name: 'my-ks' });
    const tree = renderTree({ ...root, spec });
    for (const { parent, children } of tree) {
      const keys = children.map((c) => `${c.kind}/${c.metadata.name}`);
      expect({ parent: parent.metadata.name, duplicates: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ parent: parent.metadata.name, duplicates: [] });
    }
  });
});

describe('withRevision', () => {
  const child: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: '1' }, annotations: { note: 'x' } }, data: { k: 'v', j: 'w' } };

  test('revisions do not depend on the key order of the user\'s spec (keys are sorted at the edge)', () => {
    const revisions = (response: SyncResponse): (string | undefined)[] => response.children.map((c) => c.metadata.annotations?.[REVISION_ANNOTATION]);
    const reference = revisions(syncCluster(seedSpec()));
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(revisions(syncCluster(permuteKeys(seedSpec(), seed)))).toEqual(reference);
      }),
      runs(),
    );
  });

  test('withRevision: changes when the desired state changes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), (a, b) => {
        const one = withRevision({ ...child, data: { k: a } }).metadata.annotations?.[REVISION_ANNOTATION];
        const two = withRevision({ ...child, data: { k: b } }).metadata.annotations?.[REVISION_ANNOTATION];
        return (a === b) === (one === two);
      }),
      runs(),
    );
  });

  test('withRevision: idempotent, keeps other annotations, ignores a stale revision', () => {
    const once = withRevision(child);
    expect(withRevision(once)).toStrictEqual(once);
    expect(withRevision({ ...child, metadata: { ...child.metadata, annotations: { ...child.metadata.annotations, [REVISION_ANNOTATION]: 'stale' } } })).toStrictEqual(once);
    expect(once.metadata.annotations?.note).toBe('x');
    expect(jsonEqual({ ...once, metadata: { ...once.metadata, annotations: { note: 'x' } } }, child)).toBe(true);
  });

  test('the seed cells\' revisions change when the user edits the cluster', () => {
    const before = syncCluster(seedSpec()).children.map((c) => c.metadata.annotations?.[REVISION_ANNOTATION]);
    const spec = seedSpec();
    spec.cells[1].vtgate.replicas = 4;
    const after = syncCluster(spec).children.map((c) => c.metadata.annotations?.[REVISION_ANNOTATION]);
    expect(after[0]).toBe(before[0]!);
    expect(after[1]).not.toBe(before[1]!);
  });
});

describe('pipeline: what a layer derives from its spec', () => {
  test('is computed once per sync and handed to children, slots and status, never kept between syncs', () => {
    const seen: { step: string; value: object }[] = [];
    let derivations = 0;
    const layer = defineLayer<{ n: number; template: object }, { n: number }>({
      name: 'sync-shard',
      parentKind: 'VitessShard',
      schema: v.object({ n: v.number(), template: v.optional(v.object({}), {}) }),
      derive: (spec) => {
        derivations += 1;
        return { n: spec.n };
      },
      problems: () => [],
      children: (_spec, _parent, derived) => {
        seen.push({ step: 'children', value: derived });
        return [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${derived.n}` } }];
      },
      maxInFlight: () => 1,
      confirmRemoval: () => [],
      slots: (_spec, desired, observed, _now, derived) => {
        seen.push({ step: 'slots', value: derived });
        return defaultSlots(desired, observed, []);
      },
      status: (_spec, _observed, _desired, derived) => {
        seen.push({ step: 'status', value: derived });
        return {};
      },
    });
    const request = (n: number) => parseSyncRequest({ parent: { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessShard', metadata: { name: 's' }, spec: { n } }, children: {} }, 'VitessShard');
    const first = layer.sync(request(1), { now: NOW });
    layer.sync(request(2), { now: NOW });
    expect(derivations).toBe(2);
    expect(seen.map((s) => s.step)).toEqual(['children', 'slots', 'status', 'children', 'slots', 'status']);
    expect(seen[0]?.value).toBe(seen[1]?.value as object);
    expect(seen[1]?.value).toBe(seen[2]?.value as object);
    expect(seen[3]?.value).not.toBe(seen[0]?.value as object);
    expect(first.children.map((c) => c.metadata.name)).toEqual(['cm-1']);
  });
});
