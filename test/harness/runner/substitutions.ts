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
}

/**
 * 1. Images. There is no container runtime here, so an image is a folder of binaries:
 *    - vitess/lite:* -> the Pod's own copy of the image's /vt (bin/ from the Vitess build at the module
 *      version go.mod pins, config/ from that module's source), bind-mounted at /vt. MySQL comes from
 *      the host (/usr/sbin/mysqld: Debian's MariaDB 10.11 where no MySQL 8 server package is reachable),
 *      where the image has MySQL 8.4.
 *    - quay.io/coreos/etcd:* -> the control plane build's etcd (v3.7.0 in place of the image's v3.5.x)
 *      and an etcdctl built at the same version, in a per-Pod folder bind-mounted at /usr/local/bin
 *      (where the image has them).
 *    - mysql:* (the tablet's mysqld container, which runs the mysqlctld that vt-init copied) -> the
 *      host's /usr/sbin/mysqld: MariaDB 10.11 from Debian, as no reachable registry carries a MySQL 8
 *      server; see docs/vitess-harness.md for what MariaDB cannot do under Vitess v24.
 */
export interface ImageLayout { vtFrom?: string; localBin?: string[]; path: string[] }
export function imageLayout(image: string, tools: Tools): ImageLayout | undefined {
  const path = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  if (image.startsWith('vitess/lite:')) return { vtFrom: join(tools.vitessDir, 'vt'), path: ['/vt/bin', ...path] };
  if (image.includes('/etcd:')) return { localBin: [join(tools.etcdBin, 'etcd'), join(tools.vitessDir, 'bin', 'etcdctl')], path };
  if (image.startsWith('mysql:')) return { path };
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
 * 4. Mount points on the host. Bind mounts happen in each container's own mount namespace (ip netns exec
 *    makes one), but their mount points must exist: the runner creates the empty folders (/vt, /mnt/vt,
 *    /var/lib/etcd, ...) on the host when missing.
 */
