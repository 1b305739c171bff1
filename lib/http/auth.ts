/**
 * Optional authentication matching Metacontroller's webhook options:
 * - `authorization`: header `<type> <secret>` (type Bearer unless set; compared case-insensitively);
 * - `basicAuth`: header `Basic base64(username:password)`.
 * Secrets come from files (a mounted Secret), trimmed of surrounding whitespace as Metacontroller
 * trims them, and are re-read periodically so a rotated Secret takes effect without a restart.
 * Comparison is in constant time over SHA-256 digests, so neither content nor length leaks through
 * timing. A refusal is a bare 401: no hint of what was wrong.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { MiddlewareHandler } from 'hono';
import type { AuthConfig } from './config.ts';
import type { HookEnv } from './env.ts';
import { httpError } from './errors.ts';

/** How often a credential file is checked for change (kubelet refreshes Secret volumes within ~1 min). */
const RELOAD_CHECK_MS = 10_000;

const digest = (value: string | Uint8Array) => createHash('sha256').update(value).digest();
/** Constant-time equality of two values of any length. */
const same = (a: string | Uint8Array, b: Buffer) => timingSafeEqual(digest(a), b);

/** A secret file's trimmed content, re-read when its modification time changes. */
export class SecretFile {
  private digestValue: Buffer;
  private mtimeMs: number;
  private checkedAt: number;

  constructor(
    readonly path: string,
    private readonly now: () => number = Date.now,
  ) {
    const content = SecretFile.read(path);
    if (content === '') throw new Error(`credential file ${path} is empty`);
    this.digestValue = digest(content);
    this.mtimeMs = statSync(path).mtimeMs;
    this.checkedAt = this.now();
  }

  /** The SHA-256 of the current content; the content itself is not kept. */
  current(): Buffer {
    if (this.now() - this.checkedAt >= RELOAD_CHECK_MS) this.refresh();
    return this.digestValue;
  }

  private refresh(): void {
    this.checkedAt = this.now();
    try {
      const mtimeMs = statSync(this.path).mtimeMs;
      if (mtimeMs === this.mtimeMs) return;
      const content = SecretFile.read(this.path);
      // A Secret caught mid-update keeps the last good value.
      if (content === '') return;
      this.digestValue = digest(content);
      this.mtimeMs = mtimeMs;
    } catch {
      // Keep the last good value: a transient read failure must not lock Metacontroller out.
    }
  }

  private static read(path: string): string {
    return readFileSync(path, 'utf8').trim();
  }
}

export type AuthOptions =
  | { kind: 'none' }
  | { kind: 'token'; type: string; token: SecretFile }
  | { kind: 'basic'; username: SecretFile; password: SecretFile };

/** Opens the credential files named by the configuration; throws when one cannot be read. */
export function openCredentials(config: AuthConfig): AuthOptions {
  switch (config.kind) {
    case 'none':
      return config;
    case 'token':
      return { kind: 'token', type: config.type, token: new SecretFile(config.tokenFile) };
    case 'basic':
      return { kind: 'basic', username: new SecretFile(config.usernameFile), password: new SecretFile(config.passwordFile) };
  }
}

export function hookAuth(options: AuthOptions): MiddlewareHandler<HookEnv> {
  const check = checker(options);
  const challenge = options.kind === 'basic' ? 'Basic realm="vitess-operator-hooks"' : options.kind === 'token' ? options.type : '';
  return async function hookAuth(c, next) {
    if (!check(c.req.header('authorization') ?? '')) {
      throw httpError(401, 'unauthorized', { headers: { 'www-authenticate': challenge } });
    }
    await next();
  };
}

function checker(options: AuthOptions): (header: string) => boolean {
  switch (options.kind) {
    case 'none':
      return () => true;
    case 'token': {
      const expectedType = options.type.toLowerCase();
      return (header) => {
        const { scheme, credentials } = splitHeader(header);
        // Always hash and compare, whatever the scheme, so timing does not tell a wrong scheme apart.
        const tokenOk = same(credentials, options.token.current());
        return tokenOk && scheme.toLowerCase() === expectedType;
      };
    }
    case 'basic':
      return (header) => {
        const { scheme, credentials } = splitHeader(header);
        const decoded = Buffer.from(credentials, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const username = colon >= 0 ? decoded.slice(0, colon) : decoded;
        const password = colon >= 0 ? decoded.slice(colon + 1) : '';
        // Both compared every time (no short circuit), for the same reason.
        const userOk = same(username, options.username.current());
        const passwordOk = same(password, options.password.current());
        return userOk && passwordOk && colon >= 0 && scheme.toLowerCase() === 'basic';
      };
  }
}

function splitHeader(header: string): { scheme: string; credentials: string } {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  if (space < 0) return { scheme: trimmed, credentials: '' };
  return { scheme: trimmed.slice(0, space), credentials: trimmed.slice(space + 1).trim() };
}
