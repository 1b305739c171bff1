/**
 * The count bounds of lib/api/common.ts hold at every layer, not only the cluster: a VitessShard or
 * VitessKeyspace written by hand with a huge count is an invalid spec (held, Ready=False InvalidSpec)
 * answered at once, and the generated CRD makes the API server refuse it in the first place.
 */
import { describe, expect, test } from 'bun:test';
import { buildCrds } from '../../lib/api/crd.ts';
import { MAX_SHARDS_PER_KEYSPACE } from '../../lib/api/common.ts';
import { validateObject } from '../../lib/api/openapi-validate.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import { keyspaceLayer } from '../../lib/sync/keyspace.ts';
import { shardLayer } from '../../lib/sync/shard.ts';
import { MAX_TABLETS_PER_TYPE } from '../../lib/vitess/tablets.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

type Request = { parent: { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, any> }; children: Record<string, Record<string, unknown>> };
const fixture = (path: string) => structuredClone(loadJson(`${FIXTURES}/${path}/request.json`)) as Request;
const observedCount = (request: Request) => Object.values(request.children).reduce((sum, group) => sum + Object.keys(group).length, 0);
const ready = (response: SyncResponse) => (response.status.conditions as { type: string; status: string; reason: string; message: string }[]).find((c) => c.type === 'Ready');
const schemaOf = (kind: string) => buildCrds().find((crd) => crd.spec.names.kind === kind)!.spec.versions[0]!.schema.openAPIV3Schema;

describe('tablet pool size', () => {
  test('a VitessShard with rdonly.replicas 20000 is an invalid spec answered at once, every child held', () => {
    const request = fixture('sync-shard/seed-x-80-all-ready');
    request.parent.spec.tablets.rdonly.replicas = 20000;
    const started = performance.now();
    const response = shardLayer.sync(parseSyncRequest(request, 'VitessShard'), { now: FIXED_NOW });
    const elapsed = performance.now() - started;
    expect(ready(response)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(ready(response)!.message).toContain(`spec.tablets.rdonly.replicas: (20000) must be <= ${MAX_TABLETS_PER_TYPE}`);
    expect(response.children.length).toBe(observedCount(request));
    // Today's code rendered 40,000 objects (85 MB) for seconds; holding is a copy of what is observed.
    expect(elapsed).toBeLessThan(1000);
  });

  test(`${MAX_TABLETS_PER_TYPE} tablets per pool is still valid`, () => {
    const request = fixture('sync-shard/seed-x-80-all-ready');
    request.parent.spec.tablets.rdonly.replicas = MAX_TABLETS_PER_TYPE;
    const response = shardLayer.sync(parseSyncRequest(request, 'VitessShard'), { now: FIXED_NOW });
    expect(ready(response)?.reason).not.toBe('InvalidSpec');
  });

  test('the VitessShard, VitessKeyspace, VitessCell and VitessCluster CRDs set the maximum', () => {
    const shard = fixture('sync-shard/seed-x-80-all-ready').parent;
    shard.spec.tablets.rdonly.replicas = MAX_TABLETS_PER_TYPE + 1;
    expect(validateObject(schemaOf('VitessShard'), shard).join('\n')).toContain('spec.tablets.rdonly.replicas');
    const keyspace = fixture('sync-keyspace/seed-main-all-ready').parent;
    keyspace.spec.tablets.replica.replicas = MAX_TABLETS_PER_TYPE + 1;
    expect(validateObject(schemaOf('VitessKeyspace'), keyspace).join('\n')).toContain('spec.tablets.replica.replicas');
    const crdText = JSON.stringify(schemaOf('VitessCluster'));
    expect(crdText).toContain(`"maximum":${MAX_TABLETS_PER_TYPE}`);
    expect(JSON.stringify(schemaOf('VitessCell'))).toContain(`"maxItems":${MAX_SHARDS_PER_KEYSPACE}`);
  });
});

describe('shards per keyspace', () => {
  test(`a VitessKeyspace with ${MAX_SHARDS_PER_KEYSPACE + 1} shards is an invalid spec naming the field, the count and the rule`, () => {
    const request = fixture('sync-keyspace/seed-main-all-ready');
    request.parent.spec.shards = Array.from({ length: MAX_SHARDS_PER_KEYSPACE + 1 }, (_, i) => ({ name: `s${i}` }));
    const response = keyspaceLayer.sync(parseSyncRequest(request, 'VitessKeyspace'), { now: FIXED_NOW });
    expect(ready(response)).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(ready(response)!.message).toContain(`spec.shards: (${MAX_SHARDS_PER_KEYSPACE + 1} shards) must be at most ${MAX_SHARDS_PER_KEYSPACE}`);
    expect(response.children.length).toBe(observedCount(request));
    expect(validateObject(schemaOf('VitessKeyspace'), request.parent).join('\n')).toContain('spec.shards');
  });
});
