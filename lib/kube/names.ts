/**
 * Object names and label values that always fit Kubernetes' rules.
 *
 * A name that is too long is cut and suffixed with a hash of the whole name, so two long names
 * that share a prefix still differ, and the same input always gives the same output.
 */
import { sha256 } from './hash.ts';

/** DNS-1123 label: Services, Pods (as hostnames), PVCs, Jobs and our custom objects. */
export const DNS_LABEL_MAX = 63;
/**
 * A StatefulSet's Pods get the label `controller-revision-hash: <name>-<10 chars>`, which must fit in 63,
 * so the StatefulSet name itself is kept to 52.
 */
export const STATEFULSET_NAME_MAX = 52;

const HASH_LENGTH = 8;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Joins parts with '-' and fits the result into `max` characters as a DNS-1123 label. A joined name
 * that is already valid is kept as it is; any other (too long, upper case, `_`) is cleaned and suffixed
 * with a hash of the original, so two inputs never map to one name.
 */
export function objectName(parts: readonly string[], max = DNS_LABEL_MAX): string {
  const joined = parts.join('-');
  if (isDnsLabel(joined, max)) return joined;
  const cleaned = joined
    .toLowerCase()
    .replace(/[^-a-z0-9]/g, '-')
    .replace(/^-+|-+$/g, '');
  const suffix = sha256(parts.join('/')).slice(0, HASH_LENGTH);
  const prefix = cleaned.slice(0, max - HASH_LENGTH - 1).replace(/-+$/, '');
  return prefix.length > 0 ? `${prefix}-${suffix}` : `h${suffix}`;
}

/** A label value: at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric. */
export function labelValue(value: string): string {
  if (value.length <= DNS_LABEL_MAX && LABEL_VALUE.test(value)) return value;
  const cleaned = value.replace(/[^-A-Za-z0-9_.]/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  const suffix = sha256(value).slice(0, HASH_LENGTH);
  const prefix = cleaned.slice(0, DNS_LABEL_MAX - HASH_LENGTH - 1).replace(/[^A-Za-z0-9]+$/, '');
  return prefix.length > 0 ? `${prefix}-${suffix}` : `h${suffix}`;
}

export function isDnsLabel(name: string, max = DNS_LABEL_MAX): boolean {
  return name.length <= max && DNS_LABEL.test(name);
}

export function isLabelValue(value: string): boolean {
  return value.length <= DNS_LABEL_MAX && LABEL_VALUE.test(value);
}
