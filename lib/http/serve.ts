/**
 * Listening and stopping: Bun.serve over the app, optional TLS, and a graceful shutdown that
 * stops accepting, lets in-flight syncs finish (bounded), then resolves.
 */
import type { Server } from 'bun';
import type { HookConfig } from './config.ts';
import type { HookApp } from './env.ts';
import { jsonResponse } from './errors.ts';
import type { Logger } from './logging.ts';
import type { ServerState } from './state.ts';

export interface ServeOptions {
  port: number;
  hostname: string;
  idleTimeoutSeconds: number;
  bodyLimitBytes: number;
  tls?: { certFile: string; keyFile: string };
  shutdownTimeoutMs: number;
}

export interface ShutdownOptions {
  /** Keep listening (readyz 503) this long before closing the listener. */
  delayMs?: number;
  /** Or until this resolves (tests, which must not depend on timing). */
  proceed?: Promise<void>;
}

export interface RunningServer {
  server: Server<undefined>;
  /** Where it listens, e.g. `http://127.0.0.1:41234`. */
  url: URL;
  /**
   * Drain and stop: readyz turns 503 at once; after `delayMs` (to let the Service stop routing
   * here) the listener closes and in-flight requests finish, for at most shutdownTimeoutMs.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

export function serveApp(app: HookApp, state: ServerState, logger: Logger, options: ServeOptions): RunningServer {
  const server = Bun.serve({
    port: options.port,
    hostname: options.hostname,
    idleTimeout: options.idleTimeoutSeconds,
    // Bun's own cap, a backstop above ours, so our 413 (JSON, counted) is what clients normally see.
    maxRequestBodySize: options.bodyLimitBytes + 1024 * 1024,
    // Read on every start, so a renewed certificate takes effect on the next restart.
    ...(options.tls ? { tls: { cert: Bun.file(options.tls.certFile), key: Bun.file(options.tls.keyFile) } } : {}),
    fetch: (request) => app.fetch(request),
    // Only reached if the app itself fails to produce a response.
    error: (error) => {
      logger.error('unhandled server error', { error: error.name, message: error.message });
      return jsonResponse(500, { error: 'internal error' });
    },
  });
  const url = new URL(server.url.href);
  let stopping: Promise<void> | undefined;

  const shutdown = ({ delayMs = 0, proceed }: ShutdownOptions = {}) => {
    stopping ??= (async () => {
      state.draining = true;
      logger.info('draining', { inFlight: state.inFlight, delayMs });
      if (proceed) await proceed;
      else if (delayMs > 0) await Bun.sleep(delayMs);
      const stopped = server.stop(false).then(() => true);
      const timedOut = Bun.sleep(options.shutdownTimeoutMs).then(() => false);
      const clean = await Promise.race([stopped, timedOut]);
      if (!clean) {
        logger.warn('shutdown timeout reached, closing open connections', { inFlight: state.inFlight });
        await server.stop(true);
      }
      logger.info('stopped', { clean });
    })();
    return stopping;
  };
  return { server, url, shutdown };
}

/** The serve options of a configuration. */
export function serveOptions(config: HookConfig): ServeOptions {
  return {
    port: config.port,
    hostname: config.hostname,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    bodyLimitBytes: config.bodyLimitBytes,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    ...(config.tls ? { tls: config.tls } : {}),
  };
}

/**
 * SIGTERM (the kubelet) drains after `termDelayMs`, so endpoints update before the listener
 * closes; SIGINT (Ctrl-C on a laptop) drains at once. Either way the process exits 0 when done.
 */
export function exitOnSignals(running: RunningServer, logger: Logger, termDelayMs: number): void {
  const stop = (signal: NodeJS.Signals, delayMs: number) => {
    logger.info('signal', { signal });
    void running.shutdown({ delayMs }).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM', termDelayMs));
  process.once('SIGINT', () => stop('SIGINT', 0));
}
