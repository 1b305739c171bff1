/**
 * sync-cluster: serves `POST /sync-cluster` (parent VitessCluster) on $PORT (default 8080).
 *
 *   bun run hooks/sync-cluster.ts
 *
 * Tests import `app` and call `app.request(...)` without listening.
 */
import { defineHookServer } from '../lib/http/main.ts';
import { clusterLayer } from '../lib/sync/cluster.ts';

const hook = defineHookServer([clusterLayer], { main: import.meta.main });
export const app = hook.app;

if (import.meta.main) hook.start();
