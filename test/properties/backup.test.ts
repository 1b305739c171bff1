/**
 * Laws of backups (lib/api/backup.ts, docs/decisions/0011-backups.md), over random valid clusters with
 * a typed backup location (and sometimes the seed's raw backupFlags beside it), rendered top down
 * through the four layers on their first sync:
 *
 * - one storage: every vttablet, every vtbackup and every vtctld gets the same storage flags, the same
 *   credential environment and the same backup volumes, and the user's raw backupFlags win in each;
 * - each binary gets only flags it registers: vtctld no xtrabackup or restore flags, vtbackup no restore flags;
 * - one owner per Vitess shard: of a keyspace's cells, exactly one runs each shard's initial backup Job
 *   and (with a schedule) its BackupShard CronJob, for that keyspace/shard;
 * - every tablet restores (`--restore-from-backup=true`).
 * FC_RUNS cases (default 1000); FC_SEED replays.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import type { KubeObject } from '../../lib/kube/object.ts';
import { mergeFlags } from '../../lib/vitess/flags.ts';
import { buildSpec, clusterName, clusterObject, specBlueprint } from '../arbitraries/cluster.ts';
import { runs } from '../arbitraries/index.ts';
import { allObjects, type ContainerLike, podSpecOf, renderTree } from '../templates/seed-tree.ts';

const STORAGE = /^(backup-storage-implementation|s3-|gcs-|azblob-|ceph-|file-backup-)/;

/** `--name=value` flags of a container's command, by name. */
function flagsOf(c: ContainerLike): Record<string, string> {
  const command = c.command ?? [];
  // The initial backup Job's script ends `exec "$@"`: vtbackup's words are the script's arguments.
  const words = command[0] === '/bin/sh' ? command.slice(4) : command;
  return Object.fromEntries(words.filter((a) => a.startsWith('--')).map((a) => [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
}

function storageOf(flags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(flags).filter(([name]) => STORAGE.test(name)));
}

interface Process {
  object: KubeObject;
  container: ContainerLike;
  volumes: unknown[];
}

function processes(objects: readonly KubeObject[], name: string): Process[] {
  const found: Process[] = [];
  for (const object of objects) {
    for (const spec of [podSpecOf(object), (object.spec as { jobTemplate?: { spec?: { template?: { spec?: unknown } } } } | undefined)?.jobTemplate?.spec?.template?.spec]) {
      const pod = spec as ReturnType<typeof podSpecOf>;
      const container = pod?.containers.find((c) => c.name === name);
      if (container !== undefined) found.push({ object, container, volumes: (pod?.volumes ?? []).filter((v: { name: string }) => v.name.startsWith('backup')) });
    }
  }
  return found;
}

const backedUp = fc.record({ name: clusterName, blueprint: specBlueprint(), raw: fc.boolean() }).filter(({ blueprint }) => blueprint.backup !== undefined && blueprint.keyspaces.length > 0);

describe('backups', () => {
  test('one storage: vttablet, vtbackup and vtctld get the same storage flags, credentials and volumes; raw backupFlags win', () => {
    fc.assert(
      fc.property(backedUp, ({ name, blueprint, raw }) => {
        const spec = buildSpec({ ...blueprint, backupFlags: raw ? { s3_backup_aws_retries: '5', 'backup-storage-compress': 'false' } : undefined }, name);
        const objects = allObjects(renderTree({ ...clusterObject(name, spec), metadata: { name, namespace: 'default', uid: 'u', generation: 1 } }));
        const all = [...processes(objects, 'vttablet'), ...processes(objects, 'vtbackup'), ...processes(objects, 'vtctld')];
        const reference = all[0] as Process;
        const expected = storageOf(flagsOf(reference.container));
        expect(expected['backup-storage-implementation']).toBeDefined();
        for (const p of all) {
          const flags = flagsOf(p.container);
          expect({ at: `${p.object.kind}/${p.object.metadata.name}`, storage: storageOf(flags) }).toEqual({ at: `${p.object.kind}/${p.object.metadata.name}`, storage: expected });
          expect((p.container.env ?? []).filter((e) => /CREDENTIALS/.test(e.name))).toEqual((reference.container.env ?? []).filter((e) => /CREDENTIALS/.test(e.name)));
          expect(p.volumes).toEqual(reference.volumes);
          if (raw) expect(mergeFlags(flags, spec.backupFlags)).toEqual(flags);
        }
        for (const p of processes(objects, 'vtctld')) expect(Object.keys(flagsOf(p.container)).filter((f) => /^(xtrabackup-|restore-|wait-for-backup)/.test(f))).toEqual([]);
        for (const p of processes(objects, 'vtbackup')) expect(Object.keys(flagsOf(p.container)).filter((f) => /^(restore-|wait-for-backup)/.test(f))).toEqual([]);
        for (const p of processes(objects, 'vttablet')) expect(flagsOf(p.container)['restore-from-backup']).toBe('true');
      }),
      runs(),
    );
  }, 120_000);

  test("one owner per Vitess shard: exactly one cell runs each shard's initial backup and BackupShard schedule", () => {
    fc.assert(
      fc.property(backedUp, ({ name, blueprint }) => {
        const spec = buildSpec(blueprint, name);
        const objects = allObjects(renderTree({ ...clusterObject(name, spec), metadata: { name, namespace: 'default', uid: 'u', generation: 1 } }));
        const backup = spec.backup as { initialBackup?: boolean; schedule?: { cron?: string } };
        const shards = objects.filter((o) => o.kind === 'VitessShard').map((o) => o.spec as { keyspace: string; name: string });
        const vitessShards = new Set(shards.map((s) => `${s.keyspace}/${s.name}`));
        const initial = processes(objects, 'vtbackup').map((p) => `${flagsOf(p.container)['init-keyspace']}/${flagsOf(p.container)['init-shard']}`);
        // BackupShard's last argument is <keyspace>/<shard> (the CronJob runs vtctldclient directly).
        const scheduled = objects
          .filter((o) => o.kind === 'CronJob')
          .map((o) => ((o.spec as { jobTemplate: { spec: { template: { spec: { containers: ContainerLike[] } } } } }).jobTemplate.spec.template.spec.containers[0]?.command ?? []).at(-1));
        expect(initial.sort()).toEqual(backup.initialBackup === false ? [] : [...vitessShards].sort());
        expect(scheduled.sort()).toEqual(backup.schedule?.cron === undefined ? [] : [...vitessShards].sort());
      }),
      runs(),
    );
  }, 120_000);
});
