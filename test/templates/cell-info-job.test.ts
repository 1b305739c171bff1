import { describe, expect, test } from 'bun:test';
import { runContainer } from './run-container.ts';
import { allObjects, container, find, renderTree } from './seed-tree.ts';

const objects = allObjects(renderTree());

describe('cell registration Job (seed zone1)', () => {
  test('zone1 is registered with its root and topology address; global is not a Vitess cell', () => {
    const job = find(objects, 'Job', 'vitess-zone1-cell-info') as any;
    const c = container(job, 'vtctldclient');
    // Run with a stand-in vtctldclient: a new cell is added, a known one updated.
    const connection = '--server=vitess-global-vtctld:15999';
    const register = ['--root=/vitess/zone1', '--server-address=vitess-global-etcd-client:2379', 'zone1'];
    const added = runContainer(c, { vtctldclient: 'case $2 in GetCellInfo) exit 1;; esac' });
    expect(added.status).toBe(0);
    expect(added.calls.map((call) => call.args)).toEqual([[connection, 'GetCellInfo', 'zone1'], [connection, 'AddCellInfo', ...register]]);
    const updated = runContainer(c, { vtctldclient: '' });
    expect(updated.calls.map((call) => call.args)).toEqual([[connection, 'GetCellInfo', 'zone1'], [connection, 'UpdateCellInfo', ...register]]);
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
    expect(objects.some((o) => o.kind === 'Job' && o.metadata.name === 'vitess-global-cell-info')).toBe(false);
  });
});
