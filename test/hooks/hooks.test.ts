/**
 * The hook scripts: each serves its own path (imported in process, without listening), server.ts
 * serves all four, and run as processes they listen on $PORT, stop cleanly on SIGTERM, and refuse
 * to start on a bad configuration.
 */
import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { app as cellApp } from '../../hooks/sync-cell.ts';
import { app as clusterApp } from '../../hooks/sync-cluster.ts';
import { app as keyspaceApp } from '../../hooks/sync-keyspace.ts';
import { app as serverApp } from '../../hooks/server.ts';
import { app as shardApp } from '../../hooks/sync-shard.ts';
import { requestBody } from '../http/support.ts';

const HOOKS = [
  { name: 'sync-cluster', kind: 'VitessCluster', app: clusterApp },
  { name: 'sync-cell', kind: 'VitessCell', app: cellApp },
  { name: 'sync-keyspace', kind: 'VitessKeyspace', app: keyspaceApp },
  { name: 'sync-shard', kind: 'VitessShard', app: shardApp },
] as const;

const post = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

for (const hook of HOOKS) {
  test(`hooks/${hook.name}.ts serves POST /${hook.name} only`, async () => {
    const res = await hook.app.request(`/${hook.name}`, post(requestBody(hook.kind, 0)));
    // An empty spec is invalid: answered 200 with everything held and Ready=False (docs/design.md).
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { status: { conditions?: unknown[] }; children: unknown[] };
    expect(Array.isArray(answer.children)).toBe(true);
    expect(answer.status.conditions?.length).toBeGreaterThan(0);
    for (const other of HOOKS.filter((h) => h.name !== hook.name)) {
      expect((await hook.app.request(`/${other.name}`, post(requestBody(other.kind, 0)))).status).toBe(404);
    }
    expect((await hook.app.request('/healthz')).status).toBe(200);
  });
}

test('hooks/server.ts serves all four hooks, each for its own parent kind', async () => {
  for (const hook of HOOKS) {
    expect((await serverApp.request(`/${hook.name}`, post(requestBody(hook.kind, 0)))).status).toBe(200);
    const wrongKind = hook.kind === 'VitessShard' ? 'VitessCell' : 'VitessShard';
    expect((await serverApp.request(`/${hook.name}`, post(requestBody(wrongKind, 0)))).status).toBe(400);
  }
});

const ROOT = join(import.meta.dir, '..', '..');

test('bun run hooks/sync-shard.ts listens on $PORT and exits 0 on SIGTERM', async () => {
  const child = Bun.spawn([process.execPath, 'run', 'hooks/sync-shard.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOOK_HOST: '127.0.0.1', HOOK_SHUTDOWN_DELAY_MS: '0', HOOK_LOG_LEVEL: 'info' },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  try {
    const reader = child.stdout.getReader();
    let output = '';
    while (!output.includes('\n')) {
      const { done, value } = await reader.read();
      if (done) break;
      output += new TextDecoder().decode(value);
    }
    const listening = JSON.parse(output.split('\n')[0] ?? '{}') as { msg?: string; url?: string; hooks?: string[] };
    expect(listening.msg).toBe('listening');
    expect(listening.hooks).toEqual(['sync-shard']);
    const res = await fetch(`${listening.url}sync-shard`, post(requestBody('VitessShard', 0)));
    expect(res.status).toBe(200);
    reader.releaseLock();
    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('a bad configuration stops the script with exit code 2 and names the variable', async () => {
  const child = Bun.spawn([process.execPath, 'run', 'hooks/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOOK_BODY_LIMIT_BYTES: 'lots', HOOK_AUTH_TOKEN_FILE: '/nonexistent/token' },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  expect(await child.exited).toBe(2);
  const stderr = await new Response(child.stderr).text();
  expect(stderr).toContain('HOOK_BODY_LIMIT_BYTES: must be a whole number');
});
