/**
 * Request payloads for the benchmark and the load test: real Metacontroller requests, cut from a
 * simulated cluster (lib/simulator) that converged on one of examples/*.yaml, so each hook sees the
 * parent and the observed children it would see in a running cluster.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../lib/kube/object.ts';
import { parseSyncRequest } from '../lib/metacontroller/request.ts';
import { parseManifests } from '../lib/simulator/controllers.ts';
import { loadControllers } from '../lib/simulator/manifests.ts';
import { observedRequest } from '../lib/simulator/metacontroller.ts';
import { simulate } from '../lib/simulator/simulate.ts';
import { listObjects, storeKey } from '../lib/simulator/store.ts';
import type { Layer } from '../lib/sync/layer.ts';

export const EXAMPLES_DIR = join(import.meta.dir, '..', 'examples');
/** The clock every payload is answered at: answers are then byte-stable. */
export const BENCH_NOW = new Date('2024-01-01T00:00:00Z');

export interface Payload {
  hook: Layer['name'];
  layer: Layer;
  /** What it was cut from, e.g. `seed-my-vitess.yaml VitessShard/default/my-vitess-cell1-commerce-0`. */
  source: string;
  /** The request body, as sent. */
  body: string;
  /** Observed children in the request. */
  observedChildren: number;
}

/** A payload from a request body for `layer`; throws if it is not a sync request for that layer. */
export function payloadFor(layer: Layer, request: unknown, source: string): Payload {
  const body = JSON.stringify(request);
  const parsed = parseSyncRequest(JSON.parse(body), layer.parentKind);
  return { hook: layer.name, layer, source, body, observedChildren: parsed.children.length };
}

/**
 * For each layer, the request of its parent with the most observed children once the example's
 * cluster converged (with a kubelet that makes everything Ready).
 */
export function examplePayloads(layers: readonly Layer[], example = 'seed-my-vitess.yaml'): Payload[] {
  const objects = parseManifests(readFileSync(join(EXAMPLES_DIR, example), 'utf8')) as unknown as KubeObject[];
  const controllers = loadControllers();
  const result = simulate(objects, { controllers, layers, kubelet: true, start: BENCH_NOW });
  if (!result.converged) throw new Error(`${example}: the simulation did not converge`);
  return layers.map((layer) => {
    const controller = controllers.find((c) => c.hook === layer.name);
    if (controller === undefined) throw new Error(`no CompositeController calls ${layer.name}`);
    const candidates = listObjects(result.state, controller.parent.apiVersion, controller.parent.kind).map((parent) => {
      const key = storeKey(parent);
      return payloadFor(layer, observedRequest(result.state, controller, key), `${example} ${controller.parent.kind}/${parent.metadata.namespace ?? ''}/${parent.metadata.name}`);
    });
    const largest = candidates.sort((a, b) => b.observedChildren - a.observedChildren || a.source.localeCompare(b.source))[0];
    if (largest === undefined) throw new Error(`${example}: no ${controller.parent.kind} to take a request from`);
    return largest;
  });
}
