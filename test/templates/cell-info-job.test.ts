import { describe, expect, test } from 'bun:test';
import { allObjects, container, find, renderTree } from './seed-tree.ts';

const objects = allObjects(renderTree());

describe('cell registration Job (seed zone1)', () => {
  test('zone1 is registered with its root and topology address; global is not a Vitess cell', () => {
    const job = find(objects, 'Job', 'vitess-zone1-cell-info') as any;
    const c = container(job, 'vtctldclient');
    const script = c.command?.join(' ') ?? '';
    expect(script).toContain('AddCellInfo --root=/vitess/zone1 --server-address=vitess-global-etcd-client:2379 zone1');
    expect(script).toContain('UpdateCellInfo');
    expect(c.env).toContainEqual({ name: 'VTCTLDCLIENT', value: '/vt/bin/vtctldclient --server=vitess-global-vtctld:15999' });
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
    expect(objects.some((o) => o.kind === 'Job' && o.metadata.name === 'vitess-global-cell-info')).toBe(false);
  });
});
