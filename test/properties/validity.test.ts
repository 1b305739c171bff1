/**
 * Validity of everything the hooks answer: names, labels, selectors, identities. Over random
 * clusters and edits: the whole desired tree of the edited cluster along a random path, and one
 * layer's answer to a random observed state. FC_RUNS cases (default 1000); FC_SEED replays.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { DNS_LABEL_MAX, isDnsLabel, isLabelValue, STATEFULSET_NAME_MAX } from '../../lib/kube/names.ts';
import { isRecord, type KubeObject } from '../../lib/kube/object.ts';
import { LAW_TIMEOUT_MS, runs } from '../arbitraries/index.ts';
import { casesOf, LAYER_SCENARIOS, SHARED_SEED } from '../arbitraries/system.ts';

const TIMEOUT_MS = LAW_TIMEOUT_MS;

/** A label key: an optional DNS-1123 subdomain prefix (<= 253) and '/', then a name of <= 63 [A-Za-z0-9-_.], alphanumeric at both ends. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  const prefixOk = prefix === undefined || (prefix.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix));
  return prefixOk && name.length >= 1 && name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
}

function nameLimit(kind: string): number {
  return kind === 'StatefulSet' ? STATEFULSET_NAME_MAX : DNS_LABEL_MAX;
}

/** Every label map inside an object: its own, and its Pod template's. */
function labelMaps(object: KubeObject): [string, Record<string, unknown>][] {
  const maps: [string, Record<string, unknown>][] = [['metadata.labels', object.metadata.labels ?? {}]];
  const spec = isRecord(object.spec) ? object.spec : {};
  const template = isRecord(spec.template) ? spec.template : undefined;
  const templateLabels = isRecord(template?.metadata) && isRecord(template.metadata.labels) ? template.metadata.labels : undefined;
  if (templateLabels !== undefined) maps.push(['spec.template.metadata.labels', templateLabels]);
  return maps;
}

function selectorOf(object: KubeObject): Record<string, string> | undefined {
  const spec = isRecord(object.spec) ? object.spec : {};
  const selector = isRecord(spec.selector) ? spec.selector : undefined;
  return isRecord(selector?.matchLabels) ? (selector.matchLabels as Record<string, string>) : undefined;
}

/** The answers to check, at every layer on the path: the parent's desired children, and its answer to the observed state. */
function answersOf(scenario: Parameters<typeof casesOf>[0]): { parent: KubeObject; children: unknown[] }[] {
  return casesOf(scenario).flatMap((c) => [
    { parent: c.parent, children: c.newDesired },
    { parent: c.parent, children: c.answer.children as unknown[] },
  ]);
}

const scenarios = LAYER_SCENARIOS;

describe('validity', () => {
  test('validity: no answer holds a null or non-object child, and no two children share a Kind/name', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        for (const { children } of answersOf(scenario)) {
          for (const child of children) expect(isRecord(child) && isRecord((child as KubeObject).metadata)).toBe(true);
          const keys = (children as KubeObject[]).map((c) => `${c.kind}/${c.metadata.name}`);
          expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
        }
      }),
      runs({ seed: SHARED_SEED }),
    );
  }, TIMEOUT_MS);

  test("validity: every child's name is a DNS-1123 label within its kind's limit (StatefulSet <= 52)", () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        for (const { children } of answersOf(scenario)) {
          for (const child of children as KubeObject[]) {
            const name = child.metadata.name;
            if (!isDnsLabel(name, nameLimit(child.kind))) throw new Error(`${child.kind} name '${name}' (${name.length}) is not a DNS-1123 label of <= ${nameLimit(child.kind)}`);
          }
        }
      }),
      runs({ seed: SHARED_SEED }),
    );
  }, TIMEOUT_MS);

  test('validity: every label key and value of every child (and of its Pod template) is valid', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        for (const { children } of answersOf(scenario)) {
          for (const child of children as KubeObject[]) {
            for (const [where, labels] of labelMaps(child)) {
              for (const [key, value] of Object.entries(labels)) {
                if (!isLabelKey(key)) throw new Error(`${child.kind}/${child.metadata.name} ${where}: invalid label key '${key}'`);
                if (typeof value !== 'string' || !isLabelValue(value)) throw new Error(`${child.kind}/${child.metadata.name} ${where}: invalid value of ${key}: ${JSON.stringify(value)}`);
              }
            }
          }
        }
      }),
      runs({ seed: SHARED_SEED }),
    );
  }, TIMEOUT_MS);

  test("validity: every child matches its parent's spec.selector.matchLabels, and every workload's selector matches its Pod template", () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        for (const { parent, children } of answersOf(scenario)) {
          const parentSelector = selectorOf(parent) ?? {};
          for (const child of children as KubeObject[]) {
            for (const [key, value] of Object.entries(parentSelector)) {
              if (child.metadata.labels?.[key] !== value) throw new Error(`${child.kind}/${child.metadata.name} lacks the parent's selector label ${key}=${value}`);
            }
            if (child.kind === 'Deployment' || child.kind === 'StatefulSet') {
              const templateLabels = labelMaps(child).find(([where]) => where === 'spec.template.metadata.labels')?.[1] ?? {};
              for (const [key, value] of Object.entries(selectorOf(child) ?? {})) expect(templateLabels[key]).toBe(value);
            }
          }
        }
      }),
      runs({ seed: SHARED_SEED }),
    );
  }, TIMEOUT_MS);

  /** Regression: a cluster name starting with a digit gave Services the API server refuses (found with FC_SEED=1795463662). */
  test('validity: every Service name is a DNS-1035 label (the API server refuses a Service name that starts with a digit)', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        for (const { children } of answersOf(scenario)) {
          for (const child of children as KubeObject[]) {
            if (child.kind === 'Service' && !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(child.metadata.name)) throw new Error(`Service name '${child.metadata.name}' is not a DNS-1035 label`);
          }
        }
      }),
      runs({ seed: SHARED_SEED }),
    );
  }, TIMEOUT_MS);
});
