/**
 * A minimum transfer rate, for request bodies and large answers alike: after a grace period, at
 * least `minBytesPerSecond` on average since the start must have moved. It cuts off a client that
 * trickles (a byte now and then, which resets any idle timeout) long before the request time limit,
 * so it gives back its connection, and what it held, early. One timer per transfer, set for the
 * moment the bytes moved so far stop being enough.
 */

export interface RateOptions {
  /** Average bytes per second owed after the grace period; 0 turns the check off. */
  minBytesPerSecond: number;
  /** Milliseconds before the rate is owed (connection set-up, our own event loop busy with a sync). */
  graceMs: number;
}

export interface RateWatch {
  stop(): void;
}

/**
 * A timer while one of the server's own synchronous syncs runs fires before the socket reads it
 * held up land; judging only after a second, short wait lets them arrive first.
 */
const CONFIRM_MS = 50;

/** Calls `onSlow` once if `moved()` falls behind the rate; `stop()` when the transfer is done. */
export function watchRate(options: RateOptions, moved: () => number, onSlow: () => void): RateWatch {
  const { minBytesPerSecond, graceMs } = options;
  if (minBytesPerSecond <= 0) return { stop: () => undefined };
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  /** Milliseconds from the start by which more than `bytes` must have moved. */
  const dueAt = (bytes: number) => graceMs + (bytes / minBytesPerSecond) * 1000;
  const check = (confirming: boolean) => {
    if (stopped) return;
    const elapsed = performance.now() - started;
    const due = dueAt(moved());
    if (elapsed < due) {
      timer = setTimeout(() => check(false), due - elapsed + 1);
      return;
    }
    if (!confirming) {
      timer = setTimeout(() => check(true), CONFIRM_MS);
      return;
    }
    stopped = true;
    onSlow();
  };
  timer = setTimeout(() => check(false), dueAt(0));
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
