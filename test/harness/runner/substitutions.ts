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
 */
export interface ImageLayout { vtFrom?: string; localBin?: string[]; rootfs?: string; path: string[] }
export function imageLayout(image: string, tools: Tools): ImageLayout | undefined {
  const path = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  if (image.startsWith('vitess/lite:')) return { vtFrom: join(tools.vitessDir, 'vt'), path: ['/vt/bin', ...path] };
  if (image.includes('/etcd:')) return { localBin: [join(tools.etcdBin, 'etcd'), join(tools.vitessDir, 'bin', 'etcdctl')], path };
  if (image.startsWith('mysql:')) return { rootfs: tools.mysqlRoot, path };
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
 * 5. Pod IPs. Each Pod name gets an IP (10.244.0.N) and network namespace once; a Pod recreated under the
 *    same name (a tablet in a rollout, a Deployment's replica with a new template) keeps them, where
 *    Kubernetes would give it a new IP. Names stay right either way: the hosts files are rewritten
 *    whenever Pods come and go.
 */
