import { describe, expect, test } from 'bun:test';
import { allObjects, container, find, flagValue, renderTree } from './seed-tree.ts';

const objects = allObjects(renderTree());

describe('vtorc (the seed orchestrator, in zone1 only)', () => {
  const vtorc = () => container(find(objects, 'Deployment', 'vitess-zone1-vtorc'), 'vtorc');

  test('only the tablet cell runs vtorc', () => {
    expect(objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.endsWith('-vtorc')).map((o) => o.metadata.name)).toEqual(['vitess-zone1-vtorc']);
  });

  test('flags: --cell (mandatory in v25) and the keyspaces to watch, dashed topo flags', () => {
    const c = vtorc();
    expect(c.command?.[0]).toBe('/vt/bin/vtorc');
    expect(flagValue(c, 'cell')).toBe('zone1');
    expect(flagValue(c, 'clusters-to-watch')).toBe('main');
    expect(flagValue(c, 'topo-implementation')).toBe('etcd2');
    expect(flagValue(c, 'port')).toBe('15000');
  });

  test('probes (docs/vitess.md): readiness GET /debug/health, liveness GET /debug/liveness', () => {
    const c = vtorc();
    expect(c.readinessProbe?.httpGet?.path).toBe('/debug/health');
    expect(c.livenessProbe?.httpGet?.path).toBe('/debug/liveness');
  });
});
