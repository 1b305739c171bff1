/** The Hono environment shared by the hook middlewares: what each step leaves for the next. */
import type { Hono } from 'hono';

/** Who a sync was about, for logs: never the body itself. */
export interface ParentRef {
  namespace?: string;
  name: string;
  generation?: number;
}

export interface HookVariables {
  /** The hook (layer name) this request was routed to. */
  hook: string;
  /** Aborts when the request time limit is reached; body reading stops at once. */
  deadline: AbortSignal;
  /** The raw request body, read within the size and time limits. */
  body: string;
  parent: ParentRef;
  /** How many children the answer carries. */
  children: number;
  /**
   * The bytes of the 200 answer the handler built (exactly its body), so the ETag is hashed from
   * them rather than from the Response read back.
   */
  answerBytes: Uint8Array;
  /** True when the answer was a 304 to a matching If-None-Match. */
  notModified: boolean;
  /** Why the request was refused, safe to log: a message and issue paths, never body content. */
  problem: string;
  issuePaths: readonly string[];
}

export interface HookEnv {
  Variables: Partial<HookVariables>;
}

export type HookApp = Hono<HookEnv>;
