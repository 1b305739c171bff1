/**
 * Vitess flags whose value is a secret itself (not the path of a file holding one). Given as a
 * command-line flag, the secret sits in every layer's spec, in Metacontroller's last-applied
 * annotations and in the Pods' command lines, all readable by the `view` role. So `extraFlags` and
 * `backupFlags` refuse them (lib/api/common.ts), at every layer, and point to the file ways:
 * `spec.dbCredentials` (`--db-credentials-file`) and `spec.mysqlUsers` (`--mysql-auth-server-static-file`).
 *
 * v24.0.3's flags that take a secret inline: `--db-<user>-password` for each database user (allprivs,
 * app, appdebug, clone, dba, erepl, filtered, repl: go/flags/endtoend/vttablet.txt), `--mysql-auth-server-static-string` (vtgate's users
 * as JSON, passwords included) and `--mysql-ldap-auth-config-string` (the LDAP bind password). Any name
 * ending in `password` is refused, so a flag a later release adds is refused too; names ending in
 * `-file` (`--grpc-auth-static-password-file`) point to a file and are fine.
 */
const INLINE_SECRET_FLAGS: ReadonlySet<string> = new Set(['mysql-auth-server-static-string', 'mysql-ldap-auth-config-string']);

/** Whether a flag (any spelling: dashes or underscores) takes a secret on the command line. */
export function isSecretFlag(name: string): boolean {
  const dashed = name.toLowerCase().replaceAll('_', '-');
  return dashed.endsWith('password') || INLINE_SECRET_FLAGS.has(dashed);
}

/** What a refused flag's error says: why, and the way that works. */
export const SECRET_FLAG_MESSAGE =
  'takes a secret on the command line, readable in the spec, its last-applied annotations and the Pods: ' +
  'give the database users\' passwords in a Secret named by the VitessCluster\'s spec.dbCredentials, vtgate\'s users in spec.mysqlUsers (docs/access.md)';
