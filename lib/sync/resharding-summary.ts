/**
 * The reshards under a cell or a cluster, in its status (`status.resharding`), so that `kubectl get
 * vt -o yaml` shows where each runs and how far its copy got without reading every VitessKeyspace:
 * each observed child's own `status.resharding`, reduced to its state, step, and (when the keyspace
 * knows them: lib/sync/reshard-progress.ts) the copy's rows and the streams' largest lag. The cells
 * that leave the workflow to the keyspace's first cell (RunByFirstCell) add nothing.
 */
import { isRecord, type KubeObject } from '../kube/object.ts';

export interface ReshardingSummary {
  keyspace: string;
  /** The cell whose VitessKeyspace runs the workflow (in a cluster's status). */
  cell?: string;
  state: string;
  step?: string;
  copy?: { rowsCopied: number; streamsCopying: number };
  lagSeconds?: number;
}

/** The reshards of a cell's observed VitessKeyspaces; undefined when there is none. */
export function keyspacesResharding(observed: ReadonlyMap<string, KubeObject>): ReshardingSummary[] | undefined {
  const found: ReshardingSummary[] = [];
  for (const child of observed.values()) {
    if (child.kind !== 'VitessKeyspace' || !isRecord(child.spec) || typeof child.spec.name !== 'string') continue;
    const summary = summaryOf(child.spec.name, isRecord(child.status) ? child.status.resharding : undefined);
    if (summary !== undefined) found.push(summary);
  }
  return found.length > 0 ? sorted(found) : undefined;
}

/** The reshards the observed VitessCells report, each with its cell; undefined when there is none. */
export function cellsResharding(observed: ReadonlyMap<string, KubeObject>): ReshardingSummary[] | undefined {
  const found: ReshardingSummary[] = [];
  for (const child of observed.values()) {
    if (child.kind !== 'VitessCell' || !isRecord(child.spec) || typeof child.spec.name !== 'string') continue;
    const listed = isRecord(child.status) && Array.isArray(child.status.resharding) ? child.status.resharding : [];
    for (const entry of listed) {
      const summary = isRecord(entry) && typeof entry.keyspace === 'string' ? summaryOf(entry.keyspace, entry) : undefined;
      if (summary === undefined) continue;
      const { keyspace, ...rest } = summary;
      found.push({ keyspace, cell: child.spec.name, ...rest });
    }
  }
  return found.length > 0 ? sorted(found) : undefined;
}

function summaryOf(keyspace: string, status: unknown): ReshardingSummary | undefined {
  if (!isRecord(status) || typeof status.state !== 'string' || status.state === 'RunByFirstCell') return undefined;
  const copy = isRecord(status.copy) && isCount(status.copy.rowsCopied) && isCount(status.copy.streamsCopying) ? { rowsCopied: status.copy.rowsCopied, streamsCopying: status.copy.streamsCopying } : undefined;
  return {
    keyspace,
    state: status.state,
    ...(typeof status.step === 'string' ? { step: status.step } : {}),
    ...(copy === undefined ? {} : { copy }),
    ...(isCount(status.lagSeconds) ? { lagSeconds: status.lagSeconds } : {}),
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function sorted(list: ReshardingSummary[]): ReshardingSummary[] {
  return list.sort((a, b) => (a.keyspace === b.keyspace ? ((a.cell ?? '') < (b.cell ?? '') ? -1 : 1) : a.keyspace < b.keyspace ? -1 : 1));
}
