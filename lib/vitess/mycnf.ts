/**
 * Extra my.cnf for mysqld under mysqlctld. mysqlctld generates my.cnf from its templates and appends
 * every file named in the EXTRA_MY_CNF environment variable (a colon-separated list), each time it
 * starts: on first start (init) and on every later one (RefreshConfig), so a restart applies a change
 * (go/vt/mysqlctl/mysqld.go, getMycnfTemplate; go/cmd/mysqlctld). The appended text follows the
 * template's `[mysqld]` header and is itself read as a Go text/template (hence no braces in values).
 */
import type { MyCnfSpec } from '../api/common.ts';

export const EXTRA_MY_CNF_ENV = 'EXTRA_MY_CNF';

/**
 * mysqld's error log, on stderr. Vitess' my.cnf template writes it to a file in the data directory
 * (`log-error = {{.ErrorLogPath}}`); mysqlctld starts mysqld (or mysqld_safe) with its stderr piped
 * into its own log (go/vt/mysqlctl/mysqld.go: "<ts> stderr: <line>"), so on stderr the server's
 * errors reach `kubectl logs -c mysqld`. Not `/dev/stderr` itself: mysqld and mysqld_safe add `.err`
 * to a log file name without an extension (MySQL 9.7.4 created `/dev/stderr.err`), so the name is a
 * symlink with one, to the opening process's own stderr, which the tablet's init container makes.
 */
export const STDERR_LINK = 'mysqld-stderr.log';
export const STDERR_LINK_TARGET = '/proc/self/fd/2';

/** What every tablet's mysqld gets before the pool's own options (which may override it): the error log on stderr. */
export function mysqldDefaults(configDir: string): MyCnfSpec {
  return { 'log-error': `${configDir}/${STDERR_LINK}` };
}

/** The options as my.cnf lines (`name = value`), in the spec's (sorted) order; undefined when there are none. */
export function myCnfText(config: MyCnfSpec | undefined): string | undefined {
  const entries = Object.entries(config ?? {});
  if (entries.length === 0) return undefined;
  return entries.map(([name, value]) => `${name} = ${String(value)}\n`).join('');
}
