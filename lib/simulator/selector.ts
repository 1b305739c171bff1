/** Label selectors as the API server evaluates them (matchLabels AND matchExpressions). */
import { selectorMatches as matchLabelsMatch } from '../kube/labels.ts';
import { isRecord, type KubeObject } from '../kube/object.ts';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A parent's spec.selector, or undefined when it has none or an empty one (Metacontroller refuses both). */
export function parentSelector(parent: KubeObject): LabelSelector | undefined {
  const spec = parent.spec;
  const selector = isRecord(spec) && isRecord(spec.selector) ? (spec.selector as LabelSelector) : undefined;
  if (selector === undefined) return undefined;
  const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
  return empty ? undefined : selector;
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = (key: string): boolean => labels !== undefined && Object.hasOwn(labels, key);
  return (
    matchLabelsMatch(selector.matchLabels, labels) &&
    (selector.matchExpressions ?? []).every((req) => {
      switch (req.operator) {
        case 'In':
          return has(req.key) && (req.values ?? []).includes(labels?.[req.key] ?? '');
        case 'NotIn':
          return !has(req.key) || !(req.values ?? []).includes(labels?.[req.key] ?? '');
        case 'Exists':
          return has(req.key);
        case 'DoesNotExist':
          return !has(req.key);
        default:
          return false;
      }
    })
  );
}
