/**
 * JSON-line logs to stdout, one object per line. Records carry who a sync was about (parent
 * namespace/name/generation) and how it went, never the request or answer body, nor credentials.
 */
import type { MiddlewareHandler } from 'hono';
import type { LogLevel } from './config.ts';
import type { HookEnv } from './env.ts';

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, string | number | boolean | undefined | readonly string[]>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether a record at `level` would be written; a logger without it is asked every time. */
  enabled?(level: Exclude<LogLevel, 'silent'>): boolean;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default, an array in tests. */
  write?: (line: string) => void;
  clock?: () => Date;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = SEVERITY[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const clock = options.clock ?? (() => new Date());
  const log = (level: Exclude<LogLevel, 'silent'>) =>
    function logAt(msg: string, fields: LogFields = {}): void {
      if (SEVERITY[level] < threshold) return;
      // Fields first, then time/level/msg, so a field can never overwrite them.
      write(`${JSON.stringify({ ...fields, time: clock().toISOString(), level, msg })}\n`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), enabled: (level) => SEVERITY[level] >= threshold };
}

/** A logger that drops everything, for in-process tests and benchmarks. */
export const silentLogger: Logger = createLogger({ level: 'silent' });

/**
 * One line per hook request, after it is answered: hook, parent, children in the answer, status,
 * duration. 5xx are errors, other refusals warnings, answers info.
 */
export function accessLog(options: { logger: Logger; hook: string }): MiddlewareHandler<HookEnv> {
  const { logger, hook } = options;
  return async function accessLog(c, next) {
    const started = performance.now();
    c.set('hook', hook);
    await next();
    const status = c.res.status;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    // Nothing to build when the line would be dropped (logs off, or a level above it).
    if (logger.enabled !== undefined && !logger.enabled(level)) return;
    const parent = c.get('parent');
    const fields: LogFields = {
      hook,
      status,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      namespace: parent?.namespace,
      name: parent?.name,
      generation: parent?.generation,
      children: c.get('children'),
      notModified: c.get('notModified'),
      problem: c.get('problem'),
      issues: c.get('issuePaths'),
    };
    logger[level]('sync', fields);
  };
}
