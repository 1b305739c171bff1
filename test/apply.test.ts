import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { applyChild, listMapKey, merge } from '../lib/apply.ts';
import { readLastApplied } from '../lib/metacontroller/hold.ts';
import { jsonEqual, type KubeObject } from '../lib/kube/object.ts';
import { LAST_APPLIED_ANNOTATION } from '../lib/metacontroller/hold.ts';
import { runs } from './arbitraries/index.ts';

function configMap(data: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data, ...extra };
}

describe('merge: unit cases', () => {
  test('desired scalars replace live ones; keys others added are kept', () => {
    const live = { a: 1, b: 2, others: 'x' };
    expect(merge(live, { a: 1, b: 2 }, { a: 5, b: 2 })).toEqual({ a: 5, b: 2, others: 'x' });
  });

  test('a key in last applied but not in desired is removed', () => {
    expect(merge({ a: 1, b: 2, c: 3 }, { a: 1, b: 2 }, { a: 1 })).toEqual({ a: 1, c: 3 });
  });

  test('without last applied nothing is removed', () => {
    expect(merge({ a: 1, b: 2 }, undefined, { a: 3 })).toEqual({ a: 3, b: 2 });
  });

  test('nested objects merge key by key', () => {
    const live = { spec: { replicas: 1, paused: false } };
    expect(merge(live, { spec: { replicas: 1 } }, { spec: { replicas: 3 } })).toEqual({ spec: { replicas: 3, paused: false } });
  });

  test('lists of scalars are replaced whole', () => {
    expect(merge({ args: ['a', 'b', 'x'] }, { args: ['a', 'b'] }, { args: ['c'] })).toEqual({ args: ['c'] });
  });

  test('lists of named objects merge as maps: live order, then new desired items, removed ones dropped', () => {
    const live = {
      env: [
        { name: 'B', value: '1' },
        { name: 'OTHER', value: 'kept' },
        { name: 'A', value: '1' },
        { name: 'GONE', value: '1' },
      ],
    };
    const last = { env: [{ name: 'A', value: '1' }, { name: 'B', value: '1' }, { name: 'GONE', value: '1' }] };
    const desired = { env: [{ name: 'NEW', value: '1' }, { name: 'A', value: '2' }, { name: 'B', value: '1' }] };
    expect(merge(live, last, desired)).toEqual({
      env: [
        { name: 'B', value: '1' },
        { name: 'OTHER', value: 'kept' },
        { name: 'A', value: '2' },
        { name: 'NEW', value: '1' },
      ],
    });
  });

  test('list-map items merge recursively (a field others set on a container survives)', () => {
    const live = { containers: [{ name: 'c', image: 'v1', terminationMessagePath: '/dev/termination-log' }] };
    const merged = merge(live, { containers: [{ name: 'c', image: 'v1' }] }, { containers: [{ name: 'c', image: 'v2' }] });
    expect(merged).toEqual({ containers: [{ name: 'c', image: 'v2', terminationMessagePath: '/dev/termination-log' }] });
  });

  test('merge key precedence: containerPort beats name', () => {
    expect(listMapKey([[{ name: 'a', containerPort: 1 }], [{ name: 'b', containerPort: 2 }]])).toBe('containerPort');
    expect(listMapKey([[{ name: 'a', containerPort: 1 }], [{ name: 'b' }]])).toBe('name');
    expect(listMapKey([[{ name: 'a' }], ['x']])).toBeUndefined();
    expect(listMapKey([[], []])).toBeUndefined();
  });

  test('numeric merge keys work (ports keyed by port number)', () => {
    const live = { ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] };
    const merged = merge(live, { ports: [{ port: 80, targetPort: 8080 }] }, { ports: [{ port: 80, targetPort: 9090 }] });
    expect(merged).toEqual({ ports: [{ port: 80, targetPort: 9090, nodePort: 30080 }] });
  });

  test('a change of type takes the desired value whole', () => {
    expect(merge({ a: { x: 1 } }, { a: { x: 1 } }, { a: 'flat' })).toEqual({ a: 'flat' });
    expect(merge({ a: [1] }, undefined, { a: { k: 1 } })).toEqual({ a: { k: 1 } });
  });

  test('inputs are not mutated', () => {
    const live = { a: { b: [{ name: 'x', v: 1 }] }, c: 1 };
    const last = { a: { b: [{ name: 'x', v: 1 }] }, c: 1 };
    const desired = { a: { b: [{ name: 'y', v: 2 }] } };
    const copies = structuredClone([live, last, desired]);
    merge(live, last, desired);
    expect([live, last, desired]).toEqual(copies);
  });

  test('a __proto__ key stays data', () => {
    const desired = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const merged = merge({}, undefined, desired);
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('applyChild: unit cases', () => {
  test('create: the desired object with its last-applied annotation, no status, no system fields', () => {
    const desired = configMap({ k: 'v' }, { status: { x: 1 } });
    desired.metadata = { ...desired.metadata, uid: 'u', resourceVersion: '7' };
    const { object, changed } = applyChild(undefined, desired);
    expect(changed).toBe(true);
    expect(object.status).toBeUndefined();
    expect(object.metadata.uid).toBeUndefined();
    expect(object.metadata.resourceVersion).toBeUndefined();
    expect(JSON.parse(object.metadata.annotations?.[LAST_APPLIED_ANNOTATION] ?? '')).toEqual(desired);
  });

  test('update with the same desired object: no write', () => {
    const desired = configMap({ k: 'v' });
    const created = applyChild(undefined, desired).object;
    const live: KubeObject = { ...created, metadata: { ...created.metadata, uid: 'u1', resourceVersion: '3', creationTimestamp: '2024-01-01T00:00:00Z' } };
    const again = applyChild(live, desired);
    expect(again.changed).toBe(false);
    expect(again.object).toEqual(live);
  });

  test('update keeps system metadata and status of the live object whatever desired says', () => {
    const live = applyChild(undefined, configMap({ k: 'v' })).object;
    const withSystem: KubeObject = { ...live, metadata: { ...live.metadata, uid: 'u1', generation: 2 }, status: { phase: 'Live' } };
    const desired: KubeObject = { ...configMap({ k: 'w' }), status: { phase: 'Mine' } };
    desired.metadata = { ...desired.metadata, uid: 'other', generation: 99 };
    const { object, changed } = applyChild(withSystem, desired);
    expect(changed).toBe(true);
    expect(object.metadata.uid).toBe('u1');
    expect(object.metadata.generation).toBe(2);
    expect(object.status).toEqual({ phase: 'Live' });
    expect(object.data).toEqual({ k: 'w' });
  });

  test('a desired object that carries a last-applied annotation has it replaced, not nested', () => {
    const desired = configMap({ k: 'v' });
    desired.metadata = { ...desired.metadata, annotations: { [LAST_APPLIED_ANNOTATION]: '{"stale":true}', keep: 'me' } };
    const { object } = applyChild(undefined, desired);
    const recorded = readLastApplied(object);
    expect(recorded?.metadata).toEqual({ name: 'c', namespace: 'default', annotations: { keep: 'me' } });
  });

  test('an unreadable last-applied annotation counts as none (nothing removed)', () => {
    const live = configMap({ a: '1', b: '2' });
    live.metadata = { ...live.metadata, annotations: { [LAST_APPLIED_ANNOTATION]: 'not json' } };
    expect(applyChild(live, configMap({ a: '1' })).object.data).toEqual({ a: '1', b: '2' });
  });
});

// ---------- property laws ----------

/** Small key sets so desired, last applied and live objects share keys often. */
const fieldKey = fc.constantFrom('a', 'b', 'c', 'd');
const scalar = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('x', 'y'), fc.boolean(), fc.constant(null));

/**
 * Realistic values: scalars, lists of scalars, and list maps with unique names (as containers,
 * env, volumes are). Upstream's key guessing is ill-defined on lists whose merge keys collide,
 * which Kubernetes objects never have, so the arbitrary never builds them.
 */
const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3, withCrossShrink: true },
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    tie('object'),
    fc
      .uniqueArray(fc.constantFrom('n1', 'n2', 'n3', 'n4'), { maxLength: 4 })
      .chain((names) => fc.tuple(...names.map((name) => tie('object').map((item) => ({ ...item, name }))))),
  ),
  object: fc.dictionary(fieldKey, tie('value'), { maxKeys: 3 }).map((d) => ({ ...d })),
})).value;

const spec = fc.dictionary(fieldKey, value, { maxKeys: 4 }).map((d) => ({ ...d }));

function desiredWith(specValue: Record<string, unknown>, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't', namespace: 'default', labels }, spec: specValue };
}

const labels = fc.dictionary(fc.constantFrom('app', 'tier', 'zone'), fc.constantFrom('a', 'b'), { maxKeys: 3 }).map((d) => ({ ...d }));

describe('applyChild: laws', () => {
  test('idempotence: applying the same desired object twice changes nothing the second time', () => {
    fc.assert(
      fc.property(spec, spec, labels, (first, second, lbls) => {
        const live = applyChild(undefined, desiredWith(first)).object;
        const once = applyChild(live, desiredWith(second, lbls));
        const twice = applyChild(once.object, desiredWith(second, lbls));
        return !twice.changed && jsonEqual(twice.object, once.object);
      }),
      runs(),
    );
  });

  test('keys others added survive an update', () => {
    fc.assert(
      fc.property(spec, spec, value, (first, second, theirs) => {
        const created = applyChild(undefined, desiredWith(first)).object;
        const live: KubeObject = {
          ...created,
          metadata: { ...created.metadata, annotations: { ...created.metadata.annotations, 'someone/else': 'x' } },
          spec: { ...(created.spec as Record<string, unknown>), theirs },
        };
        const { object } = applyChild(live, desiredWith(second));
        return object.metadata.annotations?.['someone/else'] === 'x' && jsonEqual((object.spec as Record<string, unknown>).theirs, theirs);
      }),
      runs(),
    );
  });

  test('a key removed from desired is removed from live', () => {
    fc.assert(
      fc.property(spec, fieldKey, value, (base, removed, removedValue) => {
        const withKey = { ...base, [removed]: removedValue };
        const { [removed]: _gone, ...without } = withKey;
        const live = applyChild(undefined, desiredWith(withKey)).object;
        const { object } = applyChild(live, desiredWith(without));
        return !Object.hasOwn(object.spec as Record<string, unknown>, removed);
      }),
      runs(),
    );
  });

  test('the last-applied annotation always records exactly the desired object', () => {
    fc.assert(
      fc.property(spec, spec, (first, second) => {
        const live = applyChild(undefined, desiredWith(first)).object;
        const { object } = applyChild(live, desiredWith(second));
        return jsonEqual(readLastApplied(object), desiredWith(second));
      }),
      runs(),
    );
  });
});

describe('merge: list-map order law', () => {
  const names = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 6 });
  const item = (name: string): Record<string, unknown> => ({ name, v: name.toUpperCase() });

  test('result = live items still wanted (in live order), then new desired items (in desired order)', () => {
    fc.assert(
      fc.property(names, names, names, (liveNames, lastNames, desiredNames) => {
        const merged = merge({ l: liveNames.map(item) }, { l: lastNames.map(item) }, { l: desiredNames.map(item) });
        const kept = liveNames.filter((name) => desiredNames.includes(name) || !lastNames.includes(name));
        const added = desiredNames.filter((name) => !liveNames.includes(name));
        const everyListEmpty = liveNames.length + lastNames.length + desiredNames.length === 0;
        // With no item at all the list is not a list map, and the (empty) desired list wins.
        const expected = everyListEmpty ? [] : [...kept, ...added];
        const got = (merged.l as { name: string }[]).map((entry) => entry.name);
        return jsonEqual(got, expected);
      }),
      runs(),
    );
  });
});
