/**
 * Issue 18, item 7: TLS for the built-in etcd (spec.tls.etcd). etcd serves its client port over
 * HTTPS and asks for client certificates; every Vitess process that talks to the topology presents
 * the Secret's certificate (`--topo-etcd-tls-*`, v24.0.3's flags).
 */
import { describe, expect, test } from 'bun:test';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { clusterLayer } from '../../lib/sync/cluster.ts';
import { allObjects, containersOf, execFlagValue, find, NOW, podSpecOf, renderTree, seedCluster } from '../templates/seed-tree.ts';

type Spec = Record<string, any>;

function withSpec(edit: (spec: Spec) => void): KubeObject {
  const root = seedCluster();
  const spec = structuredClone(root.spec) as Spec;
  edit(spec);
  return { ...root, spec };
}

const withTls = withSpec((s) => {
  s.tls = { etcd: { secretName: 'vitess-etcd-tls' } };
  s.backup = { location: { gcs: { bucket: 'b' } }, initialBackup: true };
});
const objects = allObjects(renderTree(withTls));

const FILES = { 'topo-etcd-tls-cert': '/vt/tls/etcd/tls.crt', 'topo-etcd-tls-key': '/vt/tls/etcd/tls.key', 'topo-etcd-tls-ca': '/vt/tls/etcd/ca.crt' };
const VOLUME = { name: 'etcd-tls', secret: { secretName: 'vitess-etcd-tls', defaultMode: 0o440 } };

describe('spec.tls.etcd', () => {
  test('etcd: the client port over HTTPS with client certificates required; peers unchanged; the probes present the certificate', () => {
    const etcd = find(objects, 'StatefulSet', 'vitess-global-etcd');
    const c = containersOf(etcd)[0]!;
    const command = c.command ?? [];
    expect(command).toContain('--listen-client-urls=https://0.0.0.0:2379');
    expect(command.find((a) => a.startsWith('--advertise-client-urls='))).toStartWith('--advertise-client-urls=https://');
    expect(command).toEqual(expect.arrayContaining(['--cert-file=/etc/etcd/tls/tls.crt', '--key-file=/etc/etcd/tls/tls.key', '--client-cert-auth=true', '--trusted-ca-file=/etc/etcd/tls/ca.crt']));
    expect(command.find((a) => a.startsWith('--listen-peer-urls='))).toBe('--listen-peer-urls=http://0.0.0.0:2380');
    expect(JSON.stringify(c.readinessProbe)).toContain('https://127.0.0.1:2379');
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'ETCDCTL_CERT', value: '/etc/etcd/tls/tls.crt' }, { name: 'ETCDCTL_CACERT', value: '/etc/etcd/tls/ca.crt' }]));
    expect(podSpecOf(etcd)?.volumes).toContainEqual(VOLUME);
  });

  test('every Vitess process that talks to the topology presents the certificate: vtctld, vtgate, vtorc, vttablet, vtbackup', () => {
    const seen = new Set<string>();
    for (const o of objects) {
      for (const c of containersOf(o)) {
        if (!['vtctld', 'vtgate', 'vtorc', 'vttablet', 'vtbackup'].includes(c.name)) continue;
        seen.add(c.name);
        for (const [flag, file] of Object.entries(FILES)) expect({ object: o.metadata.name, c: c.name, flag, value: execFlagValue(c, flag) }).toEqual({ object: o.metadata.name, c: c.name, flag, value: file });
        expect(c.volumeMounts as unknown[]).toContainEqual({ name: 'etcd-tls', mountPath: '/vt/tls/etcd', readOnly: true });
        expect(podSpecOf(o)?.volumes).toContainEqual(VOLUME);
      }
    }
    expect([...seen].sort()).toEqual(['vtbackup', 'vtctld', 'vtgate', 'vtorc', 'vttablet']);
  });

  test('without it: no etcd TLS anywhere', () => {
    const text = JSON.stringify(allObjects(renderTree()));
    expect(text).not.toContain('etcd-tls');
    expect(text).not.toContain('https://');
  });

  test('with provider etcd-operator: refused (InvalidSpec), path and fix', () => {
    const parent = withSpec((s) => {
      s.tls = { etcd: { secretName: 'x' } };
      s.cells[0].etcd = { ...s.cells[0].etcd, provider: 'etcd-operator' };
    });
    const status = clusterLayer.sync(parseSyncRequest({ controller: {}, parent, children: {} }, 'VitessCluster'), { now: NOW }).status as { problems?: string[] };
    expect(status.problems).toEqual([
      'spec.cells[0].etcd.provider: (etcd-operator) not supported with spec.tls.etcd: an EtcdCluster takes its certificates in Secrets of its own layout; use provider builtin',
    ]);
  });
});
