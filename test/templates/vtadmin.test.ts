import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { KubeObject } from '../../lib/kube/object.ts';
import { allObjects, container, find, flagValue, podSpecOf, renderTree, seedCluster } from './seed-tree.ts';

function render(file: string, edit: (spec: Record<string, unknown>) => Record<string, unknown> = (s) => s): KubeObject[] {
  const document = parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8')) as KubeObject;
  return allObjects(renderTree({ ...document, spec: edit(document.spec as Record<string, unknown>), metadata: { ...document.metadata, namespace: 'default', uid: 'u', generation: 1 } }));
}

describe('vtadmin (examples/vtadmin.yaml)', () => {
  const objects = render('vtadmin.yaml');
  const api = find(objects, 'Deployment', 'mini-zone1-vtadmin-api');
  const web = find(objects, 'Deployment', 'mini-zone1-vtadmin-web');
  const config = find(objects, 'ConfigMap', 'mini-zone1-vtadmin') as KubeObject & { data: Record<string, string> };

  test('static discovery: the cluster\'s vtctld (gRPC and web) and every vtgate', () => {
    expect(JSON.parse(config.data['discovery.json'] ?? '')).toEqual({
      vtctlds: [{ host: { hostname: 'mini-zone1-vtctld:15999', FQDN: 'mini-zone1-vtctld:15000' } }],
      vtgates: [{ host: { hostname: 'mini-zone1-vtgate:15999' } }],
    });
  });

  test('vtadmin-api: one cluster from the mounted discovery file, CORS for the web origin, RBAC from the Secret', () => {
    const c = container(api, 'vtadmin-api');
    expect(flagValue(c, 'cluster')).toBe('id=mini,name=mini,discovery=staticfile,discovery-staticfile-path=/vt/vtadmin/discovery.json,tablet-fqdn-tmpl={{ .Tablet.Hostname }}:15000');
    expect(flagValue(c, 'http-origin')).toBe('http://localhost:14201');
    expect([flagValue(c, 'rbac'), flagValue(c, 'rbac-config'), flagValue(c, 'no-rbac')]).toEqual(['true', '/vt/vtadmin/rbac/rbac.yaml', undefined]);
    expect(c.volumeMounts?.map((m) => m.mountPath)).toEqual(['/vt/vtadmin', '/vt/vtadmin/rbac']);
    expect(podSpecOf(api)?.volumes?.find((v) => v.name === 'rbac').secret).toEqual({ secretName: 'mini-vtadmin-rbac', defaultMode: 0o440, items: [{ key: 'rbac.yaml', path: 'rbac.yaml' }] });
    expect(c.readinessProbe?.httpGet?.path).toBe('/health');
  });

  test('vtadmin-web: the image\'s nginx as its own user, the API address in the runtime config it serves', () => {
    const c = container(web, 'vtadmin-web');
    expect(c.command).toBeUndefined();
    expect((podSpecOf(web) as { securityContext?: { runAsUser?: number } }).securityContext?.runAsUser).toBe(101);
    expect(c.volumeMounts?.map((m) => m.mountPath)).toEqual(['/var/www/config']);
    expect(config.data['config.js']).toContain('"VITE_VTADMIN_API_ADDRESS": "http://localhost:14200"');
  });

  test('a changed address rolls both (the ConfigMap\'s hash is in both Pod templates)', () => {
    const moved = render('vtadmin.yaml', (spec) => ({ ...spec, vtadmin: { ...(spec.vtadmin as object), apiAddress: 'https://vtadmin-api.example.com' } }));
    for (const name of ['mini-zone1-vtadmin-api', 'mini-zone1-vtadmin-web']) {
      const hash = (o: KubeObject) => (o.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['vitess.io/config-hash'];
      expect(hash(find(moved, 'Deployment', name))).not.toBe(hash(find(objects, 'Deployment', name)));
    }
  });

  test('allowAll runs --no-rbac and mounts no RBAC Secret', () => {
    const open = render('vtadmin.yaml', (spec) => ({ ...spec, vtadmin: { apiAddress: 'http://a', webAddress: 'http://b', allowAll: true } }));
    const c = container(find(open, 'Deployment', 'mini-zone1-vtadmin-api'), 'vtadmin-api');
    expect([flagValue(c, 'no-rbac'), flagValue(c, 'rbac')]).toEqual(['true', undefined]);
    expect(c.volumeMounts?.map((m) => m.mountPath)).toEqual(['/vt/vtadmin']);
  });

  test('without spec.vtadmin nothing of it is rendered', () => {
    expect(allObjects(renderTree(seedCluster())).filter((o) => o.metadata.name.includes('vtadmin'))).toEqual([]);
  });
});
