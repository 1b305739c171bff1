/**
 * sync-keyspace: serves `POST /sync-keyspace` (parent VitessKeyspace) on $PORT (default 8080).
 *
 *   bun run hooks/sync-keyspace.ts
 *
 * Tests import `app` and call `app.request(...)` without listening.
 */
import { defineHookServer } from '../lib/http/main.ts';
import { keyspaceLayer } from '../lib/sync/keyspace.ts';

const hook = defineHookServer([keyspaceLayer], { main: import.meta.main });
export const app = hook.app;

if (import.meta.main) hook.start();
