/**
 * Default images, pinned (never `latest`, a gap users report with other operators).
 * Every component's own `image` and the cluster's `spec.images` override these.
 */
export const DEFAULT_IMAGES = {
  /** Vitess v24: accepts both flag spellings; we emit dashed flags, which v25 requires. */
  vitess: 'vitess/lite:v24.0.3',
  /** vitess/lite carries no MySQL server since Vitess 19: mysqlctld runs inside this image. */
  mysql: 'mysql:8.0.40',
  etcdVersion: '3.5.17',
} as const;

/** The etcd image for a version: etcd's release images on quay.io, which go back to the v3.2 the seed asks for. */
export function etcdImage(version: string): string {
  return `quay.io/coreos/etcd:v${version}`;
}
