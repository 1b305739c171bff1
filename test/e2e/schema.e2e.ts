/**
 * Issue 4, part 2: every example in examples/ is accepted as a VitessCluster; VitessClusters that
 * violate the CRD schema are rejected by the API server with the schema's message, naming the field.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExampleYaml } from '../../lib/simulator/render.ts';
import { ensureCrds } from './support/install.ts';
import { ApiError, apply, create, createNamespace, deleteNamespace, type Obj, read, uniqueName } from './support/kube.ts';
import { EXAMPLES_DIR } from './support/render.ts';

const namespace = uniqueName('e2e-schema');
const examples = readdirSync(EXAMPLES_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

function example(file: string): Obj {
  // An example may ship other objects beside its VitessCluster (production.yaml: its PriorityClass).
  const o = parseExampleYaml(readFileSync(join(EXAMPLES_DIR, file), 'utf8')).cluster as unknown as Obj;
  o.metadata.namespace = namespace;
  return o;
}

/** A valid base to break: the minimal example. */
function base(name: string): Obj {
  const o = example('minimal.yaml');
  o.metadata.name = name;
  return o;
}

async function rejection(o: Obj, opts: { dryRun?: boolean; post?: boolean } = { dryRun: true }): Promise<ApiError> {
  try {
    await (opts.post ? create(o, opts) : apply(o, opts));
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error(`${o.kind}/${o.metadata.name} was accepted, expected a rejection`);
}

beforeAll(async () => {
  await ensureCrds();
  await createNamespace(namespace);
});

afterAll(async () => {
  await deleteNamespace(namespace);
});

describe('examples are accepted as VitessClusters', () => {
  test('there are examples', () => {
    expect(examples).toContain('minimal.yaml');
  });
  for (const file of examples) {
    test(`examples/${file}`, async () => {
      const o = example(file);
      expect(o.kind).toBe('VitessCluster');
      await apply(o);
      const live = await read(o);
      expect(live?.metadata.uid).toBeString();
      // Nothing the user wrote was pruned by the schema (defaults may add fields).
      expect(live?.spec).toMatchObject(o.spec as object);
    });
  }
});

interface InvalidCase {
  name: string;
  edit(spec: Record<string, any>): void;
  /** Substrings the server's message must contain: the field path and the schema's rule. */
  expect: string[];
  /**
   * Send it with a plain create instead of server-side apply: an apply patch with duplicate keys in
   * a list-type map is refused earlier, by the apply machinery (HTTP 500, "duplicate entries").
   */
  post?: boolean;
}

const invalid: InvalidCase[] = [
  { name: 'cells missing', edit: (s) => delete s.cells, expect: ['spec.cells', 'Required value'] },
  { name: 'cells empty', edit: (s) => (s.cells = []), expect: ['spec.cells', 'should have at least 1 items'] },
  { name: 'selector missing', edit: (s) => delete s.selector, expect: ['spec.selector', 'Required value'] },
  { name: 'tablet replicas -1', edit: (s) => (s.keyspaces[0].tablets.replica.replicas = -1), expect: ['spec.keyspaces[0].tablets.replica.replicas', 'greater than or equal to 0'] },
  { name: 'vtgate replicas not an integer', edit: (s) => (s.cells[0].vtgate.replicas = 1.5), expect: ['spec.cells[0].vtgate.replicas', 'integer'] },
  { name: 'cell name with upper case', edit: (s) => ((s.cells[0].name = 'Zone1'), (s.keyspaces[0].cells = ['Zone1'])), expect: ['spec.cells[0].name', 'should match'] },
  { name: 'keyRange start "zz"', edit: (s) => (s.keyspaces[0].shards = [{ keyRange: { start: 'zz', end: '' } }]), expect: ['spec.keyspaces[0].shards[0].keyRange.start', 'should match'] },
  { name: 'keyspace without cells', edit: (s) => (s.keyspaces[0].cells = []), expect: ['spec.keyspaces[0].cells', 'should have at least 1 items'] },
  { name: 'etcd size 0', edit: (s) => (s.cells[0].etcd.size = 0), expect: ['spec.cells[0].etcd.size', 'greater than or equal to 1'] },
  { name: 'vtgate service type not allowed', edit: (s) => (s.cells[0].vtgate.service = { type: 'ExternalName' }), expect: ['spec.cells[0].vtgate.service.type', 'Unsupported value'] },
  { name: 'duplicate cell names', edit: (s) => s.cells.push({ ...s.cells[0] }), expect: ['spec.cells[1]', 'Duplicate value'], post: true },
];

describe('invalid VitessClusters are rejected with the schema message', () => {
  for (const c of invalid) {
    test(c.name, async () => {
      const o = base(`invalid-${c.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.replace(/-+$/, ''));
      c.edit(o.spec as Record<string, any>);
      const err = await rejection(o, { dryRun: true, post: c.post });
      expect(err.code).toBe(422);
      for (const s of c.expect) expect(err.serverMessage).toContain(s);
    });
  }

  test('an unknown field is rejected, not silently pruned (server-side apply is strict)', async () => {
    const o = base('invalid-unknown-field');
    (o.spec as Record<string, unknown>).cellz = [];
    const err = await rejection(o);
    expect(err.serverMessage).toContain('cellz');
  });

  test('the selector is immutable', async () => {
    const o = base('immutable-selector');
    await apply(o);
    (o.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels = { app: 'other' };
    (o.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels = { app: 'other' };
    const err = await rejection(o, {});
    expect(err.code).toBe(422);
    expect(err.serverMessage).toContain('spec.selector');
    expect(err.serverMessage).toContain('selector is immutable');
  });
});
