/**
 * Immutability across random spec edits: for every child that exists before and after an edit, the
 * fields the API server refuses to change stay as they are, both in the desired state and in what
 * the layer answers for the observed child. Pods and Jobs are OnDelete: the answer for an existing
 * one is exactly its last-applied state, or it is left out (to be recreated). FC_RUNS scenarios
 * (default 1000), each checked at every layer on a random path; FC_SEED replays a failure.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { canonicalJson, isRecord, type KubeObject, objectKey } from '../../lib/kube/object.ts';
import { compareQuantities } from '../../lib/kube/quantity.ts';
import { requestedStorage } from '../../lib/kube/volumes.ts';
import { LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { runs } from '../arbitraries/index.ts';
import { appliedOf, casesOf, LAYER_SCENARIOS, NAMESPACE, SHARED_SEED } from '../arbitraries/system.ts';

const TIMEOUT_MS = 120_000;

/** Fields that never change once set, per kind. */
const IMMUTABLE: Readonly<Record<string, readonly string[][]>> = {
  Deployment: [['spec', 'selector']],
  StatefulSet: [['spec', 'selector'], ['spec', 'serviceName'], ['spec', 'volumeClaimTemplates'], ['spec', 'podManagementPolicy']],
  PodDisruptionBudget: [['spec', 'selector']],
};

function at(object: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), object);
}

/** A PVC spec without its storage request: the part that never changes. */
function withoutStorage(spec: unknown): unknown {
  if (!isRecord(spec) || !isRecord(spec.resources) || !isRecord(spec.resources.requests)) return spec;
  const { storage: _storage, ...requests } = spec.resources.requests;
  return { ...spec, resources: { ...spec.resources, requests } };
}

function withNamespace(child: KubeObject): KubeObject {
  return child.metadata.namespace === undefined ? { ...child, metadata: { ...child.metadata, namespace: NAMESPACE } } : child;
}

function answered(children: readonly KubeObject[]): Map<string, KubeObject> {
  return new Map(children.map((c) => [objectKey(c), c]));
}

describe('immutability', () => {
  test('immutability: Deployment/StatefulSet/PDB selectors, StatefulSet serviceName and volumeClaimTemplates never change for an existing child', () => {
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const c of casesOf(scenario)) {
          const byKey = answered(c.answer.children);
          for (const entry of c.entries) {
            const paths = IMMUTABLE[entry.key.split('/')[0] as string];
            if (paths === undefined) continue;
            // The desired state before and after the edit.
            if (entry.old !== undefined && entry.new !== undefined) {
              for (const path of paths) expect({ [entry.key]: { [path.join('.')]: at(entry.new, path) } }).toEqual({ [entry.key]: { [path.join('.')]: at(entry.old, path) } });
            }
            // What the layer answers for a live child, against what is live (its last-applied state).
            const live = entry.observed === undefined ? undefined : appliedOf(entry.observed);
            const answer = byKey.get(entry.key);
            if (live === undefined || answer === undefined) continue;
            for (const path of paths) expect({ [entry.key]: { [path.join('.')]: at(answer, path) } }).toEqual({ [entry.key]: { [path.join('.')]: at(live, path) } });
          }
        }
      }),
      runs({ seed: SHARED_SEED }),
    );
  }, TIMEOUT_MS);

  test('immutability: an existing Pod or Job is answered exactly as last applied, or left out', () => {
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const c of casesOf(scenario)) {
          const byKey = answered(c.answer.children);
          for (const observed of c.observed) {
            if (observed.kind !== 'Pod' && observed.kind !== 'Job') continue;
            const applied = observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
            const answer = byKey.get(objectKey(observed));
            if (answer === undefined || applied === undefined) continue;
            expect({ [objectKey(observed)]: canonicalJson(withNamespace(answer)) }).toEqual({ [objectKey(observed)]: applied });
          }
        }
      }),
      runs({ seed: SHARED_SEED }),
    );
  }, TIMEOUT_MS);

  test("immutability: an existing PVC's spec is never changed but for its storage request, which only grows", () => {
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const c of casesOf(scenario)) {
          const byKey = answered(c.answer.children);
          for (const observed of c.observed) {
            if (observed.kind !== 'PersistentVolumeClaim') continue;
            const answer = byKey.get(objectKey(observed));
            if (answer === undefined) continue;
            const applied = appliedOf(observed)?.spec;
            expect({ [objectKey(observed)]: withoutStorage(answer.spec) }).toEqual({ [objectKey(observed)]: withoutStorage(applied) });
            const asked = requestedStorage(answer);
            if (asked !== requestedStorage({ ...observed, spec: applied })) {
              // Changed: only to a larger size than the live claim asks for.
              expect({ [objectKey(observed)]: compareQuantities(asked, requestedStorage(observed)) }).toEqual({ [objectKey(observed)]: 1 });
            }
          }
        }
      }),
      runs({ seed: SHARED_SEED }),
    );
  }, TIMEOUT_MS);
});
