/** What Pod settings cannot be (lib/api/pod.ts), and where each layer refuses them. */
import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { ClusterSpec } from '../../lib/api/cluster.ts';
import { podSettingsProblems, reservedAnnotationProblems, reservedLabelProblems } from '../../lib/api/pod.ts';
import { clusterProblems } from '../../lib/sync/cluster.ts';
import type { ObservedParent } from '../../lib/metacontroller/request.ts';

describe('podSettingsProblems', () => {
  test('labels on our keys, our annotations, AppArmor and mesh sidecar annotations are refused with their paths (the spec.template rule)', () => {
    const labels = reservedLabelProblems({ 'vitess.io/component': 'vtgate', 'vitess.io/anything': 'x', 'app.kubernetes.io/name': 'vitess-operator-hooks', team: 'data' }, 'p.podLabels');
    expect(labels.map((p) => p.split(':')[0])).toEqual(['p.podLabels.vitess.io/component', 'p.podLabels.vitess.io/anything', 'p.podLabels.app.kubernetes.io/name']);
    expect(labels[0]).toContain("may not be set on the operator's Pods");
    const problems = reservedAnnotationProblems({ 'vitess.io/revision': 'x', 'container.apparmor.security.beta.kubernetes.io/vttablet': 'unconfined', 'sidecar.istio.io/inject': 'true', 'linkerd.io/inject': 'enabled', 'prometheus.io/scrape': 'true' }, 'p');
    expect(problems.map((p) => p.split(':')[0])).toEqual(['p.vitess.io/revision', 'p.container.apparmor.security.beta.kubernetes.io/vttablet', 'p.sidecar.istio.io/inject', 'p.linkerd.io/inject']);
  });

  test('hostPath volumes, our volume and env names, duplicate volumes and mounts of unknown volumes', () => {
    const problems = podSettingsProblems(
      {
        extraVolumes: [{ name: 'node', hostPath: { path: '/' } }, { name: 'vtdataroot', emptyDir: {} }, { name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }],
        extraVolumeMounts: [{ name: 'missing', mountPath: '/m' }, { name: 'a', mountPath: '/a' }],
        extraEnv: [{ name: 'VTDATAROOT', value: '/tmp' }, { name: 'TZ', value: 'UTC' }],
      },
      'spec.x',
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual(['spec.x.extraVolumes[0].hostPath', 'spec.x.extraVolumes[1].name', 'spec.x.extraVolumes[3].name', 'spec.x.extraVolumeMounts[0].name', 'spec.x.extraEnv[0].name']);
  });

  test('settings within the rules have no problems', () => {
    expect(podSettingsProblems({ podLabels: { team: 'data' }, podAnnotations: { 'prometheus.io/scrape': 'true' }, extraVolumes: [{ name: 's', emptyDir: {} }], extraVolumeMounts: [{ name: 's', mountPath: '/s' }], securityContext: {} }, 'p')).toEqual([]);
  });
});

const parent = { metadata: { name: 'c', namespace: 'default' } } as ObservedParent;
const cluster = (extra: Record<string, unknown>, cell: Record<string, unknown> = {}) =>
  v.parse(ClusterSpec, {
    selector: { matchLabels: { app: 'c' } },
    template: { metadata: { labels: { app: 'c' } } },
    cells: [{ name: 'zone1', etcd: { size: 1 }, vtctld: {}, vtgate: {}, ...cell }],
    keyspaces: [{ name: 'main', cells: ['zone1'], tablets: { defaults: { extraVolumes: [{ name: 's', emptyDir: {} }] }, replica: { extraVolumeMounts: [{ name: 's', mountPath: '/s' }] } } }],
    ...extra,
  });

describe('the cluster refuses (InvalidSpec) what its Pods cannot take', () => {
  test('a pool mount may name a volume of `defaults` (checked on the merged pool)', () => {
    expect(clusterProblems(cluster({}), parent)).toEqual([]);
  });

  test("a label on our keys at vtgate, a hostPath at etcd, with the user's paths", () => {
    const problems = clusterProblems(cluster({}, { vtgate: { podLabels: { 'vitess.io/shard': 'x' } }, etcd: { size: 1, extraVolumes: [{ name: 'h', hostPath: { path: '/var' } }] } }), parent);
    expect(problems.map((p) => p.split(':')[0])).toEqual(['spec.cells[0].etcd.extraVolumes[0].hostPath', 'spec.cells[0].vtgate.podLabels.vitess.io/shard']);
  });

  test('vtgate autoscaling with replicas beside it, or minReplicas above maxReplicas', () => {
    expect(clusterProblems(cluster({}, { vtgate: { replicas: 2, autoscaling: { maxReplicas: 4 } } }), parent)).toEqual([
      "spec.cells[0].vtgate.replicas: set replicas or autoscaling, not both (the HorizontalPodAutoscaler sets vtgate's replicas)",
    ]);
    expect(clusterProblems(cluster({}, { vtgate: { autoscaling: { minReplicas: 5, maxReplicas: 4 } } }), parent)).toEqual(['spec.cells[0].vtgate.autoscaling.minReplicas: (5) must be <= maxReplicas (4)']);
  });

  test('Pod settings with provider etcd-operator (its pod policy cannot carry them)', () => {
    const problems = clusterProblems(cluster({}, { etcd: { provider: 'etcd-operator', imagePullSecrets: [{ name: 'r' }] } }), parent);
    expect(problems).toEqual(["spec.cells[0].etcd.imagePullSecrets: not supported with provider etcd-operator: set it in etcd-operator's own deployment, or use provider builtin"]);
  });

  test('engine xtrabackup with MySQL 8.0 tablets on v24 vitess/lite (xtrabackup 8.4); fine with 8.4, or with a rootPath of your own', () => {
    const backup = (xtrabackup?: Record<string, unknown>) => ({ location: { s3: { region: 'r', bucket: 'b' } }, engine: 'xtrabackup', ...(xtrabackup === undefined ? {} : { xtrabackup }) });
    const problems = clusterProblems(cluster({ backup: backup(), images: { mysql: 'mysql:8.0.40' } }), parent);
    expect(problems).toEqual([
      'spec.keyspaces[0].tablets.replica: backup engine xtrabackup: vitess/lite:v24.0.3 carries xtrabackup 8.4, which cannot back up MySQL 8.0 (mysql:8.0.40): run MySQL 8.4, or a Vitess image whose xtrabackup matches (set backup.xtrabackup.rootPath for one you installed), or engine builtin',
    ]);
    expect(clusterProblems(cluster({ backup: backup() }), parent)).toEqual([]);
    expect(clusterProblems(cluster({ backup: backup({ rootPath: '/opt/xtrabackup-80/bin' }), images: { mysql: 'mysql:8.0.40' } }), parent)).toEqual([]);
  });
});
