/**
 * The in-flight count and the sync limit as middlewares: the count refuses nothing; the limit counts
 * only what passes it (in the app, requests whose body has arrived) and answers 429 with Retry-After
 * beyond it, letting the held ones finish. An asynchronous handler stands for a sync that waits.
 */
import { expect, test } from 'bun:test';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { HookEnv } from '../../lib/http/env.ts';
import { inFlightLimit, trackInFlight } from '../../lib/http/in-flight.ts';
import { ServerState } from '../../lib/http/state.ts';
import { deferred, until } from './support.ts';

function app(state: ServerState, max: number, wait: Promise<void>) {
  const hono = new Hono<HookEnv>();
  hono.post('/x', trackInFlight({ state }), inFlightLimit({ state, max, retryAfterSeconds: 3 }), async (c) => {
    await wait;
    return c.text('done');
  });
  hono.onError((error) => (error instanceof HTTPException ? error.getResponse() : new Response('bug', { status: 500 })));
  return hono;
}

test('over the limit is 429 with Retry-After; the held requests complete and give their slots back', async () => {
  const state = new ServerState();
  const release = deferred();
  const hono = app(state, 2, release.promise);
  const held = [hono.request('/x', { method: 'POST' }), hono.request('/x', { method: 'POST' })];
  await until(() => state.syncing === 2, 'two syncs held');
  const refused = await hono.request('/x', { method: 'POST' });
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toBe('3');
  expect(await refused.json()).toEqual({ error: 'too many syncs in flight' });
  // The refused one was counted in flight while it was answered, and is gone.
  expect(state.inFlight).toBe(2);
  release.resolve();
  expect(await Promise.all(held.map(async (res) => (await res).status))).toEqual([200, 200]);
  expect(state.syncing).toBe(0);
  expect(state.inFlight).toBe(0);
  expect((await hono.request('/x', { method: 'POST' })).status).toBe(200);
});

test('the count refuses nothing, and falls back to 0 when a handler throws', async () => {
  const state = new ServerState();
  const hono = new Hono<HookEnv>();
  hono.post('/x', trackInFlight({ state }), inFlightLimit({ state, max: 1, retryAfterSeconds: 1 }), () => {
    throw new Error('bug');
  });
  hono.onError(() => new Response('bug', { status: 500 }));
  for (let i = 0; i < 5; i++) expect((await hono.request('/x', { method: 'POST' })).status).toBe(500);
  expect(state.inFlight).toBe(0);
  expect(state.syncing).toBe(0);
});
