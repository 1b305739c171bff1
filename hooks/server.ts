/**
 * The hook server: all four sync hooks on one port ($PORT, default 8080), the container's
 * entrypoint (`npm start`). Settings: docs/hook-server.md.
 */
import { defineHookServer } from '../lib/http/main.ts';
import { layers } from '../lib/sync/index.ts';

const hook = defineHookServer(layers, { main: import.meta.main });
export const app = hook.app;

if (import.meta.main) hook.start();
