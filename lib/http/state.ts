/**
 * What the transport shares between the app, the listener and the metrics:
 * - `inFlight`: hook requests from start to answer, slow uploads included (the gauge, the drain log);
 * - `syncing`: requests whose body has arrived and whose answer is being computed (the 429 limit);
 * - `buffered`: request and answer bytes held in memory against the buffer budget (docs/hook-server.md);
 * - `draining`: readyz answers 503.
 */
export class ServerState {
  inFlight = 0;
  syncing = 0;
  buffered = 0;
  draining = false;
  private idleWaiters: Array<() => void> = [];

  enter(): void {
    this.inFlight += 1;
  }

  leave(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
