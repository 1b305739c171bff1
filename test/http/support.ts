/** Helpers for the hook server tests: fake layers, requests, a server on a loopback port, raw sockets. */
import { connect } from 'node:net';
import { type HookAppOptions, createHookApp } from '../../lib/http/app.ts';
import { createLogger, type Logger } from '../../lib/http/logging.ts';
import { Metrics } from '../../lib/http/metrics.ts';
import { type RunningServer, serveApp } from '../../lib/http/serve.ts';
import { ServerState } from '../../lib/http/state.ts';
import type { SyncRequest, SyncResponse } from '../../lib/metacontroller/request.ts';
import type { Layer } from '../../lib/sync/layer.ts';

/** A layer whose answer echoes the parent: one ConfigMap per observed child, named after it. */
export function fakeLayer(overrides: Partial<Layer> = {}): Layer {
  return {
    name: 'sync-shard',
    parentKind: 'VitessShard',
    sync: (request: SyncRequest, { now }): SyncResponse => ({
      status: { parent: request.parent.metadata.name, now: now.toISOString() },
      children: request.children.map((child) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: child.metadata.name } })),
    }),
    ...overrides,
  };
}

/** A well-formed request body for a parent of `kind` with `childCount` observed Pods. */
export function requestBody(kind = 'VitessShard', childCount = 1, name = 'shard-0'): Record<string, unknown> {
  const pods: Record<string, unknown> = {};
  for (let i = 0; i < childCount; i++) {
    pods[`pod-${i}`] = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}`, namespace: 'ns' } };
  }
  return {
    controller: { metadata: { name: 'vitess-shard' } },
    parent: { apiVersion: 'vitess.io/v1alpha1', kind, metadata: { name, namespace: 'ns', generation: 7, uid: 'u-1' }, spec: { secret: 'BODY-MARKER' } },
    children: { 'Pod.v1': pods },
    related: {},
    finalizing: false,
  };
}

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export const FIXED_NOW = new Date('2024-01-01T00:00:00Z');

export interface TestServer {
  running: RunningServer;
  url: string;
  state: ServerState;
  logs: string[];
  logger: Logger;
  stop(): Promise<void>;
}

/** A real server on 127.0.0.1, a free port, capturing its log lines. */
export function startServer(layers: readonly Layer[], options: HookAppOptions & { tls?: { certFile: string; keyFile: string }; shutdownTimeoutMs?: number } = {}): TestServer {
  const logs: string[] = [];
  const logger = options.logger ?? createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const state = options.state ?? new ServerState();
  const app = createHookApp(layers, { clock: () => FIXED_NOW, ...options, logger, state, metrics: options.metrics ?? new Metrics(state) });
  const bodyLimitBytes = options.bodyLimitBytes ?? 8 * 1024 * 1024;
  const running = serveApp(app, state, logger, {
    port: 0,
    hostname: '127.0.0.1',
    idleTimeoutSeconds: 30,
    bodyLimitBytes,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const url = running.url.href.replace(/\/$/, '');
  return { running, url, state, logs, logger, stop: () => running.shutdown() };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Runs `body` against a fresh server, and always stops it. */
export async function withServer(layers: readonly Layer[], options: Parameters<typeof startServer>[1], body: (server: TestServer) => Promise<void>): Promise<void> {
  const server = startServer(layers, options);
  try {
    await body(server);
  } finally {
    await server.running.shutdown();
  }
}

/**
 * Sends one HTTP/1.1 request over a plain socket, writing the body in parts with pauses between
 * them (fetch cannot pace a body), and reads the answer until the server closes or it is complete.
 */
export function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; parts?: string[]; pauseMs?: number; beforePart?: (index: number) => Promise<void> },
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const parts = options.parts ?? [];
  const headers = { host: `${hostname}:${port}`, connection: 'close', ...options.headers };
  const head = `${options.method ?? 'POST'} ${options.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', (error) => (received.length > 0 ? finish() : reject(error)));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(parseResponse(received));
    };
    socket.on('connect', async () => {
      socket.write(head);
      for (const [index, part] of parts.entries()) {
        if (index > 0 && options.pauseMs) await Bun.sleep(options.pauseMs);
        await options.beforePart?.(index);
        if (socket.destroyed) return;
        socket.write(part);
      }
    });
  });
}

/** Polls until `predicate` holds; for waiting on the server's state without timing assertions. */
export async function until(predicate: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

/** A promise and its resolver. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export interface Trickle {
  /** What the server has answered so far (empty while it has not). */
  received(): string;
  /** Resolves when the server closes the connection, with what it answered. */
  closed: Promise<RawResponse>;
  /** Closes the connection from the client side. */
  destroy(): void;
}

/**
 * A hostile upload: sends the head and the first byte of `body`, then one more byte every
 * `everyMs` until the body is sent or the server answers; the connection stays open until the
 * server closes it or `destroy()`.
 */
export function trickle(url: string, options: { path: string; body: string; headers?: Record<string, string>; everyMs: number }): Trickle {
  const { hostname, port } = new URL(url);
  const headers = { host: `${hostname}:${port}`, connection: 'close', ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(options.body)), ...options.headers };
  const head = `POST ${options.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  const socket = connect({ host: hostname, port: Number(port) });
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  const closed = new Promise<RawResponse>((resolve) => {
    const finish = () => {
      clearInterval(timer);
      resolve(parseResponse(received));
    };
    socket.on('close', finish);
    socket.on('error', () => undefined);
  });
  socket.on('connect', () => {
    let sent = 1;
    socket.write(head + options.body.slice(0, 1));
    timer = setInterval(() => {
      if (received !== '' || socket.destroyed || sent >= options.body.length) return clearInterval(timer);
      socket.write(options.body.slice(sent, sent + 1));
      sent += 1;
    }, options.everyMs);
  });
  return { received: () => received, closed, destroy: () => socket.destroy() };
}

/** Status, headers and body of a raw HTTP/1.1 answer. */
export function parseResponse(received: string): RawResponse {
  const [headText = '', ...rest] = received.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = headText.split('\r\n');
  const parsed: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) parsed[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers: parsed, body: rest.join('\r\n\r\n') };
}
