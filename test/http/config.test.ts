/** Environment parsing: defaults, every bad value named, pairs and exclusions. */
import { expect, test } from 'bun:test';
import { ConfigError, loadConfig } from '../../lib/http/config.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

test('defaults', () => {
  expect(loadConfig({})).toEqual({
    port: 8080,
    hostname: '0.0.0.0',
    bodyLimitBytes: 8 * 1024 * 1024,
    timeoutMs: 8000,
    maxInFlight: 64,
    retryAfterSeconds: 1,
    bufferBudgetBytes: 32 * 1024 * 1024,
    minBytesPerSecond: 65536,
    slowGraceMs: 2000,
    idleTimeoutSeconds: 120,
    auth: { kind: 'none' },
    logLevel: 'info',
    shutdownDelayMs: 3000,
    shutdownTimeoutMs: 20000,
  });
  // Empty means unset (a Deployment env entry with value "").
  expect(loadConfig({ PORT: '', HOOK_LOG_LEVEL: ' ' }).port).toBe(8080);
});

test('values are read and trimmed', () => {
  const config = loadConfig({
    PORT: '9090',
    HOOK_BODY_LIMIT_BYTES: ' 1024 ',
    HOOK_TIMEOUT_MS: '500',
    HOOK_MAX_IN_FLIGHT: '3',
    HOOK_BUFFER_BUDGET_BYTES: '4096',
    HOOK_MIN_BYTES_PER_SECOND: '0',
    HOOK_SLOW_GRACE_MS: '250',
    HOOK_LOG_LEVEL: 'DEBUG',
    HOOK_AUTH_TOKEN_FILE: '/etc/hooks/token',
    HOOK_AUTH_TYPE: 'Token',
    HOOK_TLS_CERT_FILE: '/tls/tls.crt',
    HOOK_TLS_KEY_FILE: '/tls/tls.key',
    UNRELATED: 'ignored',
  });
  expect(config).toMatchObject({
    port: 9090,
    bodyLimitBytes: 1024,
    timeoutMs: 500,
    maxInFlight: 3,
    bufferBudgetBytes: 4096,
    minBytesPerSecond: 0,
    slowGraceMs: 250,
    logLevel: 'debug',
    auth: { kind: 'token', type: 'Token', tokenFile: '/etc/hooks/token' },
    tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
  });
  expect(loadConfig({ HOOK_BASIC_AUTH_USERNAME_FILE: '/a/username', HOOK_BASIC_AUTH_PASSWORD_FILE: '/a/password' }).auth).toEqual({
    kind: 'basic',
    usernameFile: '/a/username',
    passwordFile: '/a/password',
  });
});

test('every bad variable is named, and values are not echoed', () => {
  const problems = problemsOf({ PORT: '70000', HOOK_BODY_LIMIT_BYTES: '8MiB', HOOK_TIMEOUT_MS: '-1', HOOK_MAX_IN_FLIGHT: '0', HOOK_LOG_LEVEL: 'loud' });
  expect(problems.map((problem) => problem.split(':')[0])).toEqual(['PORT', 'HOOK_BODY_LIMIT_BYTES', 'HOOK_TIMEOUT_MS', 'HOOK_MAX_IN_FLIGHT', 'HOOK_LOG_LEVEL']);
  expect(problems.join('\n')).not.toContain('8MiB');
  expect(() => loadConfig({ PORT: 'x' })).toThrow('invalid hook server configuration:\n  - PORT: must be a whole number');
});

test('the buffer budget holds at least one body of the largest size', () => {
  expect(problemsOf({ HOOK_BODY_LIMIT_BYTES: '2048', HOOK_BUFFER_BUDGET_BYTES: '2047' })).toEqual(['HOOK_BUFFER_BUDGET_BYTES must be at least HOOK_BODY_LIMIT_BYTES']);
  expect(problemsOf({ HOOK_BODY_LIMIT_BYTES: '2048', HOOK_BUFFER_BUDGET_BYTES: '2048' })).toEqual([]);
  expect(problemsOf({ HOOK_BUFFER_BUDGET_BYTES: '1000' })).toEqual(['HOOK_BUFFER_BUDGET_BYTES must be at least HOOK_BODY_LIMIT_BYTES']);
  expect(problemsOf({ HOOK_MIN_BYTES_PER_SECOND: '1k', HOOK_SLOW_GRACE_MS: '-5' }).map((problem) => problem.split(':')[0])).toEqual(['HOOK_MIN_BYTES_PER_SECOND', 'HOOK_SLOW_GRACE_MS']);
});

test('pairs must be set together; token and basic auth are exclusive; Basic is not a token type', () => {
  expect(problemsOf({ HOOK_TLS_CERT_FILE: '/c' })).toEqual(['HOOK_TLS_CERT_FILE and HOOK_TLS_KEY_FILE must be set together']);
  expect(problemsOf({ HOOK_BASIC_AUTH_PASSWORD_FILE: '/p' })).toEqual(['HOOK_BASIC_AUTH_USERNAME_FILE and HOOK_BASIC_AUTH_PASSWORD_FILE must be set together']);
  expect(problemsOf({ HOOK_AUTH_TOKEN_FILE: '/t', HOOK_BASIC_AUTH_USERNAME_FILE: '/u', HOOK_BASIC_AUTH_PASSWORD_FILE: '/p' })).toEqual([
    'HOOK_AUTH_TOKEN_FILE and HOOK_BASIC_AUTH_*_FILE are mutually exclusive',
  ]);
  expect(problemsOf({ HOOK_AUTH_TYPE: 'basic' })[0]).toStartWith('HOOK_AUTH_TYPE:');
  expect(problemsOf({ HOOK_AUTH_TYPE: 'Bearer x' })[0]).toStartWith('HOOK_AUTH_TYPE:');
});
