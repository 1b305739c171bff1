/**
 * Status conditions in the standard Kubernetes shape (metav1.Condition).
 * `lastTransitionTime` moves only when a condition's status changes; the clock is passed in, and
 * written at second precision (metav1.Time).
 */
import { isRecord } from './object.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * Stamps each condition with its transition time: kept from `previous` when the status is unchanged.
 * `previous` is whatever the parent's status holds; anything there that is not a condition is ignored,
 * so a mangled status never stops a sync.
 */
export function stampConditions(previous: unknown, next: readonly ConditionInput[], now: Date): Condition[] {
  const before = Array.isArray(previous) ? previous.filter(isCondition) : [];
  return next.map((condition) => {
    const earlier = before.find((c) => c.type === condition.type);
    const lastTransitionTime = earlier !== undefined && earlier.status === condition.status ? earlier.lastTransitionTime : metaTime(now);
    return { ...condition, lastTransitionTime };
  });
}

/**
 * A time as metav1.Time serializes it: RFC 3339 at second precision, so two syncs within one second
 * write the same bytes.
 */
export function metaTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/u, 'Z');
}

/** True when a status' conditions (whatever they hold) have one of this type with this status. */
export function hasStatusCondition(conditions: unknown, type: string, status: ConditionStatus): boolean {
  return Array.isArray(conditions) && conditions.some((c) => isRecord(c) && c.type === type && c.status === status);
}

export function condition(type: string, ok: boolean, reason: string, message: string): ConditionInput {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/** True when the object's status has a condition of this type with status True. */
export function hasTrueCondition(object: { [field: string]: unknown }, type: string): boolean {
  const conditions = (object.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) && conditions.some((c) => isRecord(c) && c.type === type && c.status === 'True');
}

function isCondition(value: unknown): value is Condition {
  return isRecord(value) && typeof value.type === 'string' && typeof value.status === 'string' && typeof value.lastTransitionTime === 'string';
}
