/**
 * Every place where the Pod runner runs something other than exactly what the manifests say. The runner
 * never edits a command's flags; it only changes what the flags point at, listed here one by one.
 */
import { join } from 'node:path';

export interface Tools {
  /** Folder holding vitess/<version>: bin/ (Vitess binaries, etcdctl) and vt/config/. */
  vitessDir: string;
  /** Folder holding the etcd binary (the control plane build's). */
  etcdBin: string;
  /** A Debian sid root filesystem with Oracle MySQL's mysql-server-core and mysql-client-core (mysql.sh). */
  mysqlRoot: string;
  /** The vitess/vtadmin image's filesystem but its binary: nginx, the built web app, the site template (vtadmin-web.sh). */
  vtadminRoot?: string;
}

/**
 * 1. Images. There is no container runtime here, so an image is a folder of binaries or a root filesystem:
 *    - vitess/lite:* -> the Pod's own copy of the image's /vt (bin/ from the Vitess build at the module
 *      version go.mod pins, config/ from that module's source), bind-mounted at /vt over the host's root
 *      (the Vitess binaries are static Go programs; the image's own MySQL 8.4 is not used: mysqld runs
 *      from the mysql:* image, as the manifests say).
 *    - quay.io/coreos/etcd:* -> the control plane build's etcd (v3.7.0 in place of the image's v3.5.x)
 *      and an etcdctl built at the same version, in a per-Pod folder bind-mounted at /usr/local/bin
 *      (where the image has them).
 *    - mysql:* (the tablet's mysqld container, which runs the mysqlctld that vt-init copied) -> a Debian
 *      sid root filesystem holding Oracle MySQL (mysql-server-core 9.7.x; Docker's mysql:8.0/8.4 images
 *      are not reachable here, and the host's Debian bookworm has no MySQL server), entered with chroot
 *      as a container runtime enters its image: the volumes bind-mounted inside it, its own /proc, /dev,
 *      /tmp, and the Pod's hosts file. mysqlctld finds /usr/sbin/mysqld and /usr/share/mysql there, as
 *      in the MySQL image. The version differs from the manifests' tag (9.7 for 8.0.40); see
 *      docs/vitess-harness.md.
 *    - vitess/vtadmin:* (docker/binaries/vtadmin/Dockerfile: nginx-unprivileged 1.29 with /vt/bin/vtadmin,
 *      the built web app in /var/www, the module's default.conf as /etc/nginx/templates/default.conf.template)
 *      -> a Debian trixie root filesystem with Debian's nginx (1.26, for the image's 1.29) set up as
 *      nginx-unprivileged's (vtadmin-web.sh: its nginx.conf, user 101, the web app built by npm from the
 *      module's web/vtadmin), entered with chroot as for mysql:*; vtadmin from the Vitess build in a
 *      per-Pod folder bind-mounted at /vt/bin. Its ENV and entrypoint: 6.; its writable layer: 7.
 */
export interface ImageLayout {
  vtFrom?: string;
  /** Binaries hard-linked into a per-Pod folder bind-mounted at `at`. */
  localBin?: { at: string; files: string[] };
  rootfs?: string;
  writable?: string[];
  path: string[];
  /** The image's ENV (before the container's env, which overrides it). */
  env?: Record<string, string>;
  /** The image's ENTRYPOINT and CMD. */
  entrypoint?: string[];
  cmd?: string[];
}
export function imageLayout(image: string, tools: Tools): ImageLayout | undefined {
  const path = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  if (image.startsWith('vitess/lite:')) return { vtFrom: join(tools.vitessDir, 'vt'), path: ['/vt/bin', ...path] };
  if (image.includes('/etcd:')) return { localBin: { at: '/usr/local/bin', files: [join(tools.etcdBin, 'etcd'), join(tools.vitessDir, 'bin', 'etcdctl')] }, path };
  if (image.startsWith('mysql:')) return { rootfs: tools.mysqlRoot, path };
  if (image.startsWith('vitess/vtadmin:') && tools.vtadminRoot) {
    return {
      rootfs: tools.vtadminRoot,
      localBin: { at: '/vt/bin', files: [join(tools.vitessDir, 'bin', 'vtadmin')] },
      writable: ['/etc/nginx/conf.d'],
      path,
      env: { VTADMIN_WEB_PORT: '14201', VTROOT: '/vt' },
      entrypoint: ['/docker-entrypoint.sh'],
      cmd: ['nginx', '-g', 'daemon off;'],
    };
  }
  return undefined;
}

/**
 * 2. Service names. There is no kube-proxy: a ClusterIP Service's name resolves (through the Pod's hosts
 *    file) to the IP of the first Pod its selector picks, instead of a virtual IP that load-balances.
 *    Headless Services and Pod hostnames (hostname.subdomain) resolve as cluster DNS would.
 */
export const CLUSTER_DOMAIN = 'svc.cluster.local';

/**
 * 3. Probe periods. Probes run exactly as written (same endpoint, port, command), but at most every
 *    PROBE_PERIOD_MS, so that a test does not wait 10 s per round for Kubernetes' default period.
 */
export const PROBE_PERIOD_MS = 1000;

/**
 * 4. Mount points. Bind mounts happen in each container's own mount namespace (ip netns exec makes one),
 *    but their mount points must exist: the runner creates the empty folders (/vt, /mnt/vt,
 *    /var/lib/etcd, ...) on the host, or in the image's root filesystem, when missing.
 */

/**
 * 5. Pod IPs. Every Pod gets a new IP (10.244.0.N) and network namespace when it starts, a recreated
 *    one too, as a kubelet's CNI plugin gives it: addresses are handed out round the /24 after the last
 *    one given (host-local IPAM's order), so a Pod recreated under the same name gets another address,
 *    and a stopped Pod's address and namespace are released. Names follow: the hosts files (cluster DNS
 *    here, 2.) are rewritten whenever Pods come and go, so a Pod hostname or headless Service name
 *    resolves to the new IP from the moment the new Pod starts. Only the /24 is smaller than a cluster's.
 */

/**
 * 6. Image ENV and entrypoint. A container runs with its image's ENV under the container's own env
 *    (vitess/vtadmin: VTADMIN_WEB_PORT=14201, VTROOT=/vt), and one without a command runs the image's
 *    ENTRYPOINT and CMD as Kubernetes does (no command: the entrypoint, plus the args or else the cmd).
 *    vtadmin-web has none: the nginx image's /docker-entrypoint.sh with `nginx -g 'daemon off;'`, whose
 *    template step envsubsts VTADMIN_WEB_PORT into /etc/nginx/conf.d/default.conf, substituting only
 *    variables set in the environment (nginx's $uri stays). The scripts are stand-ins written by
 *    vtadmin-web.sh with the behaviour of the nginx image's (docker-entrypoint.sh and
 *    20-envsubst-on-templates.sh), not copies of them.
 */

/**
 * 7. Writable layer. An image root is shared by every container of that image and stays in the cache; the
 *    folders its `writable` lists are what the image's process writes at start (nginx's generated site).
 *    Each container gets its own copy of them (`cp -a`, owners kept: nginx-unprivileged's conf.d belongs
 *    to 101), bind-mounted over the root's, as a container's writable layer would hold the write.
 */

/**
 * 8. Termination. A deleted Pod stops as a kubelet stops it: each container's preStop exec hook runs
 *    (in the container, as its user, with its environment) and the container gets SIGTERM when its hook
 *    returns; containers without one get SIGTERM at once; terminationGracePeriodSeconds covers hooks and
 *    shutdown together, then SIGKILL (a hook gets the kubelet's 2 s extension). The grace period is
 *    capped at 180 s. Differences: no preStop httpGet hooks (ours are exec), and stopping the runner at
 *    the end of a test (PodRunner.stop) runs no hooks: that is the node going away, not a deletion.
 */
