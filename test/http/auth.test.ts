/** Credential files: trimming, empty files, rotation without restart. (Over HTTP: serve.test.ts.) */
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHookApp } from '../../lib/http/app.ts';
import { openCredentials, SecretFile } from '../../lib/http/auth.ts';
import { fakeLayer, JSON_HEADERS, requestBody } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'hook-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('an empty or missing credential file is refused at start', () => {
  writeFileSync(join(dir, 'empty'), ' \n');
  expect(() => new SecretFile(join(dir, 'empty'))).toThrow('is empty');
  expect(() => openCredentials({ kind: 'token', type: 'Bearer', tokenFile: join(dir, 'missing') })).toThrow();
});

test('a rotated token takes effect after the reload interval, the old one stops working', async () => {
  const file = join(dir, 'token');
  writeFileSync(file, 'old-token');
  let now = 1_000_000;
  const token = new SecretFile(file, () => now);
  const app = createHookApp([fakeLayer()], { auth: { kind: 'token', type: 'Bearer', token } });
  const send = async (value: string) =>
    (await app.request('/sync-shard', { method: 'POST', headers: { ...JSON_HEADERS, authorization: `Bearer ${value}` }, body: JSON.stringify(requestBody()) })).status;
  expect(await send('old-token')).toBe(200);
  writeFileSync(file, '  new-token\n');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  expect(await send('new-token')).toBe(401);
  now += 10_000;
  expect(await send('new-token')).toBe(200);
  expect(await send('old-token')).toBe(401);
  // A Secret caught empty mid-update keeps the last good value.
  writeFileSync(file, '');
  utimesSync(file, new Date(), new Date(Date.now() + 10_000));
  now += 10_000;
  expect(await send('new-token')).toBe(200);
});
