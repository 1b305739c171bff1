/**
 * The template overlay merge: lays `over` onto `base`, as Jsonnet's `+` did in the original example
 * (a keyspace's tablet `defaults` under a pool's own settings).
 *
 * - objects merge key by key, recursively; `over` wins on scalars (right bias);
 * - lists whose items all carry a `name` merge as maps by name: base order first, new names appended;
 * - any other list is replaced whole;
 * - `undefined` in `over` leaves the base value.
 */
import { isRecord } from './kube/object.ts';

export function overlay<T>(base: T, over: T | undefined): T {
  return overlayValue(base, over) as T;
}

function overlayValue(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (isRecord(base) && isRecord(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(over)) out[key] = overlayValue(base[key], value);
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over) && isNamedList(base) && isNamedList(over)) {
    const overByName = new Map(over.map((item) => [item.name, item]));
    const merged = base.map((item) => (overByName.has(item.name) ? overlayValue(item, overByName.get(item.name)) : item));
    const baseNames = new Set(base.map((item) => item.name));
    return [...merged, ...over.filter((item) => !baseNames.has(item.name))];
  }
  return over;
}

function isNamedList(list: unknown[]): list is { name: string }[] {
  return list.every((item) => isRecord(item) && typeof item.name === 'string');
}
