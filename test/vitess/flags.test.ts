import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { kubeletArgument } from '../../lib/kube/expansion.ts';
import type { TopologySpec } from '../../lib/api/passdown.ts';
import { dashed, flagArgs, GLOG_FLAGS, GRPC_CLIENTS, grpcClientTlsFlags, grpcServerTlsFlags, mysqlServerTlsFlags, serverFlags, staticAuthFlags, topoFlags } from '../../lib/vitess/flags.ts';
import { runs } from '../arbitraries/index.ts';

const flagName = fc.string({ unit: fc.constantFrom(...'abcxyz_-.9'.split('')), minLength: 1, maxLength: 12 }).map((s) => `f${s}`);
const flagMap = fc.dictionary(flagName, fc.string({ maxLength: 6 }), { maxKeys: 6 }).map((d) => ({ ...d }));

const TOPOLOGY: TopologySpec = {
  implementation: 'etcd2',
  global: { address: 'vitess-global-etcd-client:2379', root: '/vitess/global' },
  cell: { address: 'vitess-global-etcd-client:2379', root: '/vitess/zone1' },
};

describe('dashed', () => {
  test("glog's flags keep their underscores (Vitess registers them under glog's names)", () => {
    expect(dashed('log_dir')).toBe('log_dir');
    expect(dashed('log_backtrace_at')).toBe('log_backtrace_at');
    expect(flagArgs({ port: '1' }, { log_dir: '/tmp', backup_storage_implementation: 'gcs' })).toEqual(['--port=1', '--log_dir=/tmp', '--backup-storage-implementation=gcs']);
    for (const name of GLOG_FLAGS) expect(dashed(name)).toBe(name);
  });
  test('units', () => {
    expect(dashed('backup_storage_implementation')).toBe('backup-storage-implementation');
    expect(dashed('grpc-port')).toBe('grpc-port');
    expect(dashed('a__b_')).toBe('a--b-');
  });
  test('dashed: no underscore left, idempotent, length kept', () => {
    fc.assert(fc.property(flagName, (n) => !dashed(n).includes('_') && dashed(dashed(n)) === dashed(n) && dashed(n).length === n.length), runs());
  });
});

describe('flagArgs', () => {
  test('units: user flag overrides ours in place, underscores become dashes, then new user flags in order', () => {
    expect(flagArgs({ port: '15000', 'grpc-port': '15999', cell: 'zone1' }, { grpc_port: '16000', backup_storage_implementation: 'gcs', z: '1' })).toEqual([
      '--port=15000',
      '--grpc-port=16000',
      '--cell=zone1',
      '--backup-storage-implementation=gcs',
      '--z=1',
    ]);
    expect(flagArgs(undefined, {}, undefined)).toEqual([]);
  });

  test('flagArgs: no flag name contains an underscore', () => {
    fc.assert(fc.property(fc.array(flagMap, { maxLength: 4 }), (layers) => flagArgs(...layers).every((arg) => /^--[^=_]+=/.test(arg))), runs());
  });

  test('flagArgs: each dashed name appears once, with the value of the last layer that sets it, escaped for the kubelet', () => {
    fc.assert(
      fc.property(fc.array(flagMap, { maxLength: 4 }), (layers) => {
        const args = flagArgs(...layers);
        const names = args.map((a) => a.slice(2, a.indexOf('=')));
        if (new Set(names).size !== names.length) return false;
        return names.every((name, i) => {
          let last: string | undefined;
          for (const layer of layers) for (const [n, v] of Object.entries(layer)) if (dashed(n) === name) last = v;
          return args[i] === `--${name}=${kubeletArgument(last as string)}`;
        });
      }),
      runs(),
    );
  });

  test('flagArgs: stable order — a name keeps the position where it first appeared', () => {
    fc.assert(
      fc.property(fc.array(flagMap, { maxLength: 4 }), (layers) => {
        const firstSeen: string[] = [];
        for (const layer of layers) for (const n of Object.keys(layer)) if (!firstSeen.includes(dashed(n))) firstSeen.push(dashed(n));
        return JSON.stringify(flagArgs(...layers).map((a) => a.slice(2, a.indexOf('=')))) === JSON.stringify(firstSeen);
      }),
      runs(),
    );
  });

  test('flagArgs: overriding with the same flags changes nothing (idempotent layering)', () => {
    fc.assert(fc.property(flagMap, flagMap, (ours, user) => JSON.stringify(flagArgs(ours, user, user)) === JSON.stringify(flagArgs(ours, user))), runs());
  });
});

describe('serverFlags / topoFlags', () => {
  test('every server gets ports and the three topo flags, dashed; no --logtostderr (no effect in v24, removed in v25)', () => {
    expect(flagArgs(serverFlags(TOPOLOGY))).toEqual([
      '--port=15000',
      '--grpc-port=15999',
      '--topo-implementation=etcd2',
      '--topo-global-server-address=vitess-global-etcd-client:2379',
      '--topo-global-root=/vitess/global',
    ]);
    expect(Object.keys(topoFlags(TOPOLOGY))).toEqual(['topo-implementation', 'topo-global-server-address', 'topo-global-root']);
  });
});

describe('TLS and auth flags', () => {
  const files = { cert: '/c', key: '/k', ca: '/a' };

  test('each gRPC client of a binary gets cert, key, CA and the server name; nothing for clients it does not run', () => {
    const flags = grpcClientTlsFlags('vtorc', files, 'vitess');
    expect(flags).toEqual({ 'tablet-manager-grpc-cert': '/c', 'tablet-manager-grpc-key': '/k', 'tablet-manager-grpc-ca': '/a', 'tablet-manager-grpc-server-name': 'vitess' });
    for (const [binary, clients] of Object.entries(GRPC_CLIENTS)) {
      const names = Object.keys(grpcClientTlsFlags(binary as keyof typeof GRPC_CLIENTS, files, 'n'));
      expect(names.length).toBe(clients.length * 4);
      expect(names.every((name) => clients.some((client) => name.startsWith(`${client}-grpc-`)))).toBe(true);
    }
  });

  test('a server verifies client certificates (--grpc-ca); the MySQL port only when asked', () => {
    expect(grpcServerTlsFlags(files)).toEqual({ 'grpc-cert': '/c', 'grpc-key': '/k', 'grpc-ca': '/a' });
    expect(mysqlServerTlsFlags(files, { requireSecureTransport: false, verifyClients: false })).toEqual({ 'mysql-server-ssl-cert': '/c', 'mysql-server-ssl-key': '/k' });
  });

  test('static auth overrides vtgate\'s `none` in place when layered after it', () => {
    const args = flagArgs({ 'mysql-auth-server-impl': 'none', 'enable-buffer': 'true' }, staticAuthFlags('/u.json', '10s'));
    expect(args).toEqual(['--mysql-auth-server-impl=static', '--enable-buffer=true', '--mysql-auth-server-static-file=/u.json', '--mysql-auth-static-reload-interval=10s']);
  });
});
