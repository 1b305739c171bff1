/** metacontroller/observer.yaml: the observer's Deployment and its least RBAC (docs/decisions/0016-vitess-state-channel.md). */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const DIR = join(import.meta.dir, '..', '..', 'metacontroller');
type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: any };
const docs = (file: string): Doc[] => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => d.toJSON() as Doc);
const observer = docs('observer.yaml');
const hookDeployment = docs('hooks.yaml').find((d) => d.kind === 'Deployment') as Doc;
const deployment = observer.find((d) => d.kind === 'Deployment') as Doc;

describe('metacontroller/observer.yaml', () => {
  test('one replica of the hook image running hooks/observer.ts, replaced (not surged) on update', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const [c] = deployment.spec.template.spec.containers;
    expect(c.image).toBe(hookDeployment.spec.template.spec.containers[0].image);
    expect(c.command).toEqual(['bun', 'run', 'hooks/observer.ts']);
    expect(existsSync(join(DIR, '..', 'hooks', 'observer.ts'))).toBe(true);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
  });

  test('non-root, read-only root filesystem, no privilege escalation, no capabilities', () => {
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(pod.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.serviceAccountName).toBe('vitess-operator-observer');
  });

  test('least RBAC: list Pods; list and patch VitessShards; bound to the observer\'s ServiceAccount only', () => {
    const role = observer.find((d) => d.kind === 'ClusterRole') as Doc;
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
      { apiGroups: ['vitess.io'], resources: ['vitessshards'], verbs: ['list', 'patch'] },
    ]);
    const binding = observer.find((d) => d.kind === 'ClusterRoleBinding') as Doc;
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'vitess-operator-observer', namespace: deployment.metadata.namespace }]);
  });
});
