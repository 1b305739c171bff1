/** Label helpers that know nothing of Vitess (Vitess's own labels: lib/vitess/labels.ts). */

export type Labels = Readonly<Record<string, string>>;

/** True when every label of the selector is on the object (matchLabels semantics). */
export function selectorMatches(matchLabels: Labels | undefined, labels: Labels | undefined): boolean {
  return Object.entries(matchLabels ?? {}).every(([key, value]) => labels?.[key] === value);
}

/** Well-known node labels (kubernetes.io/docs/reference/labels-annotations-taints): the node, and its zone. */
export const NODE_LABEL = { hostname: 'kubernetes.io/hostname', zone: 'topology.kubernetes.io/zone' } as const;
