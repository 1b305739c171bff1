/**
 * Laws of the escaping that keeps a spec value out of the kubelet's `$(VAR)` expansion and out of the
 * shell (lib/kube/expansion.ts, lib/templates/vtctldclient-job.ts), over random strings biased towards
 * `$`, `(`, `)`, quotes, backticks, `;` and newlines:
 *
 * - literal round trip: the kubelet's expansion of kubeletLiteral(s) is s, whatever the environment;
 * - argument round trip: a flag value reaches the binary's argv exactly (flagArgs, then expansion),
 *   except a value that is exactly one of our own downward-API references;
 * - scripts run nothing: the cell registration Job, run under sh with vtctldclient stubbed, calls the
 *   stub with the random cell, root and address exactly and runs nothing else (FC_RUNS / 20 cases:
 *   each starts two processes).
 * FC_RUNS cases (default 1000); FC_SEED replays.
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { KUBELET_REFERENCES, kubeletExpand, kubeletLiteral } from '../../lib/kube/expansion.ts';
import { cellInfoJob } from '../../lib/templates/cell-info-job.ts';
import { flagArgs } from '../../lib/vitess/flags.ts';
import { runs } from '../arbitraries/index.ts';
import { runContainer } from '../templates/run-container.ts';

/** Strings made mostly of the characters that mean something to the kubelet or a shell. */
const hostileText = fc.string({
  unit: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('$', '(', ')', '$(', '$$', '$$(', ')', "'", '"', '`', ';', '&', '|', '\n', ' ', '*', '\\', 'VAR', 'POD_IP', 'touch m') },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 40,
});
/** NUL cannot be in an argv entry or an environment value at all. */
const value = hostileText.map((text) => text.replaceAll('\0', ''));
const environment = fc.dictionary(fc.constantFrom('VAR', 'POD_IP', 'X', 'VTCTLDCLIENT_SERVER', 'CELL'), fc.string({ maxLength: 10 }));

describe('kubelet expansion laws', () => {
  test('literal round trip: expand(kubeletLiteral(s), env) === s', () => {
    fc.assert(
      fc.property(value, environment, (text, env) => {
        expect(kubeletExpand(kubeletLiteral(text), env)).toBe(text);
      }),
      runs(),
    );
  });

  test('argument round trip: a flag value reaches argv exactly, but for our own references', () => {
    fc.assert(
      fc.property(
        value.filter((text) => !KUBELET_REFERENCES.has(text)),
        environment,
        (text, env) => {
          const [arg] = flagArgs({ 'some-flag': text });
          expect(kubeletExpand(arg as string, env)).toBe(`--some-flag=${text}`);
        },
      ),
      runs(),
    );
  });

  test('scripts run nothing: the cell registration Job calls vtctldclient with the values exactly', () => {
    fc.assert(
      fc.property(value, value, value, (cell, root, address) => {
        const job = cellInfoJob({
          cluster: 'c',
          cell,
          cellObject: 'c-zone1',
          template: {},
          topology: { implementation: 'etcd2', global: { address: 'g:2379', root: '/vitess/global' }, cell: { address, root } },
          vtctldAddress: 'vtctld:15999',
          vitessImage: 'vitess/lite:v24.0.3',
        });
        const container = job.spec?.template.spec?.containers[0];
        if (container === undefined) throw new Error('no container');
        const run = runContainer(container, { vtctldclient: 'case $2 in GetCellInfo) exit 1;; esac' });
        expect(run.status).toBe(0);
        expect(run.calls.map((call) => call.args)).toEqual([
          ['--server=vtctld:15999', 'GetCellInfo', cell],
          ['--server=vtctld:15999', 'AddCellInfo', `--root=${root}`, `--server-address=${address}`, cell],
        ]);
        // Nothing but the stub wrote into the run's folder (a `touch m` would leave `m` there).
        expect(readdirSync(run.dir).sort()).toEqual(['bin', 'calls', 'mnt', 'records', 'vt']);
        expect(readdirSync(join(run.dir, 'records'))).toEqual([]);
      }),
      runs({ numRuns: Math.max(10, Math.floor(Number(process.env.FC_RUNS ?? 1000) / 20)) }),
    );
  });
});
