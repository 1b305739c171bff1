/**
 * The hook server's settings, from environment variables, parsed once at start (docs/hook-server.md).
 * A bad value stops the server with a message naming every bad variable, rather than running with a
 * guess: a hook tier that silently ignores its auth settings would be worse than one that does not start.
 */
import * as v from 'valibot';

const MIB = 1024 * 1024;

/**
 * The limits' defaults (docs/hook-server.md), for the environment below and for createHookApp when a
 * test builds the app without a config.
 */
export const DEFAULTS = {
  bodyLimitBytes: 8 * MIB,
  // Below Metacontroller's 10s webhook timeout, so we answer before it gives up.
  timeoutMs: 8000,
  maxInFlight: 64,
  retryAfterSeconds: 1,
  // The bytes of bodies and large answers held at once, sized with the Pod's 256Mi limit
  // (metacontroller/hooks.yaml): 64 concurrent 8 MiB bodies peak under it (`npm run bench:memory`,
  // figures in docs/hook-server.md). Four such bodies at once; Metacontroller's are kilobytes.
  bufferBudgetBytes: 32 * MIB,
  // Bodies and large answers must move at this average rate once the grace period is over; real
  // clients in a cluster move megabytes per second, a trickling one is cut off after the grace.
  minBytesPerSecond: 64 * 1024,
  slowGraceMs: 2000,
  // Answers up to this size fit a socket's send buffer and are sent as they are.
  streamAnswersAboveBytes: 64 * 1024,
} as const;

/** An integer variable within bounds, with a default when unset or empty. */
const integer = (fallback: number, min: number, max: number) =>
  v.pipe(
    v.optional(v.string(), ''),
    v.transform((raw) => (raw.trim() === '' ? String(fallback) : raw.trim())),
    v.regex(/^\d+$/, 'must be a whole number'),
    v.transform(Number),
    v.number(),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

/** A path to a file, or undefined when unset or empty. */
const optionalPath = v.pipe(
  v.optional(v.string(), ''),
  v.transform((raw) => (raw.trim() === '' ? undefined : raw.trim())),
);

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const EnvSchema = v.object({
  // Port 0 picks a free port (tests); Kubernetes uses 8080.
  PORT: integer(8080, 0, 65535),
  HOOK_HOST: v.pipe(
    v.optional(v.string(), ''),
    v.transform((raw) => (raw.trim() === '' ? '0.0.0.0' : raw.trim())),
  ),
  HOOK_BODY_LIMIT_BYTES: integer(DEFAULTS.bodyLimitBytes, 1, 1024 * MIB),
  HOOK_TIMEOUT_MS: integer(DEFAULTS.timeoutMs, 1, 600_000),
  HOOK_MAX_IN_FLIGHT: integer(DEFAULTS.maxInFlight, 1, 100_000),
  HOOK_RETRY_AFTER_SECONDS: integer(DEFAULTS.retryAfterSeconds, 0, 3600),
  HOOK_BUFFER_BUDGET_BYTES: integer(DEFAULTS.bufferBudgetBytes, 1, 64 * 1024 * MIB),
  HOOK_MIN_BYTES_PER_SECOND: integer(DEFAULTS.minBytesPerSecond, 0, 1024 * MIB),
  HOOK_SLOW_GRACE_MS: integer(DEFAULTS.slowGraceMs, 0, 600_000),
  // Longer than Go's default idle-connection timeout (90s), so Metacontroller closes idle
  // keep-alive connections first and never sends on one we are closing. Bun allows up to 255.
  HOOK_IDLE_TIMEOUT_SECONDS: integer(120, 0, 255),
  HOOK_AUTH_TOKEN_FILE: optionalPath,
  HOOK_AUTH_TYPE: v.pipe(
    v.optional(v.string(), ''),
    v.transform((raw) => (raw.trim() === '' ? 'Bearer' : raw.trim())),
    v.regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be one HTTP auth scheme token, like Bearer'),
    v.check((type) => type.toLowerCase() !== 'basic', 'Basic is configured with HOOK_BASIC_AUTH_USERNAME_FILE and HOOK_BASIC_AUTH_PASSWORD_FILE'),
  ),
  HOOK_BASIC_AUTH_USERNAME_FILE: optionalPath,
  HOOK_BASIC_AUTH_PASSWORD_FILE: optionalPath,
  HOOK_TLS_CERT_FILE: optionalPath,
  HOOK_TLS_KEY_FILE: optionalPath,
  HOOK_LOG_LEVEL: v.pipe(
    v.optional(v.string(), ''),
    v.transform((raw) => (raw.trim() === '' ? 'info' : raw.trim().toLowerCase())),
    v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`),
  ),
  // On SIGTERM, keep serving (readyz 503) this long so the Service stops routing here first.
  HOOK_SHUTDOWN_DELAY_MS: integer(3000, 0, 600_000),
  // Then at most this long for in-flight syncs, within the Pod's terminationGracePeriodSeconds (30).
  HOOK_SHUTDOWN_TIMEOUT_MS: integer(20_000, 0, 600_000),
  // The namespace the hook server runs in (the downward API's metadata.namespace): Vitess objects
  // there are refused, since their Pods could join the hook Service (docs/security.md).
  HOOK_OPERATOR_NAMESPACE: v.pipe(
    v.optional(v.string(), ''),
    v.transform((raw) => (raw.trim() === '' ? undefined : raw.trim())),
  ),
});

export interface HookConfig {
  port: number;
  hostname: string;
  bodyLimitBytes: number;
  timeoutMs: number;
  maxInFlight: number;
  retryAfterSeconds: number;
  bufferBudgetBytes: number;
  minBytesPerSecond: number;
  slowGraceMs: number;
  idleTimeoutSeconds: number;
  auth: AuthConfig;
  tls?: { certFile: string; keyFile: string };
  logLevel: LogLevel;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  /** Where the hook server runs; Vitess objects there are InvalidSpec. Unset: no namespace is refused. */
  operatorNamespace?: string;
}

/** Metacontroller's webhook `authorization` or `basicAuth` options, as files (mounted Secret keys). */
export type AuthConfig =
  | { kind: 'none' }
  | { kind: 'token'; type: string; tokenFile: string }
  | { kind: 'basic'; usernameFile: string; passwordFile: string };

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid hook server configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the configuration from `env`, or throws ConfigError listing every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): HookConfig {
  const result = v.safeParse(EnvSchema, env);
  if (!result.success) {
    throw new ConfigError(
      result.issues.map((issue) => {
        const name = issue.path?.map((item) => String(item.key)).join('.') ?? '?';
        // The value is not echoed: a misplaced secret must not end up in the logs.
        return `${name}: ${issue.message}`;
      }),
    );
  }
  const e = result.output;
  const problems: string[] = [];
  const pair = (a: string, aValue: string | undefined, b: string, bValue: string | undefined) => {
    if ((aValue === undefined) !== (bValue === undefined)) problems.push(`${a} and ${b} must be set together`);
  };
  pair('HOOK_BASIC_AUTH_USERNAME_FILE', e.HOOK_BASIC_AUTH_USERNAME_FILE, 'HOOK_BASIC_AUTH_PASSWORD_FILE', e.HOOK_BASIC_AUTH_PASSWORD_FILE);
  // A body the budget can never hold would be refused (429) forever, and Metacontroller retry forever.
  if (e.HOOK_BUFFER_BUDGET_BYTES < e.HOOK_BODY_LIMIT_BYTES) problems.push('HOOK_BUFFER_BUDGET_BYTES must be at least HOOK_BODY_LIMIT_BYTES');
  pair('HOOK_TLS_CERT_FILE', e.HOOK_TLS_CERT_FILE, 'HOOK_TLS_KEY_FILE', e.HOOK_TLS_KEY_FILE);
  // Metacontroller sends one or the other (they are mutually exclusive on the webhook).
  if (e.HOOK_AUTH_TOKEN_FILE !== undefined && e.HOOK_BASIC_AUTH_USERNAME_FILE !== undefined) {
    problems.push('HOOK_AUTH_TOKEN_FILE and HOOK_BASIC_AUTH_*_FILE are mutually exclusive');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const auth: AuthConfig =
    e.HOOK_AUTH_TOKEN_FILE !== undefined
      ? { kind: 'token', type: e.HOOK_AUTH_TYPE, tokenFile: e.HOOK_AUTH_TOKEN_FILE }
      : e.HOOK_BASIC_AUTH_USERNAME_FILE !== undefined && e.HOOK_BASIC_AUTH_PASSWORD_FILE !== undefined
        ? { kind: 'basic', usernameFile: e.HOOK_BASIC_AUTH_USERNAME_FILE, passwordFile: e.HOOK_BASIC_AUTH_PASSWORD_FILE }
        : { kind: 'none' };
  return {
    port: e.PORT,
    hostname: e.HOOK_HOST,
    bodyLimitBytes: e.HOOK_BODY_LIMIT_BYTES,
    timeoutMs: e.HOOK_TIMEOUT_MS,
    maxInFlight: e.HOOK_MAX_IN_FLIGHT,
    retryAfterSeconds: e.HOOK_RETRY_AFTER_SECONDS,
    bufferBudgetBytes: e.HOOK_BUFFER_BUDGET_BYTES,
    minBytesPerSecond: e.HOOK_MIN_BYTES_PER_SECOND,
    slowGraceMs: e.HOOK_SLOW_GRACE_MS,
    idleTimeoutSeconds: e.HOOK_IDLE_TIMEOUT_SECONDS,
    auth,
    ...(e.HOOK_TLS_CERT_FILE !== undefined && e.HOOK_TLS_KEY_FILE !== undefined ? { tls: { certFile: e.HOOK_TLS_CERT_FILE, keyFile: e.HOOK_TLS_KEY_FILE } } : {}),
    logLevel: e.HOOK_LOG_LEVEL,
    shutdownDelayMs: e.HOOK_SHUTDOWN_DELAY_MS,
    shutdownTimeoutMs: e.HOOK_SHUTDOWN_TIMEOUT_MS,
    ...(e.HOOK_OPERATOR_NAMESPACE === undefined ? {} : { operatorNamespace: e.HOOK_OPERATOR_NAMESPACE }),
  };
}
