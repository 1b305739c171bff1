/**
 * The Pod runner: a stand-in for the kubelet over real processes. For each Pod of a rendered tree (and
 * each Deployment/StatefulSet replica, each Job), it runs the containers as local processes: one network
 * namespace per Pod with its own IP (a veth into a bridge that lives in a namespace of its own; nothing
 * on the host network changes), names through a hosts file per Pod namespace (ip netns exec bind-mounts
 * /etc/netns/<ns>/hosts on /etc/hosts), the image's /vt as a folder per Pod, volumes as folders (a PVC's
 * folder outlives its Pod), the Pod's runAsUser/runAsGroup, env and $(VAR) expanded, init containers
 * first. Readiness comes from the Pod's own readiness probes. `sync(objects)` follows a changing tree
 * (Pods that appear, go, or are recreated), which ./driver.ts feeds from the simulator round by round.
 * Substitutions: ./substitutions.ts.
 * Needs root (namespaces, bind mounts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, fchownSync, renameSync, existsSync, mkdirSync, openSync, chownSync, rmSync, writeFileSync, readdirSync, readFileSync, linkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KubeObject } from '../../../lib/kube/object.ts';
import { CLUSTER_DOMAIN, imageLayout, PROBE_PERIOD_MS, type ImageLayout, type Tools } from './substitutions.ts';

type Obj = KubeObject & Record<string, any>;
interface Container { name: string; image: string; command?: string[]; args?: string[]; env?: any[]; envFrom?: any[]; ports?: any[]; volumeMounts?: { name: string; mountPath: string }[]; readinessProbe?: any; lifecycle?: { preStop?: { exec?: { command: string[] } } } }

export interface RunPod {
  name: string; namespace: string; kind: 'Pod' | 'Job'; owner: string;
  /** What the Pod was made from (a Pod's or Job's uid, a workload's template): a new key is a new Pod. */
  key: string;
  labels: Record<string, string>; spec: any; ip: string; netns: string; dir: string;
  volumes: Record<string, string>; ready: Map<string, boolean>; done: boolean; failed: boolean;
  procs: ChildProcess[]; restarts: number; stopped: boolean;
  /** Each container's processes (its runs and restarts), by container name: what a preStop precedes. */
  containerProcs: Map<string, ChildProcess[]>;
  /** What the Pod's preStop hooks did when it was deleted: container, exit code (null: killed at the grace period), seconds. */
  preStops: { container: string; code: number | null; seconds: number }[];
  /** How many Pods ran under this name before this one (0 for the first; a rollout's recreation is 1). */
  generation: number;
}

type Planned = Pick<RunPod, 'name' | 'namespace' | 'kind' | 'owner' | 'key' | 'labels' | 'spec' | 'volumes'>;

const sh = (args: string[]): void => {
  const r = spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
};
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Kubernetes' $(VAR) expansion: $$(VAR) escapes, unknown names stay as written. */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n) => (m === '$$' ? '$' : n in env ? (env[n] as string) : m));
}

function matches(sel: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return !!sel && Object.entries(sel).every(([k, v]) => labels[k] === v);
}

/** The user and group a Pod's containers run as: runAsUser (root without), runAsGroup (else the user's). */
function podUser(p: Pick<RunPod, 'spec'>): { uid: number; gid: number } {
  const sc = p.spec.securityContext ?? {};
  return { uid: sc.runAsUser ?? 0, gid: sc.runAsGroup ?? sc.runAsUser ?? 0 };
}

export class PodRunner {
  readonly pods: RunPod[] = [];
  private readonly bridge: string;
  private objects: Obj[] = [];
  private stopped = false;
  /** The last host number handed out: addresses go round the /24 from there, as host-local IPAM does (substitutions.ts, 5.). */
  private lastHost = 1;
  /** Host numbers of the Pods that hold an address now. */
  private readonly inUse = new Set<number>();
  /** Pod name -> how many Pods ran under it. */
  private readonly generations = new Map<string, number>();

  constructor(private readonly tools: Tools, private readonly root: string, private readonly prefix = 'vo') {
    this.bridge = `${prefix}-br`;
  }

  /** Pods the tree asks for: Pods, Deployment and StatefulSet replicas, Jobs (until they are deleted). */
  private plan(objects: Obj[]): Planned[] {
    const out: Planned[] = [];
    for (const o of objects) {
      const namespace = o.metadata.namespace ?? 'default';
      const add = (name: string, kind: 'Pod' | 'Job', owner: string, key: string, meta: any, spec: any, volumes: Record<string, string> = {}): void => {
        out.push({ name, namespace, kind, owner, key, labels: meta?.labels ?? {}, spec, volumes });
      };
      const replicas = (n: number | undefined): number => n ?? 1;
      const template = (t: any): string => JSON.stringify(t);
      if (o.kind === 'Pod') add(o.metadata.name, 'Pod', `Pod/${o.metadata.name}`, o.metadata.uid ?? template(o.spec), o.metadata, o.spec);
      else if (o.kind === 'Job') add(`${o.metadata.name}-job`, 'Job', `Job/${o.metadata.name}`, o.metadata.uid ?? template(o.spec), o.spec.template.metadata, o.spec.template.spec);
      else if (o.kind === 'Deployment') for (let r = 0; r < replicas(o.spec.replicas); r++) add(`${o.metadata.name}-${r}`, 'Pod', `Deployment/${o.metadata.name}`, template(o.spec.template), o.spec.template.metadata, o.spec.template.spec);
      else if (o.kind === 'StatefulSet') for (let r = 0; r < replicas(o.spec.replicas); r++) {
        const name = `${o.metadata.name}-${r}`;
        const pvcs: Record<string, string> = {};
        for (const t of o.spec.volumeClaimTemplates ?? []) pvcs[t.metadata.name] = join(this.root, 'pvc', `${t.metadata.name}-${name}`);
        add(name, 'Pod', `StatefulSet/${o.metadata.name}`, template(o.spec.template), o.spec.template.metadata, { hostname: name, subdomain: o.spec.serviceName, ...o.spec.template.spec }, pvcs);
      }
    }
    return out;
  }

  /** Cluster DNS as a hosts file: Pod hostnames, headless Services to every Pod, ClusterIP Services to the first. */
  private hosts(): string {
    const lines = ['127.0.0.1 localhost', '::1 localhost'];
    for (const p of this.pods) {
      const names = [p.name];
      if (p.spec.hostname && p.spec.subdomain) names.push(`${p.spec.hostname}.${p.spec.subdomain}`, `${p.spec.hostname}.${p.spec.subdomain}.${p.namespace}.${CLUSTER_DOMAIN}`);
      lines.push(`${p.ip} ${names.join(' ')}`);
    }
    for (const s of this.objects.filter((o) => o.kind === 'Service')) {
      const ns = s.metadata.namespace ?? 'default';
      const picked = this.pods.filter((p) => p.namespace === ns && p.kind === 'Pod' && matches(s.spec.selector, p.labels));
      const names = `${s.metadata.name} ${s.metadata.name}.${ns} ${s.metadata.name}.${ns}.${CLUSTER_DOMAIN}`;
      for (const p of s.spec.clusterIP === 'None' ? picked : picked.slice(0, 1)) lines.push(`${p.ip} ${names}`);
    }
    return lines.join('\n') + '\n';
  }

  /** Rewrites every namespace's hosts file in place (same inode: the bind mounts of running containers see it). */
  private writeHosts(): void {
    const hosts = this.hosts();
    writeFileSync(join(this.root, 'hosts'), hosts);
    for (const ns of [this.bridge, ...this.pods.map((p) => p.netns)]) {
      mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${ns}/hosts`, hosts);
    }
  }

  private bridgeUp(): void {
    sh(['ip', 'netns', 'add', this.bridge]);
    sh(['ip', '-n', this.bridge, 'link', 'add', 'br0', 'type', 'bridge']);
    sh(['ip', '-n', this.bridge, 'addr', 'add', '10.244.0.1/24', 'dev', 'br0']);
    sh(['ip', '-n', this.bridge, 'link', 'set', 'br0', 'up']);
    sh(['ip', '-n', this.bridge, 'link', 'set', 'lo', 'up']);
  }

  /**
   * A new Pod's network namespace, a veth into the bridge, its IP: the next free address after the
   * last one handed out, so a Pod recreated under the same name gets another IP, as from a CNI's IPAM.
   */
  private address(): { ip: string; netns: string } {
    let i = this.lastHost;
    do {
      i = i >= 254 ? 2 : i + 1;
      if (i === this.lastHost) throw new Error('the runner\'s /24 is full');
    } while (this.inUse.has(i));
    this.lastHost = i;
    this.inUse.add(i);
    const a = { ip: `10.244.0.${i}`, netns: `${this.prefix}-p${i}` };
    sh(['ip', 'netns', 'add', a.netns]);
    sh(['ip', '-n', this.bridge, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', a.netns]);
    sh(['ip', '-n', this.bridge, 'link', 'set', `v${i}`, 'master', 'br0', 'up']);
    sh(['ip', '-n', a.netns, 'addr', 'add', `${a.ip}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', a.netns, 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', a.netns, 'link', 'set', 'lo', 'up']);
    return a;
  }

  /** A stopped Pod's address goes back to the pool, its namespace (and its veth with it) and hosts file away. */
  private release(p: RunPod): void {
    spawnSync('ip', ['netns', 'del', p.netns]);
    rmSync(`/etc/netns/${p.netns}`, { recursive: true, force: true });
    this.inUse.delete(Number(p.ip.split('.').pop()));
  }

  private env(p: RunPod, c: Container): Record<string, string> {
    const env: Record<string, string> = { HOSTNAME: p.spec.hostname ?? p.name };
    for (const ef of c.envFrom ?? []) {
      const cm = this.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === ef.configMapRef?.name);
      Object.assign(env, cm?.data ?? {});
    }
    for (const e of c.env ?? []) {
      if ('value' in e) env[e.name] = expand(String(e.value), env);
      else if (e.valueFrom?.fieldRef) {
        const f = e.valueFrom.fieldRef.fieldPath;
        env[e.name] = f === 'metadata.name' ? p.name : f === 'metadata.namespace' ? p.namespace : f === 'status.podIP' ? p.ip : '';
      }
    }
    return env;
  }

  /** A shell script that mounts the container's view (image /vt, volumes) and execs the command as the Pod's user. */
  private launcher(p: RunPod, c: Container, layout: ImageLayout, argv: string[], tag: string): string {
    const mounts: [string, string][] = [];
    if (layout.vtFrom) {
      const vt = join(p.dir, 'image-vt');
      if (!existsSync(vt)) {
        mkdirSync(join(vt, 'bin'), { recursive: true });
        for (const b of readdirSync(join(this.tools.vitessDir, 'bin'))) linkSync(join(this.tools.vitessDir, 'bin', b), join(vt, 'bin', b));
        cpSync(join(layout.vtFrom, 'config'), join(vt, 'config'), { recursive: true });
        spawnSync('chown', ['-R', '999:999', vt]);
      }
      mounts.push([vt, '/vt']);
    }
    if (layout.localBin) {
      const bin = join(p.dir, 'image-bin');
      if (!existsSync(bin)) {
        mkdirSync(bin, { recursive: true });
        for (const f of layout.localBin.files) linkSync(f, join(bin, f.split('/').pop() as string));
      }
      mounts.push([bin, layout.localBin.at]);
    }
    for (const m of c.volumeMounts ?? []) mounts.push([this.volume(p, m.name), m.mountPath]);
    mounts.sort((a, b) => a[1].split('/').length - b[1].split('/').length);
    const { uid, gid } = podUser(p);
    const env = { ...layout.env, ...this.env(p, c) };
    const lines = ['set -e'];
    // An image with a root filesystem (substitutions.ts): mounts land inside it, with the kernel's
    // filesystems, a /tmp of the container's own and the Pod's hosts file (which ip netns exec put on
    // /etc/hosts), and the command runs chrooted there.
    const root = layout.rootfs ?? '';
    if (root) {
      const tmp = join(p.dir, `tmp-${tag}`);
      mkdirSync(tmp, { recursive: true, mode: 0o1777 });
      chmodSync(tmp, 0o1777);
      mounts.unshift(['/proc', '/proc'], ['/sys', '/sys'], ['/dev', '/dev'], [tmp, '/tmp']);
      // The container's writable layer over the shared root (substitutions.ts, 7.).
      for (const w of layout.writable ?? []) {
        const own = join(p.dir, `rw-${tag}`, w);
        if (!existsSync(own)) {
          mkdirSync(join(own, '..'), { recursive: true });
          sh(['cp', '-a', root + w, own]);
        }
        mounts.push([own, w]);
      }
    }
    for (const [from, to] of mounts) lines.push(`mkdir -p ${q(root + to)}`, `mount --bind ${q(from)} ${q(root + to)}`);
    if (root) lines.push(`touch ${q(`${root}/etc/hosts`)}`, `mount --bind /etc/hosts ${q(`${root}/etc/hosts`)}`);
    lines.push(`cd /`);
    const envArgs = Object.entries({ PATH: layout.path.join(':'), HOME: '/tmp', ...env }).map(([k, v]) => q(`${k}=${v}`)).join(' ');
    const enter = root ? `chroot ${q(root)} /usr/bin/setpriv` : 'setpriv';
    lines.push(`exec ${enter} --reuid=${uid} --regid=${gid} --clear-groups --no-new-privs /usr/bin/env -i ${envArgs} ${argv.map((a) => q(expand(a, env))).join(' ')}`);
    const file = join(p.dir, `${tag}.sh`);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  private volume(p: RunPod, name: string): string {
    if (!p.volumes[name]) {
      const v = (p.spec.volumes ?? []).find((x: any) => x.name === name);
      if (!v) throw new Error(`${p.name}: volume ${name} not declared`);
      p.volumes[name] = v.persistentVolumeClaim ? join(this.root, 'pvc', v.persistentVolumeClaim.claimName) : join(p.dir, 'volumes', name);
    }
    const dir = p.volumes[name] as string;
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true });
      const fsGroup = p.spec.securityContext?.fsGroup ?? p.spec.securityContext?.runAsUser;
      if (fsGroup !== undefined) chownSync(dir, p.spec.securityContext?.runAsUser ?? 0, fsGroup);
    }
    this.project(p, name);
    return dir;
  }

  /**
   * A Secret or ConfigMap volume's files, as the kubelet writes them: every key (or the listed `items`)
   * as a file, mode `defaultMode` (0644 unless set), owned by root and the Pod's fsGroup. Written again
   * when the object's data changes (sync), in place, so a running container sees the new content as it
   * would after the kubelet's refresh. A missing object or key fails the container's start, as the
   * kubelet holds such a Pod in ContainerCreating.
   */
  private project(p: RunPod, name: string): void {
    const v = (p.spec.volumes ?? []).find((x: any) => x.name === name);
    const source = v?.secret ?? v?.configMap;
    if (source === undefined) return;
    const kind = v.secret ? 'Secret' : 'ConfigMap';
    const objectName = v.secret ? source.secretName : source.name;
    const o = this.objects.find((x) => x.kind === kind && x.metadata.name === objectName && (x.metadata.namespace ?? 'default') === p.namespace);
    if (!o) throw new Error(`${p.name}: ${kind} ${objectName} of volume ${name} not found`);
    const data: Record<string, Buffer> = {};
    for (const [k, val] of Object.entries((o.data ?? {}) as Record<string, string>)) data[k] = kind === 'Secret' ? Buffer.from(val, 'base64') : Buffer.from(val);
    for (const [k, val] of Object.entries((o.stringData ?? {}) as Record<string, string>)) data[k] = Buffer.from(val);
    const items: { key: string; path: string; mode?: number }[] = source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    const dir = p.volumes[name] as string;
    const group = p.spec.securityContext?.fsGroup ?? 0;
    for (const item of items) {
      const content = data[item.key];
      if (content === undefined) throw new Error(`${p.name}: ${kind} ${objectName} has no key ${item.key} (volume ${name})`);
      const file = join(dir, item.path);
      if (existsSync(file) && readFileSync(file).equals(content)) continue;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      chmodSync(file, item.mode ?? source.defaultMode ?? 0o644);
      chownSync(file, 0, group);
    }
  }

  private run(p: RunPod, c: Container, tag: string, argv?: string[]): ChildProcess {
    const layout = imageLayout(c.image, this.tools);
    if (!layout) throw new Error(`${p.name}/${c.name}: no local layout for image ${c.image} (substitutions.ts)`);
    // Kubernetes: without a command the image's entrypoint runs, with the args or else the image's cmd.
    const cmd = argv ?? (c.command ? [...c.command, ...(c.args ?? [])] : [...(layout.entrypoint ?? []), ...(c.args ?? layout.cmd ?? [])]);
    if (cmd.length === 0) throw new Error(`${p.name}/${c.name}: no command, and image ${c.image} has no entrypoint (substitutions.ts)`);
    const script = this.launcher(p, c, layout, cmd, tag);
    const log = openSync(join(p.dir, `${tag}.log`), 'a');
    // The container's stdout and stderr belong to its user, as runc makes them (fixStdioPermissions):
    // a process that reopens /dev/stdout or /dev/stderr (nginx's logs) can.
    const { uid, gid } = podUser(p);
    fchownSync(log, uid, gid);
    return spawn('ip', ['netns', 'exec', p.netns, '/bin/sh', script], { stdio: ['ignore', log, log], detached: true });
  }

  private exit(proc: ChildProcess): Promise<number> {
    return new Promise((resolve) => (proc.exitCode !== null ? resolve(proc.exitCode) : proc.once('exit', (code) => resolve(code ?? 1))));
  }

  private async startPod(p: RunPod): Promise<void> {
    mkdirSync(p.dir, { recursive: true });
    for (const c of (p.spec.initContainers ?? []) as Container[]) {
      for (;;) {
        if (p.stopped) return;
        const proc = this.run(p, c, `init-${c.name}`);
        p.procs.push(proc);
        if ((await this.exit(proc)) === 0) break;
        await Bun.sleep(2000);
      }
    }
    const once = p.kind === 'Job';
    await Promise.all(((p.spec.containers ?? []) as Container[]).map(async (c) => {
      p.ready.set(c.name, !c.readinessProbe);
      if (c.readinessProbe) void this.probeLoop(p, c);
      let backoff = 1000;
      for (;;) {
        if (p.stopped) return;
        const proc = this.run(p, c, c.name);
        p.procs.push(proc);
        p.containerProcs.set(c.name, [...(p.containerProcs.get(c.name) ?? []), proc]);
        const code = await this.exit(proc);
        if (once && code === 0) { p.done = true; return; }
        if (p.stopped) return;
        p.restarts++;
        await Bun.sleep(backoff);
        backoff = Math.min(backoff * 2, 10000);
      }
    }));
  }

  private port(c: Container, port: number | string): number {
    if (typeof port === 'number') return port;
    const found = (c.ports ?? []).find((x) => x.name === port);
    if (!found) throw new Error(`${c.name}: no port named ${port}`);
    return found.containerPort;
  }

  /** One run of the container's readiness probe, from the bridge namespace (like the kubelet on the node). */
  async probe(p: RunPod, c: Container): Promise<boolean> {
    const pr = c.readinessProbe;
    const timeout = String(pr.timeoutSeconds ?? 1);
    // Asynchronous, so that one slow probe does not hold up every other Pod's probes and processes.
    const run = async (argv: string[]): Promise<{ code: number; out: string }> => {
      const proc = Bun.spawn(argv, { stdout: 'pipe', stderr: 'ignore' });
      const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      return { code, out };
    };
    if (pr.httpGet) {
      const url = `http://${p.ip}:${this.port(c, pr.httpGet.port)}${pr.httpGet.path ?? '/'}`;
      const r = await run(['ip', 'netns', 'exec', this.bridge, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', timeout, url]);
      const code = Number(r.out);
      return code >= 200 && code < 400;
    }
    if (pr.tcpSocket) {
      const r = await run(['ip', 'netns', 'exec', this.bridge, 'timeout', timeout, 'bash', '-c', `exec 3<>/dev/tcp/${p.ip}/${this.port(c, pr.tcpSocket.port)}`]);
      return r.code === 0;
    }
    if (pr.exec) {
      const proc = this.run(p, c, `probe-${c.name}`, pr.exec.command);
      const t = setTimeout(() => proc.kill('SIGKILL'), Number(timeout) * 1000 + 2000);
      const code = await this.exit(proc);
      clearTimeout(t);
      return code === 0;
    }
    throw new Error(`${p.name}/${c.name}: unsupported probe ${JSON.stringify(pr)}`);
  }

  private async probeLoop(p: RunPod, c: Container): Promise<void> {
    await Bun.sleep((c.readinessProbe.initialDelaySeconds ?? 0) * 1000);
    while (!p.stopped) {
      const ok = await this.probe(p, c);
      if (!p.stopped) p.ready.set(c.name, ok);
      await Bun.sleep(Math.min(PROBE_PERIOD_MS, (c.readinessProbe.periodSeconds ?? 10) * 1000));
    }
  }

  isReady(p: RunPod): boolean {
    return p.kind === 'Job' ? p.done : p.ready.size > 0 && [...p.ready.values()].every(Boolean);
  }

  /**
   * A new cluster: removes what a killed run left (its processes, namespaces and folders: PVC folders
   * outlive Pods within a run, not across runs), sets up the node's bridge, then runs what the objects ask for.
   */
  async start(objects: Obj[] = []): Promise<void> {
    // Left over from a run that was killed: same names, so remove them first.
    for (const ns of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n')) {
      const name = ns.split(' ')[0] as string;
      if (!name.startsWith(`${this.prefix}-`)) continue;
      // Its processes too: a killed test run leaves them running in the namespaces it made.
      for (const pid of spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
      spawnSync('ip', ['netns', 'del', name]);
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
    rmSync(this.root, { recursive: true, force: true });
    mkdirSync(join(this.root, 'pvc'), { recursive: true });
    this.bridgeUp();
    await this.sync(objects);
  }

  /**
   * The kubelet's loop over a new set of objects: starts the Pods (and Jobs) that appeared, stops those
   * that went away (as a deleted Pod is: SIGTERM, up to its grace period, then SIGKILL), and replaces a
   * Pod whose key changed (recreated under the same name, or a workload's new template). A PVC's folder
   * stays. Returns when every stopped Pod has exited and every new one has been launched.
   */
  async sync(objects: Obj[]): Promise<void> {
    if (this.stopped) return;
    this.objects = objects;
    const planned = this.plan(objects);
    const wanted = new Map(planned.map((p) => [p.name, p]));
    const gone = this.pods.filter((p) => wanted.get(p.name)?.key !== p.key);
    await Promise.all(gone.map((p) => this.stopPod(p)));
    for (const p of gone) {
      this.pods.splice(this.pods.indexOf(p), 1);
      this.release(p);
    }
    const fresh: RunPod[] = [];
    for (const want of planned) {
      if (this.pods.some((p) => p.name === want.name)) continue;
      const a = this.address();
      const generation = this.generations.get(want.name) ?? 0;
      this.generations.set(want.name, generation + 1);
      const p: RunPod = { ...want, ip: a.ip, netns: a.netns, dir: join(this.root, 'pods', want.name), ready: new Map(), done: false, failed: false, procs: [], restarts: 0, stopped: false, generation, containerProcs: new Map(), preStops: [] };
      this.pods.push(p);
      fresh.push(p);
    }
    this.writeHosts();
    // The kubelet's refresh of Secret and ConfigMap volumes: running Pods see edited data.
    for (const p of this.pods) {
      if (fresh.includes(p)) continue;
      for (const name of Object.keys(p.volumes)) {
        try { this.project(p, name); } catch { /* a Secret deleted or without the key: the kubelet keeps the last files */ }
      }
    }
    for (const p of fresh) {
      // A new Pod starts from a clean container filesystem (emptyDirs too); its PVC folders are kept,
      // and the old Pod's folder (logs) is kept beside it as <name>~<generation>.
      if (existsSync(p.dir)) renameSync(p.dir, `${p.dir}~${p.generation - 1}`);
      void this.startPod(p);
    }
  }

  /** The IP of the Pod this Pod object runs as (same uid), if it runs. */
  ipOf(o: Obj): string | undefined {
    return this.pods.find((p) => p.kind === 'Pod' && p.owner === `Pod/${o.metadata.name}` && p.key === o.metadata.uid)?.ip;
  }

  /** Whether the kubelet would report this object ready: its Pods' probes, a Job's completion. */
  readyFor(o: Obj): boolean {
    const mine = (owner: string): RunPod[] => this.pods.filter((p) => p.owner === owner);
    switch (o.kind) {
      case 'Pod': return mine(`Pod/${o.metadata.name}`).some((p) => p.key === o.metadata.uid && this.isReady(p));
      case 'Job': return mine(`Job/${o.metadata.name}`).some((p) => p.done);
      case 'Deployment':
      case 'StatefulSet': {
        const pods = mine(`${o.kind}/${o.metadata.name}`).filter((p) => p.key === JSON.stringify(o.spec.template));
        return pods.length === (o.spec.replicas ?? 1) && pods.every((p) => this.isReady(p));
      }
      default: return true;
    }
  }

  /**
   * A deleted Pod stops as the kubelet stops it: each container's preStop hook (exec) runs first and
   * that container gets SIGTERM when its hook returns; a container without one gets SIGTERM at once.
   * The grace period (terminationGracePeriodSeconds, at most 180 s here) covers hooks and shutdown
   * together; what still runs then is killed (SIGKILL), a hook too, after the kubelet's 2 s extension.
   */
  private async stopPod(p: RunPod, runHooks = true): Promise<void> {
    p.stopped = true;
    const alive = (proc: ChildProcess): boolean => proc.exitCode === null && proc.signalCode === null && !!proc.pid;
    const live = (): ChildProcess[] => p.procs.filter(alive);
    const term = (procs: ChildProcess[]): void => {
      for (const proc of procs.filter(alive)) try { process.kill(-(proc.pid as number), 'SIGTERM'); } catch { /* gone */ }
    };
    const grace = Math.min(Number(p.spec.terminationGracePeriodSeconds ?? 30), 180) * 1000;
    const t0 = Date.now();
    const end = t0 + grace;
    const containers = (p.spec.containers ?? []) as Container[];
    const hooks: Promise<void>[] = [];
    for (const c of containers) {
      const preStop = c.lifecycle?.preStop?.exec?.command;
      // A Job's finished container, or a Pod that never started: nothing to run the hook in.
      if (!runHooks || preStop === undefined || p.kind === 'Job' || !(p.containerProcs.get(c.name) ?? []).some(alive)) {
        term(p.containerProcs.get(c.name) ?? []);
        continue;
      }
      hooks.push((async () => {
        const hook = this.run(p, c, `prestop-${c.name}`, preStop);
        const timer = setTimeout(() => { try { process.kill(-(hook.pid as number), 'SIGKILL'); } catch { /* gone */ } }, Math.max(0, end - Date.now()) + 2000);
        const code = await new Promise<number | null>((resolve) => (hook.exitCode !== null ? resolve(hook.exitCode) : hook.once('exit', (c2) => resolve(c2))));
        clearTimeout(timer);
        p.preStops.push({ container: c.name, code, seconds: (Date.now() - t0) / 1000 });
        term(p.containerProcs.get(c.name) ?? []);
      })());
    }
    // Init containers still running (a Pod deleted while starting) stop at once.
    term(p.procs.filter((proc) => ![...p.containerProcs.values()].some((list) => list.includes(proc))));
    await Promise.all(hooks);
    while (live().length > 0 && Date.now() < end) await Bun.sleep(200);
    for (const proc of live()) try { process.kill(-(proc.pid as number), 'SIGKILL'); } catch { /* gone */ }
    p.ready.clear();
  }

  /**
   * Runs cmd inside the bridge namespace (the "node"), with the cluster's hosts file; with rootfs, chrooted
   * into that image's root filesystem (as `kubectl run --image` would run a client), where names do not
   * resolve: give IPs.
   */
  node(cmd: string[], opts: { input?: string; rootfs?: string; timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
    const argv = opts.rootfs ? ['chroot', opts.rootfs, ...cmd] : cmd;
    const r = spawnSync('ip', ['netns', 'exec', this.bridge, ...argv], { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 60000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** GET of a URL from the node (the bridge namespace): the body of a 2xx answer, else undefined. */
  async nodeFetch(url: string, timeoutSeconds: number): Promise<string | undefined> {
    const proc = Bun.spawn(['ip', 'netns', 'exec', this.bridge, 'curl', '-sf', '-m', String(timeoutSeconds), url], { stdout: 'pipe', stderr: 'ignore' });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    return code === 0 ? out : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // The end of a test run is not a Pod deletion: no preStop hooks (substitutions.ts, 8.).
    await Promise.all(this.pods.map((p) => this.stopPod(p, false)));
    for (const p of this.pods) this.release(p);
    spawnSync('ip', ['netns', 'del', this.bridge]);
    rmSync(`/etc/netns/${this.bridge}`, { recursive: true, force: true });
  }
}
