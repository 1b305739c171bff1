/**
 * Renders the seed (examples/seed-my-vitess.yaml) through the four real layers, top down, with no
 * observed children: each layer's parent is the object the layer above generated for it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { layers } from '../../lib/sync/index.ts';
import type { TabletScope } from '../../lib/templates/tablet.ts';

export const NOW = new Date('2025-03-01T12:00:00.000Z');

export interface RenderedLayer {
  parent: KubeObject;
  children: KubeObject[];
}

export function seedCluster(): KubeObject {
  const document = parse(readFileSync(new URL('../../examples/seed-my-vitess.yaml', import.meta.url), 'utf8')) as KubeObject;
  return { ...document, metadata: { ...document.metadata, namespace: 'default', uid: 'cluster-uid', generation: 1 } };
}

/** Every (parent, children) pair of the tree, top down. */
export function renderTree(root: KubeObject = seedCluster()): RenderedLayer[] {
  const out: RenderedLayer[] = [];
  const queue: KubeObject[] = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    const layer = layers.find((l) => l.parentKind === parent.kind);
    if (layer === undefined) continue;
    const response = layer.sync(parseSyncRequest({ controller: {}, parent, children: {} }, parent.kind), { now: NOW });
    out.push({ parent, children: response.children });
    for (const child of response.children) {
      if (child.kind.startsWith('Vitess')) queue.push({ ...child, metadata: { ...child.metadata, namespace: 'default', generation: 1 } });
    }
  }
  return out;
}

export function allObjects(tree: readonly RenderedLayer[]): KubeObject[] {
  return tree.flatMap((layer) => layer.children);
}

export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

export interface ContainerLike {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Record<string, any>;
  livenessProbe?: Record<string, any>;
  volumeMounts?: { name: string; mountPath: string }[];
}

/** The Pod spec of a Pod, or of the Pod template of a workload. */
export function podSpecOf(object: KubeObject): { containers: ContainerLike[]; initContainers?: ContainerLike[]; volumes?: any[] } | undefined {
  const spec = object.spec as any;
  if (object.kind === 'Pod') return spec;
  return spec?.template?.spec;
}

export function containersOf(object: KubeObject): ContainerLike[] {
  const pod = podSpecOf(object);
  return pod === undefined ? [] : [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
}

export function container(object: KubeObject, name: string): ContainerLike {
  const found = containersOf(object).find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name} in ${object.kind}/${object.metadata.name}`);
  return found;
}

/** The value of `--name=value` among a container's command and args. */
export function flagValue(c: ContainerLike, name: string): string | undefined {
  const prefix = `--${name}=`;
  return [...(c.command ?? []), ...(c.args ?? [])].find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
}

/** `--name=value` of a command, or of the `exec` line of a shell script (the initial backup's vtbackup). */
export function execFlagValue(c: ContainerLike, name: string): string | undefined {
  const command = c.command ?? [];
  if (command[0] !== '/bin/sh') return flagValue(c, name);
  // `/bin/sh -ec <script> <$0> <command line...>`: the script ends with `exec "$@"`.
  if (!(command[2] ?? '').endsWith('exec "$@"')) throw new Error(`${c.name}: the script does not exec its arguments`);
  return flagValue({ name: c.name, command: command.slice(4) }, name);
}

/** A tablet's scope as sync-shard makes it, for template tests of one tablet (cluster `p`, commerce/-80 in zone1). */
export const TABLET_SCOPE: TabletScope = {
  cluster: 'p',
  cell: 'zone1',
  keyspace: 'commerce',
  shard: '-80',
  template: {},
  topology: { implementation: 'etcd2', global: { address: 'etcd:2379', root: '/vitess/global' }, cell: { address: 'etcd:2379', root: '/vitess/zone1' } },
  vtctldAddress: 'p-zone1-vtctld:15999',
};

/** Every `--flag` name in a container's command, args (including shell scripts) and env values. */
export function flagNames(c: ContainerLike): string[] {
  const texts = [...(c.command ?? []), ...(c.args ?? []), ...(c.env ?? []).map((e) => e.value ?? '')];
  return texts.flatMap((text) => [...text.matchAll(/(?:^|\s)--([A-Za-z0-9_.-]+)/g)].map((m) => m[1]!));
}
