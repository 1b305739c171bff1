import { describe, expect, test } from 'bun:test';
import { references } from '../../lib/kube/references.ts';

describe('references', () => {
  test("finds every reference field of a Pod template, in a Deployment, and none in metadata or status", () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', annotations: { secretName: 'not-a-reference' } },
      spec: {
        template: {
          metadata: { labels: { priorityClassName: 'no' } },
          spec: {
            priorityClassName: 'pc',
            runtimeClassName: 'rc',
            serviceAccountName: 'sa',
            imagePullSecrets: [{ name: 'pull' }],
            containers: [
              {
                name: 'c',
                env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } }, { name: 'B', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'k' } } }],
                envFrom: [{ secretRef: { name: 'from-secret' } }, { configMapRef: { name: 'from-cm' } }],
              },
            ],
            volumes: [
              { name: 'a', secret: { secretName: 'vol-secret' } },
              { name: 'b', configMap: { name: 'vol-cm' } },
              { name: 'c', persistentVolumeClaim: { claimName: 'claim' } },
              { name: 'd', projected: { sources: [{ secret: { name: 'proj-secret' } }, { configMap: { name: 'proj-cm' } }] } },
              { name: 'e', csi: { driver: 'x', nodePublishSecretRef: { name: 'csi-secret' } } },
            ],
          },
        },
        volumeClaimTemplates: [{ spec: { storageClassName: 'fast' } }],
      },
      status: { secretName: 'no' },
    };
    expect(references(deployment)).toEqual(
      [
        'ConfigMap/env-cm',
        'ConfigMap/from-cm',
        'ConfigMap/proj-cm',
        'ConfigMap/vol-cm',
        'PersistentVolumeClaim/claim',
        'PriorityClass/pc',
        'RuntimeClass/rc',
        'Secret/csi-secret',
        'Secret/env-secret',
        'Secret/from-secret',
        'Secret/proj-secret',
        'Secret/pull',
        'Secret/vol-secret',
        'ServiceAccount/sa',
        'StorageClass/fast',
      ].sort(),
    );
  });

  test("our API's Secret references: secretName fields and the backup credentials", () => {
    const spec = { mysqlUsers: { secretName: 'users' }, backup: { location: { s3: { credentialsSecret: { name: 'creds', key: 'credentials' } } } }, tls: { grpc: { secretName: 'grpc' } } };
    expect(references(spec)).toEqual(['Secret/creds', 'Secret/grpc', 'Secret/users']);
  });

  test('nothing in scalars, empty names, or junk', () => {
    expect(references(null)).toEqual([]);
    expect(references({ priorityClassName: '', secretRef: { name: 3 }, imagePullSecrets: ['x', null] })).toEqual([]);
  });
});
