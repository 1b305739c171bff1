/**
 * Default images, pinned (never `latest`, a gap users report with other operators).
 * Every component's own `image` and the cluster's `spec.images` override these.
 */
export const DEFAULT_IMAGES = {
  /**
   * Vitess v24.0.3: the release the real-Vitess tests build (vitess.io/vitess v0.24.3 from the Go
   * module proxy, test/harness), so the flags we render are the flags those binaries were checked against.
   */
  vitess: 'vitess/lite:v24.0.3',
  /**
   * mysqld runs from its own image under mysqlctld (see lib/templates/tablet.ts), so the MySQL
   * version is chosen apart from Vitess'. The LTS line Vitess v24 ships with: its vitess/lite installs
   * MySQL 8.4 and xtrabackup 8.4 (docker/utils/install_dependencies.sh, flavor mysql84), and its
   * servers advertise 8.4.6 by default. 8.0 reached end of life in April 2026. We keep the separate
   * image, as the maintained operator does.
   */
  mysql: 'mysql:8.4.6',
  etcdVersion: '3.5.17',
} as const;

/**
 * The oldest Vitess major the rendered commands run on: dashed flags only, `vtctldclient` in
 * /vt/bin, vtorc electing the first primary once a keyspace has a durability policy.
 */
export const MINIMUM_VITESS_MAJOR = 24;

/** A Vitess image the operator replaced because its tag names a release too old for our commands. */
export interface ImageOverride {
  requested: string;
  used: string;
  reason: string;
}

/**
 * The Vitess major release an image's tag names (`vitess/lite:v2.1.1` -> 2, `...:v24.0.4-mysql84` -> 24),
 * or undefined when the tag is no version (`latest`, a digest, a build name): those are the user's call.
 */
export function vitessMajor(image: string): number | undefined {
  if (image.includes('@')) return undefined;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon <= slash) return undefined;
  const match = /^v?(\d+)\.\d+(\.\d+)?([-+.].*)?$/.exec(image.slice(colon + 1));
  return match === null ? undefined : Number(match[1]);
}

/**
 * The image to run for a requested Vitess image: the request itself, unless its tag names a release
 * older than MINIMUM_VITESS_MAJOR. Such an image lacks the binaries and flags we render (v2.1.1 has no
 * vtctldclient), so its Pods could never start; the pinned default runs instead and the override is
 * reported in the VitessCluster's status (docs/decisions/0005-old-vitess-images.md).
 */
export function supportedVitessImage(requested: string): { image: string; override?: ImageOverride } {
  const major = vitessMajor(requested);
  if (major === undefined || major >= MINIMUM_VITESS_MAJOR) return { image: requested };
  return {
    image: DEFAULT_IMAGES.vitess,
    override: {
      requested,
      used: DEFAULT_IMAGES.vitess,
      reason: `Vitess ${major} is older than ${MINIMUM_VITESS_MAJOR}, the oldest release the rendered commands run on`,
    },
  };
}

/** The etcd image for a version: etcd's release images on quay.io, which go back to the v3.2 the seed asks for. */
export function etcdImage(version: string): string {
  return `quay.io/coreos/etcd:v${version}`;
}
