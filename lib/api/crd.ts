/**
 * Our four CRDs, generated from the valibot schemas in lib/api (through lib/api/openapi.ts), so the
 * hook and the API server validate the same spec: one CustomResourceDefinition per kind, and the YAML
 * files written by `bun run crds` (scripts/crds.ts). Pure: the same schemas give the same bytes.
 */
import * as v from 'valibot';
import { stringify } from 'yaml';
import { CellSpec, KIND as CELL_KIND } from './cell.ts';
import { ClusterSpec, KIND as CLUSTER_KIND } from './cluster.ts';
import { KIND as KEYSPACE_KIND, KeyspaceSpec } from './keyspace.ts';
import { KIND as SHARD_KIND, ShardSpec } from './shard.ts';
import { GROUP, VERSION } from './common.ts';
import { canonical, extendAt, type JSONSchemaProps, toOpenAPI } from './openapi.ts';
import { CellStatus, ClusterStatus, KeyspaceStatus, ShardStatus } from './status.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JSONSchemaProps };
    }[];
  };
}

/** What differs between the four kinds. */
export interface KindDefinition {
  kind: string;
  plural: string;
  shortName: string;
  description: string;
  spec: v.GenericSchema;
  status: v.GenericSchema;
  /** The printer-column name for `.status.children`; the layer's children when they are all one kind. */
  childrenColumn: string;
  /** Extensions merged into the spec schema, by path (see extendAt). */
  specExtensions: Readonly<Record<string, JSONSchemaProps>>;
}

/** Cells and keyspaces are identified by name: a list map makes the API server reject duplicates and merge by name. */
const listMapByName: JSONSchemaProps = { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] };

export const KINDS: readonly KindDefinition[] = [
  {
    kind: CLUSTER_KIND,
    plural: 'vitessclusters',
    shortName: 'vt',
    description: 'A Vitess deployment: cells, keyspaces and their tablets. The operator expands it into VitessCells.',
    spec: ClusterSpec,
    status: ClusterStatus,
    childrenColumn: 'CELLS',
    specExtensions: {
      // Children select by stable identity labels; changing the selector would orphan them.
      selector: { 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'selector is immutable' }] },
      cells: listMapByName,
      keyspaces: listMapByName,
    },
  },
  {
    kind: CELL_KIND,
    plural: 'vitesscells',
    shortName: 'vtc',
    description: 'One Vitess cell of a VitessCluster, written by the operator: topology, vtctld, vtgate, vtorc and the cell\'s VitessKeyspaces.',
    spec: CellSpec,
    status: CellStatus,
    childrenColumn: 'CHILDREN',
    specExtensions: {},
  },
  {
    kind: KEYSPACE_KIND,
    plural: 'vitesskeyspaces',
    shortName: 'vtk',
    description: 'One keyspace in one cell, written by the operator: its VitessShards.',
    spec: KeyspaceSpec,
    status: KeyspaceStatus,
    childrenColumn: 'SHARDS',
    specExtensions: {},
  },
  {
    kind: SHARD_KIND,
    plural: 'vitessshards',
    shortName: 'vts',
    description: 'One shard of a keyspace in one cell, written by the operator: a Pod and a PVC per tablet.',
    spec: ShardSpec,
    status: ShardStatus,
    childrenColumn: 'CHILDREN',
    specExtensions: {},
  },
];

function printerColumns(definition: KindDefinition): PrinterColumn[] {
  const noun = definition.childrenColumn;
  return [
    { name: 'READY', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether everything below is ready' },
    { name: 'UPDATED', type: 'string', jsonPath: '.status.conditions[?(@.type=="Updated")].status', description: 'Whether everything below runs the current spec' },
    { name: noun, type: 'integer', jsonPath: '.status.children', description: 'Children wanted' },
    { name: `READY-${noun}`, type: 'integer', jsonPath: '.status.readyChildren', description: 'Children ready' },
    { name: `UPDATED-${noun}`, type: 'integer', jsonPath: '.status.updatedChildren', description: 'Children running the current spec', priority: 1 },
    // Shown by default: `kubectl get vt` says why a cluster is not Ready (ChildNotCreated, InvalidSpec, ...).
    { name: 'REASON', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Why Ready is what it is' },
    { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
}

/** The spec schema of a kind: converted from valibot, with the kind's extensions merged in. */
export function specSchema(definition: KindDefinition): JSONSchemaProps {
  let schema = toOpenAPI(definition.spec, 'spec', { recordKeys: 'describe' });
  for (const [path, extra] of Object.entries(definition.specExtensions)) schema = extendAt(schema, path, extra);
  return schema;
}

export function buildCrd(definition: KindDefinition): CustomResourceDefinition {
  const openAPIV3Schema = canonical({
    description: definition.description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: specSchema(definition),
      // metav1.Condition's convention: one condition per type.
      status: extendAt(toOpenAPI(definition.status, 'status'), 'conditions', { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
    },
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${definition.plural}.${GROUP}`, labels: { 'app.kubernetes.io/part-of': 'vitess-operator' } },
    spec: {
      group: GROUP,
      names: {
        kind: definition.kind,
        listKind: `${definition.kind}List`,
        plural: definition.plural,
        singular: definition.kind.toLowerCase(),
        shortNames: [definition.shortName],
        categories: ['vitess'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns(definition),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

export function buildCrds(): CustomResourceDefinition[] {
  return KINDS.map(buildCrd);
}

export const CRD_HEADER = '# generated by `bun run crds` from lib/api; do not edit\n';

/** Every file of crds/, by file name: one YAML per CRD and the kustomization listing them. */
export function crdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const crd of buildCrds()) files.set(`${crd.spec.names.plural}.yaml`, CRD_HEADER + toYaml(crd));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [...files.keys()],
  };
  files.set('kustomization.yaml', CRD_HEADER + toYaml(kustomization));
  return files;
}

function toYaml(value: unknown): string {
  // lineWidth 0: never fold long patterns or messages, so the output does not depend on their length.
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}
