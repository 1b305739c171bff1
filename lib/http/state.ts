/**
 * What the transport shares between the app and the listener: the in-flight count (for the 429
 * limit, the gauge and the drain) and whether the server is draining (readyz answers 503).
 */
export class ServerState {
  inFlight = 0;
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
