/**
 * MySQL as the tablets run it: the version a MySQL image's tag names, what vtgate and vttablet
 * advertise for it (`--mysql-server-version`), and which xtrabackup a Vitess image carries.
 * docs/decisions/0022-pod-knobs-and-mysql-versions.md.
 */

/** A MySQL release read from an image tag: `8.4.6`, its line `8.4`, and the three numbers to compare. */
export interface MysqlVersion {
  version: string;
  line: string;
  parts: readonly [number, number, number];
}

/**
 * The MySQL version an image's tag names: `mysql:8.4.6`, `mysql:8.4.6-oracle`, `percona/percona-server:8.0.36-28`
 * (`8.0.36`); `mysql:8.4` names the line's first release (`8.4.0`: a feature the parser gates on a
 * later patch release stays off, never the reverse). Undefined for a tag that names no version
 * (`latest`, `lts`, a digest, a build name): the flag is then left to Vitess' default.
 */
export function mysqlVersionOf(image: string): MysqlVersion | undefined {
  if (image.includes('@')) return undefined;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon <= slash) return undefined;
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-_+].*)?$/.exec(image.slice(colon + 1));
  if (match === null) return undefined;
  const parts = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] as const;
  return { version: parts.join('.'), line: `${parts[0]}.${parts[1]}`, parts };
}

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b`. */
export function compareMysqlVersions(a: MysqlVersion, b: MysqlVersion): number {
  for (let i = 0; i < 3; i++) {
    const d = (a.parts[i] as number) - (b.parts[i] as number);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * The oldest version among the images, or undefined when any names none: what a vtgate in front of
 * them all may advertise (a client must not be told of features some shard lacks).
 */
export function oldestMysqlVersion(images: readonly string[]): MysqlVersion | undefined {
  let oldest: MysqlVersion | undefined;
  for (const image of images) {
    const version = mysqlVersionOf(image);
    if (version === undefined) return undefined;
    if (oldest === undefined || compareMysqlVersions(version, oldest) < 0) oldest = version;
  }
  return oldest;
}

/**
 * `--mysql-server-version` of vtgate and vttablet: the version they advertise to clients and give
 * their SQL parser (version-gated comments, syntax). Vitess v24 says `8.4.6-Vitess` whatever runs
 * behind it; the same form with the version in use.
 */
export function mysqlServerVersionFlag(version: string | undefined): Record<string, string> {
  return version === undefined ? {} : { 'mysql-server-version': `${version}-Vitess` };
}

/**
 * The xtrabackup line a Vitess image carries, when we know it: v24's `vitess/lite` (and
 * `vitess/lite:*-mysql84`) installs percona-xtrabackup-84 (docker/utils/install_dependencies.sh,
 * flavor mysql84); an image whose tag says `mysql80`/`percona80` carries 8.0. Undefined for any
 * other image (a build of your own: its xtrabackup is yours to match). xtrabackup backs up only the
 * line it was built for (8.0 cannot read 8.4's files, nor 8.4 8.0's or 9.x's).
 */
export function xtrabackupLineOf(vitessImage: string): string | undefined {
  const slash = vitessImage.lastIndexOf('/');
  const colon = vitessImage.lastIndexOf(':');
  if (colon <= slash || vitessImage.includes('@')) return undefined;
  const repository = vitessImage.slice(0, colon).replace(/^(docker\.io\/)?/, '');
  if (repository !== 'vitess/lite') return undefined;
  const tag = vitessImage.slice(colon + 1);
  return /(mysql|percona)80/.test(tag) ? '8.0' : '8.4';
}

/**
 * Whether the MySQL change from one image to another needs a slow shutdown first
 * (`innodb_fast_shutdown=0`: purge and change-buffer merge done, so the new server's in-place upgrade
 * starts from clean files, as MySQL's upgrade guide asks before a change of line). A change of line
 * (8.0 -> 8.4, 8.4 -> 9.7) does, and so does a change we cannot read (a tag naming no version).
 */
export function needsSlowShutdown(from: string, to: string): boolean {
  if (from === to) return false;
  const a = mysqlVersionOf(from);
  const b = mysqlVersionOf(to);
  return a === undefined || b === undefined || a.line !== b.line;
}

/**
 * Why xtrabackup in `vitessImage` cannot back up the mysqld of `mysqlImage`, or undefined when it can
 * or we cannot tell (an image of your own, a tag naming no version).
 */
export function xtrabackupMismatch(vitessImage: string, mysqlImage: string): string | undefined {
  const xtrabackup = xtrabackupLineOf(vitessImage);
  const mysql = mysqlVersionOf(mysqlImage);
  if (xtrabackup === undefined || mysql === undefined || mysql.line === xtrabackup) return undefined;
  return `${vitessImage} carries xtrabackup ${xtrabackup}, which cannot back up MySQL ${mysql.line} (${mysqlImage}): run MySQL ${xtrabackup}, or a Vitess image whose xtrabackup matches (set backup.xtrabackup.rootPath for one you installed), or engine builtin`;
}

/** What xtrabackupProblems reads of a tablet pool. */
export interface TabletImages {
  replicas: number;
  image: string;
  mysqlImage: string;
}

/**
 * xtrabackup backs up only the MySQL line it was built for, and runs from the tablet's Vitess image:
 * v24's vitess/lite carries 8.4, so engine xtrabackup with MySQL 8.0 tablets would fail every backup
 * (and every restore). Refused up front. A `rootPath` names an xtrabackup of the user's: not checked.
 */
export function xtrabackupProblems(backup: { engine?: string; xtrabackup?: { rootPath?: string } } | undefined, pools: Record<'replica' | 'rdonly', TabletImages>, path: string): string[] {
  if (backup?.engine !== 'xtrabackup' || backup.xtrabackup?.rootPath !== undefined) return [];
  return (['replica', 'rdonly'] as const).flatMap((type) => {
    const pool = pools[type];
    const why = pool.replicas === 0 ? undefined : xtrabackupMismatch(pool.image, pool.mysqlImage);
    return why === undefined ? [] : [`${path}.${type}: backup engine xtrabackup: ${why}`];
  });
}
