/**
 * Fields the API server refuses to change on an existing object. A desired child keeps, at these
 * paths, what was last applied to it: an edit that would touch them is not applied (and reported),
 * instead of failing every later sync of the parent with a 422.
 *
 * Pods and Jobs are not listed: their specs are immutable as a whole, and the rollout replaces them.
 */
import { isRecord, jsonEqual, type KubeObject } from './object.ts';

type Path = readonly string[];

const IMMUTABLE_FIELDS: Readonly<Record<string, readonly Path[]>> = {
  Deployment: [['spec', 'selector']],
  StatefulSet: [
    ['spec', 'selector'],
    ['spec', 'serviceName'],
    ['spec', 'podManagementPolicy'],
    ['spec', 'volumeClaimTemplates'],
  ],
  PersistentVolumeClaim: [
    ['spec', 'accessModes'],
    ['spec', 'storageClassName'],
    ['spec', 'volumeMode'],
  ],
};

export interface Kept {
  object: KubeObject;
  /** `Kind/name: path` of every field whose new value was not applied. */
  notApplied: string[];
}

/**
 * Whether objects of `kind` have fields to keep. Lets a sync skip reading (JSON-parsing) the last
 * applied configuration of every other child: that parse was a tenth of a large sync's time.
 */
export function hasImmutableFields(kind: string): boolean {
  return Object.hasOwn(IMMUTABLE_FIELDS, kind);
}

/** `desired` with the immutable fields of its kind taken from what was last applied to the live object. */
export function keepImmutableFields(desired: KubeObject, lastApplied: KubeObject | undefined): Kept {
  const paths = IMMUTABLE_FIELDS[desired.kind];
  if (paths === undefined || lastApplied === undefined) return { object: desired, notApplied: [] };
  let object = desired;
  const notApplied: string[] = [];
  for (const path of paths) {
    const before = valueAt(lastApplied, path);
    if (before === undefined || jsonEqual(before, valueAt(object, path))) continue;
    object = withValueAt(object, path, before) as KubeObject;
    notApplied.push(`${desired.kind}/${desired.metadata.name}: ${path.join('.')} is immutable`);
  }
  return { object, notApplied };
}

function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((at, key) => (isRecord(at) ? at[key] : undefined), value);
}

function withValueAt(value: unknown, path: Path, replacement: unknown): unknown {
  const [key, ...rest] = path;
  if (key === undefined) return replacement;
  const record = isRecord(value) ? value : {};
  return { ...record, [key]: withValueAt(record[key], rest, replacement) };
}
