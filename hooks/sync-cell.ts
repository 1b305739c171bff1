/**
 * sync-cell: serves `POST /sync-cell` (parent VitessCell) on $PORT (default 8080).
 *
 *   bun run hooks/sync-cell.ts
 *
 * Tests import `app` and call `app.request(...)` without listening.
 */
import { defineHookServer } from '../lib/http/main.ts';
import { cellLayer } from '../lib/sync/cell.ts';

const hook = defineHookServer([cellLayer], { main: import.meta.main });
export const app = hook.app;

if (import.meta.main) hook.start();
