// Helpers to get a working @kubernetes/client-node (v2) client in tests, under Bun or Node.
//
// Why: client-node v2 passes the kubeconfig's TLS settings (CA, client cert,
// insecure-skip-tls-verify) to an undici `dispatcher`. Bun's built-in `undici`
// ignores `dispatcher`, so under Bun every request to a cluster with a private CA
// fails with UNABLE_TO_VERIFY_LEAF_SIGNATURE (oven-sh/bun#22734, #7332).
// Under Bun, loadKubeConfig() swaps in an HTTP library that calls Bun's fetch with
// its `tls: { ca, cert, key, rejectUnauthorized }` option instead. That covers
// everything built via kc.makeApiClient(...) (all generated APIs, and
// KubernetesObjectApi.makeApiClient). NOT covered: k8s.Watch / informers / exec /
// attach / port-forward, which call undici directly — for those start bun with
// NODE_EXTRA_CA_CERTS=<run dir>/pki/ca.crt (printed in <run dir>/env) and use the
// token kubeconfig (client certs cannot be passed that way).
import * as k8s from "@kubernetes/client-node";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

export const REPO_ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../../..");
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** $KUBECONFIG (first entry), else the kubeconfig of the control plane started by start.sh. */
export function kubeconfigPath(): string {
  if (process.env.KUBECONFIG) return process.env.KUBECONFIG.split(":")[0]!;
  const cur = resolve(REPO_ROOT, ".cache/controlplane/current-kubeconfig");
  if (existsSync(cur)) return readFileSync(cur, "utf8").trim();
  throw new Error("no $KUBECONFIG and no .cache/controlplane/current-kubeconfig; run test/e2e/controlplane/start.sh");
}

class BunFetchHttpLibrary implements k8s.PromiseHttpLibrary {
  private tls?: Promise<Record<string, unknown>>;
  constructor(private readonly kc: k8s.KubeConfig) {}

  private tlsOptions(): Promise<Record<string, unknown>> {
    this.tls ??= (async () => {
      const o: Record<string, unknown> = {};
      await this.kc.applyToHTTPSOptions(o);
      const tls: Record<string, unknown> = {};
      for (const k of ["ca", "cert", "key", "passphrase", "servername"] as const) if (o[k]) tls[k] = o[k];
      if (o.rejectUnauthorized === false) tls.rejectUnauthorized = false;
      return tls;
    })();
    return this.tls;
  }

  async send(req: k8s.RequestContext): Promise<k8s.ResponseContext> {
    const resp = await fetch(req.getUrl(), {
      method: req.getHttpMethod().toString(),
      body: req.getBody() as string | undefined,
      headers: req.getHeaders(),
      signal: req.getSignal() ?? undefined,
      // Bun-specific fetch option.
      tls: await this.tlsOptions(),
    } as RequestInit);
    const headers: Record<string, string> = {};
    resp.headers.forEach((v, k) => (headers[k] = v));
    return new k8s.ResponseContext(resp.status, headers, {
      text: () => resp.text(),
      binary: async () => Buffer.from(await resp.arrayBuffer()),
      stream: () => resp.body as ReadableStream<Uint8Array> | null,
    });
  }
}

/**
 * Loads a kubeconfig (default: kubeconfigPath()). Under Bun, kc.makeApiClient()
 * of the returned object builds clients that honour the kubeconfig's TLS settings.
 */
export function loadKubeConfig(file = kubeconfigPath()): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  return forBun(kc);
}

/**
 * The same cluster as `base`, authenticated by a bearer token instead of `base`'s user: a
 * ServiceAccount's token from the TokenRequest API, so a test acts with that account's rights only.
 */
export function kubeConfigWithToken(base: k8s.KubeConfig, user: string, token: string): k8s.KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error("No active cluster!");
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user, token }],
    contexts: [{ name: user, cluster: cluster.name, user }],
    currentContext: user,
  });
  return forBun(kc);
}

function forBun(kc: k8s.KubeConfig): k8s.KubeConfig {
  if (isBun) {
    const httpApi = k8s.wrapHttpLibrary(new BunFetchHttpLibrary(kc));
    kc.makeApiClient = function <T extends k8s.ApiType>(apiClientType: k8s.ApiConstructor<T>): T {
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error("No active cluster!");
      const config = k8s.createConfiguration({
        baseServer: new k8s.ServerConfiguration(cluster.server, {}),
        authMethods: { default: kc },
        httpApi,
      });
      return new apiClientType(config);
    };
  }
  return kc;
}
