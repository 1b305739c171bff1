/**
 * The custom objects one layer writes for the next (VitessCell, VitessKeyspace, VitessShard).
 * Each carries a selector made of the parent's selector plus its own identity labels, which its
 * own children all carry, so Metacontroller's selector check holds at every layer.
 */
import { API_VERSION, type LabelSelectorSpec } from '../api/common.ts';
import type { KIND as CELL_KIND } from '../api/cell.ts';
import type { KIND as KEYSPACE_KIND } from '../api/keyspace.ts';
import type { KIND as SHARD_KIND } from '../api/shard.ts';
import { identityLabels } from '../vitess/labels.ts';
import type { KubeObject } from '../kube/object.ts';
import { objectMeta, type Scope } from './meta.ts';

export function vitessChild(
  kind: typeof CELL_KIND | typeof KEYSPACE_KIND | typeof SHARD_KIND,
  scope: Scope,
  parentSelector: LabelSelectorSpec,
  name: string,
  spec: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: objectMeta(scope, name) as KubeObject['metadata'],
    spec: {
      ...spec,
      selector: { matchLabels: { ...parentSelector.matchLabels, ...identityLabels(scope) } },
      template: scope.template,
    },
  };
}
