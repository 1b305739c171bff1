import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import type { KubeObject } from '../../lib/kube/object.ts';
import { heldChild, LAST_APPLIED_ANNOTATION, lastApplied } from '../../lib/metacontroller/hold.ts';
import { observedChild, regression, runs } from '../arbitraries/index.ts';

const SERVER_SET = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'ownerReferences', 'finalizers'];

describe('heldChild', () => {
  for (const [label, params] of [['random', runs()], ['regression seed', regression()]] as const) {
    test(`heldChild: with a last-applied annotation, exactly the parsed annotation (${label})`, () => {
      fc.assert(
        fc.property(observedChild(), (c) => {
          if (c.applied === undefined) return;
          const held = heldChild(c.observed);
          expect(held).toStrictEqual(JSON.parse(c.observed.metadata.annotations![LAST_APPLIED_ANNOTATION]!));
          expect(JSON.stringify(held)).toBe(c.observed.metadata.annotations![LAST_APPLIED_ANNOTATION]!);
        }),
        params,
      );
    });
  }

  test('heldChild: without the annotation, the observed object less server-set metadata and status', () => {
    fc.assert(
      fc.property(observedChild(), (c) => {
        const { [LAST_APPLIED_ANNOTATION]: _, ...annotations } = c.observed.metadata.annotations ?? {};
        const observed: KubeObject = { ...c.observed, metadata: { ...c.observed.metadata, annotations } };
        const held = heldChild(observed);
        const { status: _status, ...expected } = structuredClone(observed);
        for (const field of SERVER_SET) delete (expected.metadata as Record<string, unknown>)[field];
        if (Object.keys(annotations).length === 0) delete expected.metadata.annotations;
        expect(held).toStrictEqual(expected);
      }),
      runs(),
    );
  });

  test('heldChild: never returns status or server-set metadata', () => {
    fc.assert(
      fc.property(observedChild(), (c) => {
        const held = heldChild(c.observed);
        return !('status' in held) && SERVER_SET.every((field) => !(field in held.metadata));
      }),
      runs(),
    );
  });

  test('heldChild: does not mutate its input', () => {
    fc.assert(
      fc.property(observedChild(), (c) => {
        const before = structuredClone(c.observed);
        heldChild(c.observed);
        expect(c.observed).toStrictEqual(before);
      }),
      runs(),
    );
  });

  test('units: an unparsable or non-object annotation falls back to the observed object', () => {
    const base = { apiVersion: 'v1', kind: 'Service', spec: { ports: [] }, status: { loadBalancer: {} } };
    for (const text of ['{not json', '"a string"', '{"kind":"Service"}']) {
      const observed = { ...base, metadata: { name: 's', uid: 'u', annotations: { [LAST_APPLIED_ANNOTATION]: text, keep: 'me' } } };
      expect(lastApplied(observed)).toBeUndefined();
      expect(heldChild(observed)).toStrictEqual({ apiVersion: 'v1', kind: 'Service', spec: { ports: [] }, metadata: { name: 's', annotations: { keep: 'me' } } });
    }
  });
});
