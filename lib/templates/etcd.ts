/**
 * The topology etcd of a cell. By default the operator runs it itself: a StatefulSet with a PVC per
 * member, static bootstrap, a headless peer Service, a client Service and a PDB that keeps quorum.
 * For etcd-operator users, an EtcdCluster instead (its operator names the client Service `<name>-client`,
 * the same name ours has, so the topology address does not depend on the provider).
 */
import type { V1Affinity, V1PodDisruptionBudget, V1Service, V1StatefulSet, V1Toleration } from '@kubernetes/client-node';
import type { ResolvedEtcdSpec } from '../api/passdown.ts';
import { componentSelector } from '../vitess/labels.ts';
import { asKubeObjects, type KubeObject } from '../kube/object.ts';
import { etcdClientServiceName, etcdName } from '../vitess/names.ts';
import { PORTS } from '../vitess/ports.ts';
import type { CellScope } from './cell-scope.ts';
import { etcdServerTls } from './access.ts';
import { container, NO_SERVICE_ACCOUNT_TOKEN, objectMeta, resources } from './meta.ts';
import { podPlacement } from './placement.ts';
import { servicePort } from './workload.ts';
import { withPodMetadata, withPodSettings } from './pod-settings.ts';

const COMPONENT = 'etcd';
const DATA_DIR = '/var/lib/etcd';
const TLS_DIR = '/etc/etcd/tls';

export function etcdObjects(scope: CellScope, spec: ResolvedEtcdSpec): KubeObject[] {
  if (spec.provider === 'etcd-operator') return [etcdCluster(scope, spec)];
  return asKubeObjects([peerService(scope), clientService(scope), statefulSet(scope, spec), disruptionBudget(scope, spec)]);
}

function etcdCluster(scope: CellScope, spec: ResolvedEtcdSpec): KubeObject {
  const pod = etcdPodPolicy(spec);
  return {
    apiVersion: 'etcd.database.coreos.com/v1beta2',
    kind: 'EtcdCluster',
    metadata: objectMeta(scope, etcdName(scope.cellObject), COMPONENT) as KubeObject['metadata'],
    spec: { size: spec.size, version: spec.version, ...(pod === undefined ? {} : { pod }) },
  };
}

/** The placement an EtcdCluster's `spec.pod` (etcd-operator's PodPolicy, v1beta2) can carry. */
export interface EtcdPodPolicy {
  nodeSelector?: Record<string, string>;
  tolerations?: V1Toleration[];
  affinity?: V1Affinity;
}

/**
 * The cell's etcd placement as etcd-operator's PodPolicy: `nodeSelector` (the cell's zone included),
 * `tolerations` and `affinity`, which etcd-operator copies onto every member Pod it creates
 * (pkg/util/k8sutil applyPodPolicy). PodPolicy has no topology spread and no priority class: the
 * cluster refuses those with this provider (lib/sync/cluster.ts), and there is no default spread to
 * lose (our own etcd gets none either). Undefined when nothing is set, so an EtcdCluster without
 * placement keeps the bytes it always had. etcd-operator applies `spec.pod` only to members it
 * creates afterwards ("Updating Pod does not take effect on any existing etcd pods").
 */
export function etcdPodPolicy(spec: ResolvedEtcdSpec): EtcdPodPolicy | undefined {
  const policy: EtcdPodPolicy = {
    ...(spec.nodeSelector === undefined || Object.keys(spec.nodeSelector).length === 0 ? {} : { nodeSelector: spec.nodeSelector }),
    ...(spec.tolerations === undefined || spec.tolerations.length === 0 ? {} : { tolerations: spec.tolerations }),
    ...(spec.affinity === undefined ? {} : { affinity: spec.affinity }),
  };
  return Object.keys(policy).length === 0 ? undefined : policy;
}

/** Headless: gives each member the stable DNS name its peers bootstrap with, ready or not. */
function peerService(scope: CellScope): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(scope, etcdName(scope.cellObject), COMPONENT),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: componentSelector(scope, COMPONENT),
      ports: [servicePort('client', PORTS.etcdClient), servicePort('peer', PORTS.etcdPeer)],
    },
  };
}

function clientService(scope: CellScope): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(scope, etcdClientServiceName(scope.cellObject), COMPONENT),
    spec: { selector: componentSelector(scope, COMPONENT), ports: [servicePort('client', PORTS.etcdClient)] },
  };
}

function statefulSet(scope: CellScope, spec: ResolvedEtcdSpec): V1StatefulSet {
  const name = etcdName(scope.cellObject);
  const meta = objectMeta(scope, name, COMPONENT);
  const members = Array.from({ length: spec.size }, (_, i) => `${name}-${i}=http://${name}-${i}.${name}:${PORTS.etcdPeer}`);
  // Client TLS (tls.etcd): the client port serves HTTPS and asks for a client certificate signed by
  // ca.crt. etcd reads the files at every handshake, so a renewed certificate needs no restart. The
  // peer port stays plain HTTP: peer URLs live in the member list, and changing them on a running
  // cluster is a migration (etcdctl member update), not a restart.
  const tls = etcdServerTls(scope.tls, TLS_DIR);
  const scheme = tls === undefined ? 'http' : 'https';
  const endpoint = `${scheme}://127.0.0.1:${PORTS.etcdClient}`;
  const tlsFlags = tls === undefined ? [] : [`--cert-file=${tls.files.cert}`, `--key-file=${tls.files.key}`, '--client-cert-auth=true', `--trusted-ca-file=${tls.files.ca}`];
  // The probes' etcdctl presents the certificate; it dials 127.0.0.1, which the certificate need not name.
  const probeTls =
    tls === undefined
      ? []
      : [
          { name: 'ETCDCTL_CERT', value: tls.files.cert },
          { name: 'ETCDCTL_KEY', value: tls.files.key },
          { name: 'ETCDCTL_CACERT', value: tls.files.ca },
          { name: 'ETCDCTL_INSECURE_SKIP_TLS_VERIFY', value: 'true' },
        ];
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta,
    spec: {
      serviceName: name,
      replicas: spec.size,
      // Every member must be up for the static bootstrap to reach quorum: start them together.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: componentSelector(scope, COMPONENT) },
      // Topology data is never deleted with the StatefulSet or by a scale-down.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: {
        metadata: withPodMetadata({ labels: meta.labels, annotations: meta.annotations }, spec),
        spec: withPodSettings({
          securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          ...NO_SERVICE_ACCOUNT_TOKEN,
          ...podPlacement(spec),
          containers: [
            container({
              name: 'etcd',
              image: spec.image,
              command: [
                'etcd',
                '--name=$(POD_NAME)',
                `--data-dir=${DATA_DIR}`,
                `--listen-client-urls=${scheme}://0.0.0.0:${PORTS.etcdClient}`,
                `--advertise-client-urls=${scheme}://$(POD_NAME).${name}:${PORTS.etcdClient}`,
                `--listen-peer-urls=http://0.0.0.0:${PORTS.etcdPeer}`,
                `--initial-advertise-peer-urls=http://$(POD_NAME).${name}:${PORTS.etcdPeer}`,
                `--initial-cluster=${members.join(',')}`,
                `--initial-cluster-token=${name}`,
                '--initial-cluster-state=new',
                ...tlsFlags,
              ],
              env: [
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                // etcdctl before 3.4 speaks the v2 API unless told otherwise, and v2 has no `endpoint` command.
                { name: 'ETCDCTL_API', value: '3' },
                ...probeTls,
              ],
              ports: [
                { name: 'client', containerPort: PORTS.etcdClient, protocol: 'TCP' },
                { name: 'peer', containerPort: PORTS.etcdPeer, protocol: 'TCP' },
              ],
              readinessProbe: { exec: { command: ['etcdctl', `--endpoints=${endpoint}`, 'endpoint', 'health'] }, periodSeconds: 10, timeoutSeconds: 5 },
              livenessProbe: {
                exec: { command: ['etcdctl', `--endpoints=${endpoint}`, 'endpoint', 'status'] },
                initialDelaySeconds: 60,
                periodSeconds: 10,
                timeoutSeconds: 5,
                failureThreshold: 6,
              },
              resources: resources(spec.resources),
              volumeMounts: [{ name: 'data', mountPath: DATA_DIR }, ...(tls?.mounted.volumeMounts ?? [])],
            }),
          ],
          ...(tls === undefined ? {} : { volumes: tls.mounted.volumes }),
        }, spec),
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          // Identity labels only: volume claim templates are immutable, template labels are not.
          metadata: { name: 'data', labels: componentSelector(scope, COMPONENT) },
          spec: {
            accessModes: spec.volumeClaim?.accessModes ?? ['ReadWriteOnce'],
            storageClassName: spec.volumeClaim?.storageClassName,
            resources: { requests: { storage: '1Gi', ...resources(spec.volumeClaim?.resources)?.requests } },
          },
        },
      ],
    },
  };
}

/** Keeps a majority of members up through voluntary disruptions. */
function disruptionBudget(scope: CellScope, spec: ResolvedEtcdSpec): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(scope, etcdName(scope.cellObject), COMPONENT),
    spec: { minAvailable: Math.floor(spec.size / 2) + 1, selector: { matchLabels: componentSelector(scope, COMPONENT) } },
  };
}
