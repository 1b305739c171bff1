/** bun run test/harness/up.ts TREE.json SECONDS: starts the tree under the Pod runner and prints readiness (debugging aid). */
import { readFileSync } from 'node:fs';
import { PodRunner } from './runner/runner.ts';
const [tree, secs] = process.argv.slice(2);
const vitessDir = process.env.VITESS_DIR as string, etcdBin = process.env.ETCD_BIN as string;
const r = new PodRunner(JSON.parse(readFileSync(tree as string, 'utf8')), { vitessDir, etcdBin }, process.env.RUN_ROOT ?? '/tmp/harness/run');
const t0 = Date.now();
await r.start();
while (Date.now() - t0 < Number(secs ?? 60) * 1000) {
  await Bun.sleep(5000);
  console.log(Math.round((Date.now() - t0) / 1000), r.pods.map((p) => `${p.name}:${r.isReady(p) ? 'R' : '-'}${p.restarts}`).join(' '));
}
await r.stop();
