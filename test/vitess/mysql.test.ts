import { describe, expect, test } from 'bun:test';
import { mysqlServerVersionFlag, mysqlVersionOf, needsSlowShutdown, oldestMysqlVersion, xtrabackupLineOf, xtrabackupMismatch } from '../../lib/vitess/mysql.ts';
import { DEFAULT_IMAGES } from '../../lib/vitess/images.ts';

describe('mysqlVersionOf', () => {
  test('reads the version from the tag, with suffixes, registries and ports; a line alone is its .0', () => {
    expect(mysqlVersionOf('mysql:8.4.6')?.version).toBe('8.4.6');
    expect(mysqlVersionOf('mysql:8.4.6-oracle')?.version).toBe('8.4.6');
    expect(mysqlVersionOf('registry.local:5000/percona/percona-server:8.0.36-28')).toMatchObject({ version: '8.0.36', line: '8.0' });
    expect(mysqlVersionOf('mysql:8.4')).toMatchObject({ version: '8.4.0', line: '8.4' });
    expect(mysqlVersionOf('mysql:9.7.4')?.line).toBe('9.7');
  });

  test('a tag that names no version, a digest or no tag: unknown', () => {
    for (const image of ['mysql:lts', 'mysql:latest', 'mysql', 'registry.local:5000/mysql', 'mysql@sha256:abcd', 'mysql:8']) expect(mysqlVersionOf(image)).toBeUndefined();
  });

  test('the default MySQL image is the 8.4 LTS line, and vtgate and vttablet advertise it as Vitess does (`8.4.6-Vitess`)', () => {
    expect(mysqlVersionOf(DEFAULT_IMAGES.mysql)?.line).toBe('8.4');
    expect(mysqlServerVersionFlag(mysqlVersionOf(DEFAULT_IMAGES.mysql)?.version)).toEqual({ 'mysql-server-version': '8.4.6-Vitess' });
    expect(mysqlServerVersionFlag(undefined)).toEqual({});
  });
});

test('oldestMysqlVersion: the oldest of the images, unknown as soon as one is', () => {
  expect(oldestMysqlVersion(['mysql:8.4.6', 'mysql:8.0.40', 'mysql:9.7.4'])?.version).toBe('8.0.40');
  expect(oldestMysqlVersion(['mysql:8.4.10', 'mysql:8.4.9'])?.version).toBe('8.4.9');
  expect(oldestMysqlVersion(['mysql:8.4.6', 'mysql:lts'])).toBeUndefined();
});

test('xtrabackup: vitess/lite v24 carries 8.4, a -mysql80 tag 8.0, anything else unknown', () => {
  expect(xtrabackupLineOf('vitess/lite:v24.0.3')).toBe('8.4');
  expect(xtrabackupLineOf('docker.io/vitess/lite:v24.0.3-mysql80')).toBe('8.0');
  expect(xtrabackupLineOf('registry.local/vitess-custom:v24')).toBeUndefined();
  expect(xtrabackupMismatch('vitess/lite:v24.0.3', 'mysql:8.4.6')).toBeUndefined();
  expect(xtrabackupMismatch('vitess/lite:v24.0.3', 'mysql:8.0.40')).toContain('cannot back up MySQL 8.0');
  expect(xtrabackupMismatch('vitess/lite:v24.0.3', 'mysql:9.7.4')).toContain('cannot back up MySQL 9.7');
});

test('needsSlowShutdown: a change of line or an unreadable change; not a patch release, not the same image', () => {
  expect(needsSlowShutdown('mysql:8.0.40', 'mysql:8.4.6')).toBe(true);
  expect(needsSlowShutdown('mysql:8.4.6', 'mysql:9.7.4')).toBe(true);
  expect(needsSlowShutdown('mysql:8.4.6', 'mysql:lts')).toBe(true);
  expect(needsSlowShutdown('mysql:8.4.6', 'mysql:8.4.7')).toBe(false);
  expect(needsSlowShutdown('mysql:lts', 'mysql:lts')).toBe(false);
});
