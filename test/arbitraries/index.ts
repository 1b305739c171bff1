/**
 * Shared fast-check arbitraries and run settings. Every arbitrary builds valid input by construction
 * (no fc.pre filters), so a property never silently tests fewer cases than it claims.
 */
import fc from 'fast-check';
import type { KubeObject } from '../../lib/kube/object.ts';
import { LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';

/** Run settings: FC_RUNS runs (1000 by default), and FC_SEED to replay a failure fc.assert printed. */
export function runs(extra: fc.Parameters<unknown> = {}): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
  return { numRuns: Number(process.env.FC_RUNS ?? 1000), ...(seed === undefined ? {} : { seed }), ...extra };
}

/**
 * The time limit of one law: bun cannot interrupt a synchronous property, so a limit only turns a slow
 * machine's pass into a failure. It is far above any run seen (0.1 s per case, at least 30 minutes) and
 * grows with FC_RUNS, so that a 100,000-case run is not reported as timed out after it passed.
 */
export const LAW_TIMEOUT_MS = Math.max(1_800_000, Number(process.env.FC_RUNS ?? 1000) * 100);

/** A fixed seed for the regression run of a property (same cases every time). */
export const REGRESSION_SEED = 20240917;

export function regression(extra: fc.Parameters<unknown> = {}): fc.Parameters<unknown> {
  return { numRuns: 200, seed: REGRESSION_SEED, ...extra };
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

function charFrom(alphabet: string): fc.Arbitrary<string> {
  return fc.constantFrom(...alphabet.split(''));
}

/** A valid DNS-1123 label of 1..maxLength characters: [a-z0-9], inner '-' allowed. */
export function dnsLabel(maxLength = 20): fc.Arbitrary<string> {
  const edge = charFrom(LOWER + DIGITS);
  const inner = charFrom(LOWER + DIGITS + '-');
  return fc.oneof(
    edge,
    fc
      .tuple(edge, fc.string({ unit: inner, maxLength: Math.max(0, maxLength - 2) }), edge)
      .map(([a, middle, b]) => `${a}${middle}${b}`),
  );
}

/** Any string, including unicode, upper case, dots, underscores and very long ones. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: charFrom('aZ09-_.@/ '), maxLength: 150 }),
);

/** An object key; `__proto__` is left to its own focused test (test/kube/object.test.ts), so one issue fails one test. */
const jsonKey = fc.string({ maxLength: 8 }).map((key) => (key === '__proto__' ? 'proto' : key));

/** A JSON value (no undefined, no -0, no NaN): what crosses the wire. */
export const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4, withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.string({ maxLength: 10 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(jsonKey, tie('value'), { maxKeys: 5 }).map((d) => ({ ...d })),
  ),
})).value;

/** A JSON object. */
export const jsonObject: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(jsonKey, jsonValue, { maxKeys: 6 }).map((d) => ({ ...d }));

/** A small deterministic PRNG (mulberry32), so a permutation is reproducible from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deep copy of a JSON value with the keys of every object in a shuffled order. */
export function permuteKeys(value: unknown, seed: number): unknown {
  const random = mulberry32(seed);
  const walk = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(walk);
    if (typeof item !== 'object' || item === null) return item;
    const entries = Object.entries(item);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries.map(([key, inner]) => [key, walk(inner)]));
  };
  return walk(value);
}

/** A JSON value and a key-permuted deep copy of it. */
export const jsonWithPermutation: fc.Arbitrary<[unknown, unknown]> = fc
  .tuple(jsonValue, fc.integer())
  .map(([value, seed]) => [value, permuteKeys(value, seed)]);

/** A child object as Metacontroller sends it: server-set metadata, status, maybe a last-applied annotation. */
export interface ObservedChildCase {
  observed: KubeObject;
  /** What we last applied, when the annotation is present. */
  applied?: KubeObject;
}

const CHILD_KINDS = [
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCell' },
] as const;

const simpleSpec: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    replicas: fc.nat(5),
    image: fc.constantFrom('vitess/lite:v24.0.3', 'mysql:8.0.40', 'busybox'),
    args: fc.array(fc.constantFrom('--a=1', '--b=2', '--c'), { maxLength: 3 }),
    nested: fc.record({ x: fc.string({ maxLength: 5 }), y: fc.boolean() }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

const labelMap = fc.dictionary(fc.constantFrom('app', 'vitess.io/cell', 'tier', 'team'), dnsLabel(8), { maxKeys: 3 });

/** An observed child: with a last-applied annotation (as Metacontroller records it) or without one. */
export function observedChild(name: fc.Arbitrary<string> = dnsLabel(30)): fc.Arbitrary<ObservedChildCase> {
  return fc
    .record({
      type: fc.constantFrom(...CHILD_KINDS),
      name,
      labels: labelMap,
      userAnnotations: fc.dictionary(fc.constantFrom('note', 'vitess.io/revision', 'owner'), fc.string({ maxLength: 10 }), { maxKeys: 2 }),
      appliedSpec: simpleSpec,
      liveSpec: simpleSpec,
      withAnnotation: fc.boolean(),
      uid: fc.uuid(),
      resourceVersion: fc.nat().map(String),
      generation: fc.integer({ min: 1, max: 50 }),
      status: fc.record({ phase: fc.constantFrom('Running', 'Pending', 'Bound'), observedGeneration: fc.nat(50) }),
    })
    .map((c) => {
      const applied: KubeObject = {
        apiVersion: c.type.apiVersion,
        kind: c.type.kind,
        metadata: { name: c.name, labels: c.labels, annotations: { ...c.userAnnotations } },
        spec: c.appliedSpec,
      };
      const annotations: Record<string, string> = { ...c.userAnnotations };
      if (c.withAnnotation) annotations[LAST_APPLIED_ANNOTATION] = JSON.stringify(applied);
      const observed: KubeObject = {
        apiVersion: c.type.apiVersion,
        kind: c.type.kind,
        metadata: {
          name: c.name,
          namespace: 'default',
          uid: c.uid,
          resourceVersion: c.resourceVersion,
          generation: c.generation,
          creationTimestamp: '2024-01-01T00:00:00Z',
          labels: c.labels,
          annotations,
          ownerReferences: [{ apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCluster', name: 'vitess', uid: 'parent-uid', controller: true }],
          managedFields: [{ manager: 'metacontroller' }],
          finalizers: ['kubernetes.io/pvc-protection'],
        },
        // The live spec may have drifted from what we applied (defaults, other writers).
        spec: c.withAnnotation ? { ...c.appliedSpec, ...c.liveSpec } : c.liveSpec,
        status: c.status,
      };
      return c.withAnnotation ? { observed, applied } : { observed };
    });
}

/** Observed children with distinct Kind/name identities. */
export const observedChildren: fc.Arbitrary<ObservedChildCase[]> = fc.uniqueArray(observedChild(), {
  maxLength: 8,
  selector: (c) => `${c.observed.kind}/${c.observed.metadata.name}`,
});

/** Metacontroller's children map, keyed by hook version v1 (`name`) or v2 (`namespace/name`). */
export function childMap(children: readonly KubeObject[], version: 'v1' | 'v2'): Record<string, Record<string, KubeObject>> {
  const map: Record<string, Record<string, KubeObject>> = {};
  for (const child of children) {
    const type = `${child.kind}.${child.apiVersion}`;
    const key = version === 'v1' ? child.metadata.name : `${child.metadata.namespace ?? 'default'}/${child.metadata.name}`;
    (map[type] ??= {})[key] = child;
  }
  return map;
}

/** FC_RUNS (default 1000) scaled by `fraction`, at least `min`: how expensive properties follow FC_RUNS. */
export function scaledRuns(fraction: number, min = 1): number {
  return Math.max(min, Math.ceil(Number(process.env.FC_RUNS ?? 1000) * fraction));
}

/**
 * One seed for every property of a test file: FC_SEED when set, else a random one. Properties built
 * on the same arbitrary then see the same cases, so expensive memoized cases (simulations, expanded
 * trees) are computed once per file. fc.assert prints the seed of a failure; FC_SEED=<it> replays it.
 */
export function sharedSeed(): number {
  return process.env.FC_SEED === undefined ? Math.floor(Math.random() * 0x7fffffff) : Number(process.env.FC_SEED);
}
