/**
 * Children a layer asked for that never appeared (docs/decisions/0021-child-not-created.md).
 *
 * Metacontroller creates what a hook answers; when the API server refuses a child (admission, quota,
 * RBAC, a missing PriorityClass) it records an event on the parent and tries again, and the child
 * simply stays absent from the next request. A layer remembers since when each child it answers has
 * been absent, in its own status (`status.awaitingCreation`, sent back in the next request: the hook
 * keeps no memory of its own), and once a child is still absent after NOT_CREATED_GRACE_SECONDS it
 * is reported in `status.notCreated`, with the object whose events say why. Parents carry their
 * children's `notCreated` entries up, so the VitessCluster names every such child.
 *
 * The status read back is whatever the parent holds: a value that is not what we write is unknown
 * (the child's clock starts now, or the entry is ignored), never an error.
 */
import { isRecord, type KubeObject, objectKey } from '../kube/object.ts';
import { isVitessLayerKind } from '../rollout/slots.ts';

/** The Ready reason of a layer with a child (here or below) still absent after the grace period. */
export const CHILD_NOT_CREATED = 'ChildNotCreated';

/**
 * How long an asked-for child may be absent before it is reported. Creation is normally seconds
 * (informer lag, Metacontroller's client rate limit: 520 objects took 248 s to all turn Ready with
 * Metacontroller's default QPS of 5, 13 s with the sized overlay); a refused child never appears.
 * Two minutes is past any creation we measured and still soon enough to be the first thing a user sees.
 */
export const NOT_CREATED_GRACE_SECONDS = 120;

/** How many children and owners a Ready message names before it says "and N more". */
const NAMED = 5;

/** A child answered but not observed yet: `Kind/name`, and when it was first answered (RFC 3339). */
export interface AwaitedChild {
  child: string;
  since: string;
}

/** A child still absent after the grace period: `Kind/name`, the object that asked for it (`Kind/name`, same namespace), since when. */
export interface NotCreatedChild {
  child: string;
  owner: string;
  since: string;
}

/** What a layer works out about its absent children in one sync. */
export interface Absences {
  /** For status.awaitingCreation: every answered child not observed, with since when (the memory). */
  awaiting: AwaitedChild[];
  /** For status.notCreated: this layer's own children past the grace period, then those its child layers report. */
  notCreated: NotCreatedChild[];
  /** When the next absent child passes the grace period (seconds from now), if one is still within it. */
  resyncAfterSeconds?: number;
}

/** A time we wrote, read back, to the second; undefined for anything else (not a string, not a valid instant). */
function instant(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : toSecond(new Date(time));
}

/** Kubernetes times (metav1.Time) are seconds: two syncs within one second write the same bytes. */
function toSecond(time: Date): Date {
  return new Date(Math.floor(time.getTime() / 1000) * 1000);
}

/** RFC 3339 at second precision, as the API server writes times. */
function rfc3339(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The parent's remembered absences (`status.awaitingCreation`), by child: entries that are not
 * `{child: string, since: <instant>}` are ignored, the first entry of a child wins.
 */
export function rememberedAbsences(status: unknown): Map<string, Date> {
  const remembered = new Map<string, Date>();
  const list = isRecord(status) ? status.awaitingCreation : undefined;
  if (!Array.isArray(list)) return remembered;
  for (const entry of list) {
    if (!isRecord(entry) || typeof entry.child !== 'string' || remembered.has(entry.child)) continue;
    const since = instant(entry.since);
    if (since !== undefined) remembered.set(entry.child, since);
  }
  return remembered;
}

/** The `notCreated` entries a child layer reports; malformed entries are ignored. */
export function notCreatedOf(child: KubeObject): NotCreatedChild[] {
  const list = isRecord(child.status) ? child.status.notCreated : undefined;
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry): NotCreatedChild[] => {
    if (!isRecord(entry) || typeof entry.child !== 'string' || typeof entry.owner !== 'string') return [];
    const since = instant(entry.since);
    return since === undefined ? [] : [{ child: entry.child, owner: entry.owner, since: rfc3339(since) }];
  });
}

/**
 * The absences of one sync: each child of the answer that was not observed keeps the time it was
 * first asked for (a remembered time after `now`, from a skewed clock, counts as now), or starts now.
 * Children observed, or no longer answered, are forgotten.
 */
export function findAbsences(parent: KubeObject & { status?: unknown }, answered: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>, now: Date): Absences {
  const remembered = rememberedAbsences(parent.status);
  const owner = objectKey(parent);
  const today = toSecond(now);
  const awaiting: AwaitedChild[] = [];
  const own: NotCreatedChild[] = [];
  let nextDue: number | undefined;
  for (const child of answered) {
    const key = objectKey(child);
    if (observed.has(key)) continue;
    const earlier = remembered.get(key);
    const since = earlier === undefined || earlier.getTime() > today.getTime() ? today : earlier;
    awaiting.push({ child: key, since: rfc3339(since) });
    const waited = (today.getTime() - since.getTime()) / 1000;
    if (waited >= NOT_CREATED_GRACE_SECONDS) own.push({ child: key, owner, since: rfc3339(since) });
    else nextDue = Math.min(nextDue ?? Infinity, NOT_CREATED_GRACE_SECONDS - waited);
  }
  const below = [...observed.values()].filter((child) => isVitessLayerKind(child.kind)).flatMap(notCreatedOf);
  return { awaiting, notCreated: [...own, ...below], ...(nextDue === undefined ? {} : { resyncAfterSeconds: nextDue }) };
}

/** `kubectl describe` of an owner (`Kind/name`): where Metacontroller's events say why its child was refused. */
export function describeCommand(owner: string, namespace: string | undefined): string {
  const slash = owner.indexOf('/');
  const kind = owner.slice(0, slash).toLowerCase();
  const name = owner.slice(slash + 1);
  return `kubectl describe ${kind} ${name}${namespace === undefined ? '' : ` -n ${namespace}`}`;
}

function namedList(items: readonly string[], separator: string): string {
  const more = items.length > NAMED ? `${separator}and ${items.length - NAMED} more` : '';
  return `${items.slice(0, NAMED).join(separator)}${more}`;
}

/** The Ready=False message for children not created: which, since when, and where to read why. */
export function notCreatedMessage(notCreated: readonly NotCreatedChild[], namespace: string | undefined): string {
  const earliest = notCreated.map((entry) => entry.since).sort()[0];
  const owners = [...new Set(notCreated.map((entry) => entry.owner))];
  const children = namedList(notCreated.map((entry) => entry.child), ', ');
  const count = notCreated.length === 1 ? '1 child' : `${notCreated.length} children`;
  return (
    `${count} not created after ${NOT_CREATED_GRACE_SECONDS} s: ${children} (asked for since ${earliest}); ` +
    `the events of their owner say why: ${namedList(owners.map((owner) => describeCommand(owner, namespace)), '; ')}`
  );
}
