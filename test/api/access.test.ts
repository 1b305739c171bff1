import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { DEFAULT_MYSQLD_EXPORTER_IMAGE, InitDbSql, MysqlUsers, resolveMonitoring, tabletTls, Tls } from '../../lib/api/access.ts';
import { ClusterSpec } from '../../lib/api/cluster.ts';
import { resolveCells, resolveKeyspace } from '../../lib/api/resolve.ts';
import { formatIssues } from '../../lib/metacontroller/request.ts';

const problems = (schema: v.GenericSchema, input: unknown) => {
  const parsed = v.safeParse(schema, input);
  return parsed.success ? [] : formatIssues(parsed.issues, 'spec');
};

describe('mysqlUsers', () => {
  test('defaults: key users.json, reloaded every 10s', () => {
    expect(v.parse(MysqlUsers, { secretName: 'users' })).toEqual({ secretName: 'users', key: 'users.json', reloadInterval: '10s' });
  });

  test('a bad Secret name, key or duration is named with its field', () => {
    expect(problems(MysqlUsers, { secretName: 'Users_1' }).join()).toContain('secretName');
    expect(problems(MysqlUsers, { secretName: 'u', key: 'a/b' }).join()).toContain('key');
    expect(problems(MysqlUsers, { secretName: 'u', reloadInterval: '10' }).join()).toContain('reloadInterval');
    expect(problems(MysqlUsers, { secretName: 'u.example', reloadInterval: '1m30s' })).toEqual([]);
  });
});

describe('tls', () => {
  test('the MySQL port refuses plain connections by default and asks for no client certificate', () => {
    expect(v.parse(Tls, { mysql: { secretName: 'tls' } })).toEqual({ mysql: { secretName: 'tls', requireSecureTransport: true, verifyClients: false } });
  });

  test('gRPC needs the name clients check', () => {
    expect(problems(Tls, { grpc: { secretName: 'tls' } }).join()).toContain('serverName');
  });

  test('tablets get the gRPC part and the rotation only: vtgate\'s MySQL TLS never rolls a tablet', () => {
    const tls = v.parse(Tls, { mysql: { secretName: 'm' }, grpc: { secretName: 'g', serverName: 'n' }, rotation: 'r' });
    expect(tabletTls(tls)).toEqual({ grpc: { secretName: 'g', serverName: 'n' }, rotation: 'r' });
    expect(tabletTls(v.parse(Tls, { mysql: { secretName: 'm' }, rotation: 'r' }))).toBeUndefined();
  });
});

describe('monitoring', () => {
  test('mysqldExporter: {} enables the sidecar with the pinned image; absent, nothing', () => {
    expect(resolveMonitoring({ mysqldExporter: {} })).toEqual({ mysqldExporter: { image: DEFAULT_MYSQLD_EXPORTER_IMAGE } });
    expect(resolveMonitoring({})).toBeUndefined();
    expect(resolveMonitoring(undefined)).toBeUndefined();
  });
});

describe('passed down to every cell', () => {
  test('users, TLS and monitoring reach each resolved cell as given (defaults applied)', () => {
    const cluster = v.parse(ClusterSpec, {
      selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } } },
      cells: [{ name: 'zone1', etcd: {}, vtctld: {}, vtgate: {} }, { name: 'zone2', vtgate: {} }],
      mysqlUsers: { secretName: 'users' },
      tls: { grpc: { secretName: 'g', serverName: 'n' } },
      monitoring: { mysqldExporter: { image: 'exporter:1' } },
    });
    for (const cell of resolveCells(cluster, 'x')) {
      expect(cell.mysqlUsers).toEqual({ secretName: 'users', key: 'users.json', reloadInterval: '10s' });
      expect(cell.tls).toEqual({ grpc: { secretName: 'g', serverName: 'n' } });
      expect(cell.monitoring).toEqual({ mysqldExporter: { image: 'exporter:1' } });
    }
  });
});

describe('initDbSql', () => {
  test('default key init_db.sql; a bad Secret name or key is named with its field and rule', () => {
    expect(v.parse(InitDbSql, { secretName: 'init-sql' })).toEqual({ secretName: 'init-sql', key: 'init_db.sql' });
    expect(problems(InitDbSql, { secretName: 'Init_SQL' })).toEqual(['spec.secretName: must be a Secret name (lower-case letters, digits, - and .)']);
    expect(problems(InitDbSql, { secretName: 'i', key: 'sql/init.sql' })).toEqual(['spec.key: must be a Secret key (letters, digits, -, _ and .)']);
    expect(problems(InitDbSql, { key: 'init.sql' }).join()).toContain('secretName');
    expect(problems(InitDbSql, { secretName: 'i.example', key: 'Init_DB-2.sql' })).toEqual([]);
  });

  const cluster = (extra: Record<string, unknown>, keyspace: Record<string, unknown> = {}) =>
    v.parse(ClusterSpec, {
      selector: { matchLabels: { app: 'x' } },
      template: { metadata: { labels: { app: 'x' } } },
      cells: [{ name: 'global', etcd: {}, vtctld: {} }, { name: 'zone1', vtgate: {} }, { name: 'zone2', vtgate: {} }],
      keyspaces: [{ name: 'commerce', cells: ['zone1', 'zone2'], ...keyspace }, { name: 'customer', cells: ['zone1'] }],
      ...extra,
    });

  test("the cluster's reaches every keyspace in every cell; a keyspace's own replaces it whole (not merged key by key)", () => {
    const spec = cluster({ initDbSql: { secretName: 'all', key: 'a.sql' } }, { initDbSql: { secretName: 'commerce-sql' } });
    const byCell = resolveCells(spec, 'x').map((cell) => [cell.name, cell.keyspaces.map((k) => [k.name, k.initDbSql])]);
    expect(byCell).toEqual([
      ['global', []],
      ['zone1', [['commerce', { secretName: 'commerce-sql', key: 'init_db.sql' }], ['customer', { secretName: 'all', key: 'a.sql' }]]],
      ['zone2', [['commerce', { secretName: 'commerce-sql', key: 'init_db.sql' }]]],
    ]);
  });

  test('absent everywhere: no field at all, so keyspaces without it render as before', () => {
    const spec = cluster({});
    for (const keyspace of spec.keyspaces) expect('initDbSql' in resolveKeyspace(spec, keyspace)).toBe(false);
  });
});
