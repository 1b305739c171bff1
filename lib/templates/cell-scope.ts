/** What every cell-level template needs: the cell's scope, object-name prefix and topology. */
import type { MysqlUsersSpec, TlsSpec } from '../api/access.ts';
import type { ResolvedBackupSpec } from '../api/backup.ts';
import type { FlagsSpec } from '../api/common.ts';
import type { TopologySpec } from '../api/passdown.ts';
import type { Scope } from './meta.ts';

export interface CellScope extends Scope {
  cell: string;
  /** `<cluster>-<cell>`: the prefix of every object of this cell. */
  cellObject: string;
  topology: TopologySpec;
  vtctldAddress: string;
  vitessImage: string;
  backupFlags?: FlagsSpec;
  tls?: TlsSpec;
  mysqlUsers?: MysqlUsersSpec;
  backup?: ResolvedBackupSpec;
}
