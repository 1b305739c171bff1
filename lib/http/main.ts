/**
 * What every hook script shares: configuration from the environment, the app, and listening.
 *
 *   const hook = defineHookServer([shardLayer], { main: import.meta.main });
 *   export const app = hook.app;          // tests import this without listening
 *   if (import.meta.main) hook.start();
 */
import { openCredentials } from './auth.ts';
import { ConfigError, type HookConfig, loadConfig } from './config.ts';
import { createHookApp } from './app.ts';
import type { HookApp } from './env.ts';
import { createLogger, type Logger } from './logging.ts';
import { Metrics } from './metrics.ts';
import { exitOnSignals, type RunningServer, serveApp, serveOptions } from './serve.ts';
import { ServerState } from './state.ts';
import type { Layer } from '../sync/layer.ts';

export interface HookServer {
  app: HookApp;
  config: HookConfig;
  logger: Logger;
  state: ServerState;
  /** Listens, and exits cleanly on SIGTERM/SIGINT. */
  start(): RunningServer;
}

export interface DefineOptions {
  /** The environment to read; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** True when run as a script: a bad configuration is reported and the process exits 2. */
  main?: boolean;
}

export function defineHookServer(layers: readonly Layer[], options: DefineOptions = {}): HookServer {
  let config: HookConfig;
  let auth: ReturnType<typeof openCredentials>;
  try {
    config = loadConfig(options.env ?? process.env);
    auth = openCredentials(config.auth);
  } catch (error) {
    if (!options.main) throw error;
    const problems = error instanceof ConfigError ? error.problems : [error instanceof Error ? error.message : String(error)];
    createLogger({ write: (line) => process.stderr.write(line) }).error('invalid configuration, not starting', { problems });
    process.exit(2);
  }
  // Imported (tests, tools) rather than run, the app stays quiet unless a level was asked for.
  const env = options.env ?? process.env;
  const level = options.main || (env.HOOK_LOG_LEVEL ?? '').trim() !== '' ? config.logLevel : 'silent';
  const logger = createLogger({ level });
  const state = new ServerState();
  const metrics = new Metrics(state);
  const app = createHookApp(layers, {
    logger,
    state,
    metrics,
    auth,
    bodyLimitBytes: config.bodyLimitBytes,
    timeoutMs: config.timeoutMs,
    maxInFlight: config.maxInFlight,
    retryAfterSeconds: config.retryAfterSeconds,
    bufferBudgetBytes: config.bufferBudgetBytes,
    minBytesPerSecond: config.minBytesPerSecond,
    slowGraceMs: config.slowGraceMs,
    operatorNamespace: config.operatorNamespace,
  });
  const start = () => {
    const running = serveApp(app, state, logger, serveOptions(config));
    exitOnSignals(running, logger, config.shutdownDelayMs);
    logger.info('listening', { url: running.url.href, hooks: layers.map((layer) => layer.name), auth: config.auth.kind, tls: config.tls !== undefined });
    return running;
  };
  return { app, config, logger, state, start };
}
