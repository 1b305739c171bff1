/**
 * Extra my.cnf for mysqld under mysqlctld. mysqlctld generates my.cnf from its templates and appends
 * every file named in the EXTRA_MY_CNF environment variable (a colon-separated list), each time it
 * starts: on first start (init) and on every later one (RefreshConfig), so a restart applies a change
 * (go/vt/mysqlctl/mysqld.go, getMycnfTemplate; go/cmd/mysqlctld). The appended text follows the
 * template's `[mysqld]` header and is itself read as a Go text/template (hence no braces in values).
 */
import type { MyCnfSpec } from '../api/common.ts';

export const EXTRA_MY_CNF_ENV = 'EXTRA_MY_CNF';

/** The options as my.cnf lines (`name = value`), in the spec's (sorted) order; undefined when there are none. */
export function myCnfText(config: MyCnfSpec | undefined): string | undefined {
  const entries = Object.entries(config ?? {});
  if (entries.length === 0) return undefined;
  return entries.map(([name, value]) => `${name} = ${String(value)}\n`).join('');
}
