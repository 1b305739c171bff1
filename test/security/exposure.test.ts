/**
 * Issue 18, item 4: an open database by example. vtgate's MySQL port goes outside the cluster only on
 * a Service of its own, only with MySQL users; gRPC and the debug pages never leave the cluster.
 */
import { describe, expect, test } from 'bun:test';
import type { V1Service } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { cellLayer } from '../../lib/sync/cell.ts';
import { clusterLayer } from '../../lib/sync/cluster.ts';
import { parseExampleYaml } from '../../lib/simulator/render.ts';
import { allObjects, find, NOW, renderTree, seedCluster } from '../templates/seed-tree.ts';

type Spec = Record<string, any>;

function withSpec(edit: (spec: Spec) => void, root: KubeObject = seedCluster()): KubeObject {
  const spec = structuredClone(root.spec) as Spec;
  edit(spec);
  return { ...root, spec };
}

/** The seed with its zone1 vtgate's Service of `type`. */
function exposedSeed(type: string, extra: (spec: Spec) => void = () => {}): KubeObject {
  return withSpec((spec) => {
    spec.cells[1].vtgate.service = { type, annotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'false' } };
    extra(spec);
  });
}

const USERS = (spec: Spec) => {
  spec.mysqlUsers = { secretName: 'users' };
};

function clusterStatus(parent: KubeObject): { problems?: string[]; conditions: { type: string; reason: string }[] } {
  return clusterLayer.sync(parseSyncRequest({ controller: {}, parent, children: {} }, 'VitessCluster'), { now: NOW }).status as any;
}

function services(parent: KubeObject): V1Service[] {
  return allObjects(renderTree(parent)).filter((o) => o.kind === 'Service' && o.metadata.name.includes('vtgate')) as V1Service[];
}

const portNames = (service: V1Service | KubeObject) => ((service as V1Service).spec?.ports ?? []).map((p) => p.name);

describe('vtgate Services: the internal one always ClusterIP, the MySQL port alone outside', () => {
  test('ClusterIP (default): one Service, every port, the user annotations on it', () => {
    const seed = withSpec((spec) => {
      spec.cells[1].vtgate.service = { annotations: { a: 'b' } };
    });
    const [internal, ...rest] = services(seed);
    expect(rest).toEqual([]);
    expect(internal?.metadata?.name).toBe('vitess-zone1-vtgate');
    expect(internal?.spec?.type).toBe('ClusterIP');
    expect(portNames(internal!)).toEqual(['web', 'grpc', 'mysql']);
    expect(internal?.metadata?.annotations).toMatchObject({ a: 'b' });
  });

  for (const type of ['LoadBalancer', 'NodePort']) {
    test(`${type} with mysqlUsers: <cell>-vtgate stays ClusterIP with every port; <cell>-vtgate-external is ${type} with the MySQL port only`, () => {
      const objects = allObjects(renderTree(exposedSeed(type, USERS)));
      const internal = find(objects, 'Service', 'vitess-zone1-vtgate') as V1Service;
      const external = find(objects, 'Service', 'vitess-zone1-vtgate-external') as V1Service;
      expect(internal.spec?.type).toBe('ClusterIP');
      expect(portNames(internal)).toEqual(['web', 'grpc', 'mysql']);
      expect(internal.metadata?.annotations?.['service.beta.kubernetes.io/aws-load-balancer-internal']).toBeUndefined();
      expect(external.spec?.type).toBe(type);
      expect(external.spec?.ports).toEqual([{ name: 'mysql', port: 3306, targetPort: 'mysql', protocol: 'TCP' }]);
      expect(external.metadata?.annotations?.['service.beta.kubernetes.io/aws-load-balancer-internal']).toBe('false');
      expect(external.spec?.selector).toEqual(internal.spec?.selector);
      // Every Service of the tree: no gRPC or web port outside the cluster.
      for (const service of objects.filter((o) => o.kind === 'Service') as V1Service[]) {
        if (service.spec?.type === 'LoadBalancer' || service.spec?.type === 'NodePort') expect(portNames(service)).toEqual(['mysql']);
      }
    });
  }
});

describe('a MySQL port outside the cluster without users is refused (InvalidSpec, path and fix)', () => {
  for (const type of ['LoadBalancer', 'NodePort']) {
    test(`VitessCluster: vtgate ${type} without mysqlUsers`, () => {
      const status = clusterStatus(exposedSeed(type));
      expect(status.problems).toEqual([
        `spec.cells[1].vtgate.service.type: (${type}) would open vtgate's MySQL port outside the cluster to anyone, as any user: set spec.mysqlUsers (a Secret with vtgate's users, docs/access.md) or use type ClusterIP`,
      ]);
      expect(status.conditions.find((c) => c.type === 'Ready')?.reason).toBe('InvalidSpec');
      expect(clusterStatus(exposedSeed(type, USERS)).problems).toBeUndefined();
    });
  }

  test('VitessCell written directly: the same check, and every observed child held', () => {
    const tree = renderTree(exposedSeed('LoadBalancer', USERS));
    const cell = tree.find((layer) => layer.parent.kind === 'VitessCell' && layer.parent.metadata.name === 'vitess-zone1')!;
    const spec = structuredClone(cell.parent.spec) as Spec;
    delete spec.mysqlUsers;
    const observed = cell.children.filter((child) => child.kind === 'Service');
    const children: Record<string, Record<string, KubeObject>> = { 'Service.v1': Object.fromEntries(observed.map((o) => [o.metadata.name, o])) };
    const response = cellLayer.sync(parseSyncRequest({ controller: {}, parent: { ...cell.parent, spec }, children }, 'VitessCell'), { now: NOW });
    expect((response.status as any).problems).toEqual([
      "spec.vtgate.service.type: (LoadBalancer) would open vtgate's MySQL port outside the cluster to anyone, as any user: set spec.mysqlUsers (a Secret with vtgate's users, docs/access.md) or use type ClusterIP",
    ]);
    expect(response.children.map((c) => c.metadata.name).sort()).toEqual(observed.map((o) => o.metadata.name).sort());
  });

  for (const type of ['LoadBalancer', 'NodePort']) {
    test(`vtctld ${type}: refused even with users (its ports have no authentication of their own)`, () => {
      const parent = withSpec((spec) => {
        spec.cells[0].vtctld.service = { type };
        USERS(spec);
      });
      expect(clusterStatus(parent).problems?.[0]).toStartWith(`spec.cells[0].vtctld.service.type: (${type}) would let anyone outside the cluster run any vtctld action`);
    });
  }
});

describe('examples', () => {
  const examples = ['minimal', 'multi-cell', 'production', 'seed-my-vitess', 'vtadmin'];
  for (const name of examples) {
    test(`examples/${name}.yaml: valid, and nothing but a MySQL port behind users leaves the cluster`, () => {
      const document = parseExampleYaml(readFileSync(new URL(`../../examples/${name}.yaml`, import.meta.url), 'utf8')).cluster;
      const root = { ...document, metadata: { ...document.metadata, namespace: 'default', uid: 'u', generation: 1 } };
      expect(clusterStatus(root).problems).toBeUndefined();
      for (const service of allObjects(renderTree(root)).filter((o) => o.kind === 'Service') as V1Service[]) {
        if (service.spec?.type === 'LoadBalancer' || service.spec?.type === 'NodePort') {
          expect(portNames(service)).toEqual(['mysql']);
          expect((document.spec as Spec).mysqlUsers).toBeDefined();
        }
      }
    });
  }
});
