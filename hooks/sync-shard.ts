/**
 * sync-shard: serves `POST /sync-shard` (parent VitessShard) on $PORT (default 8080).
 *
 *   bun run hooks/sync-shard.ts
 *
 * Tests import `app` and call `app.request(...)` without listening.
 */
import { defineHookServer } from '../lib/http/main.ts';
import { shardLayer } from '../lib/sync/shard.ts';

const hook = defineHookServer([shardLayer], { main: import.meta.main });
export const app = hook.app;

if (import.meta.main) hook.start();
