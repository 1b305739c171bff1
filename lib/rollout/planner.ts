/**
 * The rollout planner: decides, per sync, which children move to their new desired state.
 *
 * A parent moves its outdated children in order, at most `maxInFlight` at a time, and moves the next
 * only when every child already moved is settled (ready and itself fully updated). The others are
 * held: answered exactly as last applied, so Metacontroller changes nothing about them.
 * New children are created at once; removing children passes the same gates as updates.
 */
import { type KubeObject, objectKey } from '../kube/object.ts';
import { heldChild } from '../metacontroller/hold.ts';

/** A hash of a child's desired state, so a later sync can tell an outdated child from an updated one. */
export const REVISION_ANNOTATION = 'vitess.io/revision';

export function revisionOf(object: KubeObject): string | undefined {
  return object.metadata.annotations?.[REVISION_ANNOTATION];
}

/**
 * How a child moves to a new state: `apply` answers the new desired object (Metacontroller updates it
 * in place); `replace` leaves it out of the answer, so it is deleted and created anew on the next sync
 * (Pods and Jobs, whose specs are immutable).
 */
export type MoveMethod = 'apply' | 'replace';

/** A precondition of moving a child, such as a completed PlannedReparentShard Job for a tablet. */
export interface Gate {
  /** Objects to answer while the gate is being satisfied (e.g. the Job itself). */
  prerequisites: KubeObject[];
  state: 'open' | 'pending' | 'failed';
  /** What the rollout waits for, or why it stopped. */
  message: string;
}

/** One child, desired, observed, or both; slots come in rollout order. */
export interface Slot {
  desired?: KubeObject;
  observed?: KubeObject;
  method: MoveMethod;
  gate?: Gate;
  /**
   * Outdated although its revision is current: the observed child must be replaced all the same
   * (a tablet Pod whose volume waits for it to restart to finish a filesystem resize).
   */
  restart?: boolean;
}

export interface RolloutPolicy {
  maxInFlight: number;
  /** Settled: ready, and fully updated below it. */
  isSettled(observed: KubeObject): boolean;
}

export type Decision = 'create' | 'current' | 'move' | 'hold' | 'remove' | 'wait-gate' | 'deleting';

export interface SlotPlan {
  key: string;
  decision: Decision;
  /** What the answer holds for this slot (nothing when it is left out). */
  answer: KubeObject[];
}

export interface RolloutPlan {
  slots: SlotPlan[];
  children: KubeObject[];
  /** Children moved to their latest state but not settled yet (including ones being created). */
  inFlight: string[];
  /** Outdated or to-be-removed children still waiting for their turn. */
  waiting: string[];
  /** Set when a gate failed: nothing proceeds until it is resolved. */
  paused?: string;
  /** What the rollout waits for now, for status. */
  message: string;
  /** True when every desired child is observed, on its latest revision, and settled, and nothing is left to remove. */
  complete: boolean;
}

function slotKey(slot: Slot): string {
  return objectKey((slot.desired ?? slot.observed) as KubeObject);
}

function isOutdated(slot: Slot): boolean {
  if (slot.desired === undefined || slot.observed === undefined) return false;
  return slot.restart === true || revisionOf(slot.observed) !== revisionOf(slot.desired);
}

function isDeleting(observed: KubeObject | undefined): boolean {
  return observed?.metadata.deletionTimestamp !== undefined;
}

/** Plans one sync of a parent's children. Pure: the same slots and policy give the same plan. */
export function planRollout(slots: readonly Slot[], policy: RolloutPolicy): RolloutPlan {
  // In flight: a child on its latest revision that has not settled (or is still being created or deleted).
  const inFlight = slots
    .filter((slot) => {
      if (isDeleting(slot.observed)) return true;
      if (slot.desired === undefined) return false;
      if (slot.observed === undefined) return true;
      return !isOutdated(slot) && !policy.isSettled(slot.observed);
    })
    .map(slotKey);
  let budget = Math.max(0, policy.maxInFlight - inFlight.length);
  let paused: string | undefined;
  const waiting: string[] = [];
  const gateMessages: string[] = [];

  const planned = slots.map((slot): SlotPlan => {
    const key = slotKey(slot);
    const { desired, observed } = slot;
    if (isDeleting(observed)) return { key, decision: 'deleting', answer: [] };
    if (desired !== undefined && observed === undefined) return { key, decision: 'create', answer: [desired] };
    const removal = desired === undefined;
    if (!removal && !isOutdated(slot)) return { key, decision: 'current', answer: [desired] };
    // Held only where it is answered (hold, wait): a move or a removal needs no last applied configuration read.
    const held = () => heldChild(observed as KubeObject);
    if (paused !== undefined || budget === 0) {
      waiting.push(key);
      return { key, decision: 'hold', answer: [held()] };
    }
    // This child's turn: it takes one place in flight, whether it moves now or waits for its gate.
    budget -= 1;
    if (slot.gate !== undefined && slot.gate.state !== 'open') {
      gateMessages.push(slot.gate.message);
      if (slot.gate.state === 'failed') paused = slot.gate.message;
      return { key, decision: 'wait-gate', answer: [held(), ...slot.gate.prerequisites] };
    }
    const prerequisites = slot.gate?.prerequisites ?? [];
    if (removal) return { key, decision: 'remove', answer: prerequisites };
    const moved = slot.method === 'apply' ? [desired as KubeObject] : [];
    return { key, decision: 'move', answer: [...moved, ...prerequisites] };
  });

  const complete = slots.every((slot) => slot.desired !== undefined && slot.observed !== undefined && !isOutdated(slot) && !isDeleting(slot.observed) && policy.isSettled(slot.observed));
  return {
    slots: planned,
    children: planned.flatMap((slot) => slot.answer),
    inFlight,
    waiting,
    paused,
    complete,
    message: rolloutMessage(
      inFlight,
      planned.filter((slot) => slot.decision === 'move' || slot.decision === 'remove').map((slot) => `${slot.decision === 'remove' ? 'removing' : 'moving'} ${slot.key}`),
      waiting,
      gateMessages,
      paused,
    ),
  };
}

function rolloutMessage(inFlight: readonly string[], moving: readonly string[], waiting: readonly string[], gates: readonly string[], paused: string | undefined): string {
  if (paused !== undefined) return `rollout paused: ${paused}`;
  const parts: string[] = [...moving];
  if (gates.length > 0) parts.push(gates.join('; '));
  if (inFlight.length > 0) parts.push(`waiting for ${inFlight.slice(0, 3).join(', ')}${inFlight.length > 3 ? ` and ${inFlight.length - 3} more` : ''} to settle`);
  if (waiting.length > 0) parts.push(`${waiting.length} more to move`);
  return parts.length > 0 ? parts.join('; ') : 'every child is on its latest revision';
}
