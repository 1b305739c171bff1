/**
 * The Pod settings (lib/api/pod.ts) on every kind of Pod, and vtgate's HorizontalPodAutoscaler, from
 * examples/platform.yaml rendered through all four layers, and from one tablet pool.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { TabletPoolSpec } from '../../lib/api/passdown.ts';
import { merge } from '../../lib/apply.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { tabletPod } from '../../lib/templates/tablet.ts';
import { jobPodSettings } from '../../lib/api/pod.ts';
import { slowShutdownJob } from '../../lib/templates/slow-shutdown-job.ts';
import { allObjects, find, podSpecOf, renderTree, seedCluster, TABLET_SCOPE } from './seed-tree.ts';

function platform(): KubeObject {
  const document = parse(readFileSync(new URL('../../examples/platform.yaml', import.meta.url), 'utf8')) as KubeObject;
  return { ...document, metadata: { ...document.metadata, namespace: 'default', uid: 'platform-uid', generation: 1 } };
}

const objects = allObjects(renderTree(platform()));
const TABLET = 'platform-vttablet-zone1-0729587900';
const template = (object: KubeObject) => (object.spec as { template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, any> } }).template;

describe('Pod settings on every kind of Pod (examples/platform.yaml)', () => {
  test('pull secrets on the etcd StatefulSet, each Deployment and the tablet Pods; the pull policy on every container of vtctld', () => {
    for (const [kind, name] of [['StatefulSet', 'platform-zone1-etcd'], ['Deployment', 'platform-zone1-vtctld'], ['Deployment', 'platform-zone1-vtgate'], ['Deployment', 'platform-zone1-vtorc'], ['Pod', TABLET]] as const) {
      expect(podSpecOf(find(objects, kind, name))?.['imagePullSecrets' as never]).toEqual([{ name: 'regcred' }] as never);
    }
    expect(template(find(objects, 'Deployment', 'platform-zone1-vtctld')).spec.containers.every((c: { imagePullPolicy?: string }) => c.imagePullPolicy === 'IfNotPresent')).toBe(true);
    expect(template(find(objects, 'Deployment', 'platform-zone1-vtgate')).spec.containers[0].imagePullPolicy).toBeUndefined();
  });

  test('Pod labels and annotations on the Pods, never on selectors', () => {
    const vtgate = find(objects, 'Deployment', 'platform-zone1-vtgate');
    expect(template(vtgate).metadata.labels).toMatchObject({ team: 'data', app: 'platform', 'vitess.io/component': 'vtgate' });
    expect(template(vtgate).metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15000' });
    expect((vtgate.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels.team).toBeUndefined();
    expect(find(objects, 'Pod', TABLET).metadata.labels).toMatchObject({ team: 'data', 'vitess.io/tablet-type': 'replica' });
    expect(find(objects, 'Pod', TABLET).metadata.annotations).toMatchObject({ 'backup.velero.io/backup-volumes-excludes': 'vtdataroot' });
  });

  test("the tablet's env after ours in every container, init container included; mounts in the servers only; volumes appended", () => {
    const spec = podSpecOf(find(objects, 'Pod', TABLET))!;
    for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) expect(c.env?.at(-1)).toEqual({ name: 'TZ', value: 'UTC' });
    for (const c of spec.containers) expect(c.volumeMounts?.slice(-2) as unknown[]).toEqual([{ name: 'scratch', mountPath: '/scratch' }, { name: 'site-config', mountPath: '/etc/site', readOnly: true }]);
    expect(spec.initContainers?.[0]?.volumeMounts?.some((m) => m.name === 'scratch')).toBe(false);
    expect(spec.volumes?.slice(-2)).toEqual([{ name: 'scratch', emptyDir: { sizeLimit: '1Gi' } }, { name: 'site-config', configMap: { name: 'platform-site-config', optional: true } }]);
  });

  test("a security context replaces ours whole: vtctld's has no runAsUser or fsGroup; the others keep 999", () => {
    expect(template(find(objects, 'Deployment', 'platform-zone1-vtctld')).spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(template(find(objects, 'Deployment', 'platform-zone1-vtgate')).spec.securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999 });
  });

  test('nothing set, nothing changes: the seed renders without any of these fields', () => {
    const text = JSON.stringify(allObjects(renderTree(seedCluster())));
    for (const field of ['imagePullSecrets', 'imagePullPolicy', 'HorizontalPodAutoscaler']) expect(text).not.toContain(field);
  });
});

describe('a tablet pool with `securityContext: {}` (OpenShift restricted SCC)', () => {
  const pool: TabletPoolSpec = { replicas: 2, image: 'vitess/lite:v24.0.3', mysqlImage: 'mysql:8.4.6', volumeClaim: {}, vttablet: {}, mysql: {}, securityContext: {} };
  test('the Pod sets no user, group or fsGroup: the platform assigns them', () => {
    expect(tabletPod(TABLET_SCOPE, { name: 't', uid: 1, type: 'replica' }, pool).spec?.securityContext).toEqual({});
  });
});

describe("vtgate autoscaling: the HPA owns the replica count", () => {
  const deployment = find(objects, 'Deployment', 'platform-zone1-vtgate');

  test('an autoscaling/v2 HPA over the Deployment, 70 % CPU by default, the behavior as written; the PDB sized by minReplicas', () => {
    expect(find(objects, 'HorizontalPodAutoscaler', 'platform-zone1-vtgate').spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'platform-zone1-vtgate' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    });
    expect((find(objects, 'PodDisruptionBudget', 'platform-zone1-vtgate').spec as { maxUnavailable: number }).maxUnavailable).toBe(1);
  });

  test("the Deployment is answered without replicas, so Metacontroller's apply keeps the 5 the HPA set", () => {
    expect((deployment.spec as Record<string, unknown>).replicas).toBeUndefined();
    // The observed Deployment: created from this answer (the API server defaulted replicas to 1), then scaled to 5 by the HPA.
    const observed = { ...deployment, spec: { ...(deployment.spec as object), replicas: 5 } } as unknown as Record<string, unknown>;
    const applied = merge(observed, deployment as unknown as Record<string, unknown>, deployment as unknown as Record<string, unknown>);
    expect((applied.spec as { replicas: number }).replicas).toBe(5);
  });

  test('without autoscaling (the seed), the answer carries replicas and the apply resets an outside change: what the HPA case avoids', () => {
    const seedVtgate = find(allObjects(renderTree(seedCluster())), 'Deployment', 'vitess-zone1-vtgate');
    const observed = { ...seedVtgate, spec: { ...(seedVtgate.spec as object), replicas: 5 } } as unknown as Record<string, unknown>;
    const applied = merge(observed, seedVtgate as unknown as Record<string, unknown>, seedVtgate as unknown as Record<string, unknown>);
    expect((applied.spec as { replicas: number }).replicas).toBe((seedVtgate.spec as { replicas: number }).replicas);
  });
});

describe('vtadmin: one set of Pod settings for vtadmin-api and vtadmin-web', () => {
  const document = parse(readFileSync(new URL('../../examples/vtadmin.yaml', import.meta.url), 'utf8')) as KubeObject & { spec: any };
  document.metadata = { ...document.metadata, namespace: 'default', uid: 'vtadmin-uid', generation: 1 };
  document.spec.vtadmin = { ...document.spec.vtadmin, imagePullSecrets: [{ name: 'regcred' }], podLabels: { team: 'ui' }, securityContext: { runAsNonRoot: true } };
  const rendered = allObjects(renderTree(document));

  test("both Deployments' Pods get them; the security context replaces each one's default (vtadmin-web's nginx user too)", () => {
    for (const name of ['mini-zone1-vtadmin-api', 'mini-zone1-vtadmin-web']) {
      const pod = template(find(rendered, 'Deployment', name));
      expect(pod.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
      expect(pod.metadata.labels.team).toBe('ui');
      expect(pod.spec.securityContext).toEqual({ runAsNonRoot: true });
    }
  });
});

describe("the operator's Jobs pull and run as their owner's Pods do", () => {
  test("a cell's Jobs take vtctld's pull secrets, pull policy and security context (examples/platform.yaml)", () => {
    for (const name of ['platform-zone1-cell-info', 'platform-zone1-commerce-keyspace']) {
      const pod = template(find(objects, 'Job', name));
      expect(pod.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
      expect(pod.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
      expect(pod.spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    }
  });

  test("a shard's Jobs take its replica pool's (here a slow-shutdown Job), never its env or volumes", () => {
    const scope = { ...TABLET_SCOPE, jobPod: jobPodSettings({ imagePullSecrets: [{ name: 'regcred' }], securityContext: {}, extraEnv: [{ name: 'TZ', value: 'UTC' }] }) };
    const job = slowShutdownJob(scope, { name: 't', uid: 1, type: 'replica' }, 'zone1-0000000001', 'vitess/lite:v24.0.3', 'vtctld:15999', 'r');
    expect(job.spec?.template.spec?.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(job.spec?.template.spec?.securityContext).toEqual({});
    expect(job.spec?.template.spec?.containers[0]?.env?.some((e) => e.name === 'TZ')).toBe(false);
  });
});
