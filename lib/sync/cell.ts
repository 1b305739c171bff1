/**
 * sync-cell: a VitessCell becomes its topology etcd, vtctld, vtgate, vtorc, the tablets' headless
 * Service, the Job that registers the cell, and per keyspace deployed in it a Job that creates the
 * keyspace record with its durability policy, then its VitessKeyspace.
 * The `global` cell holds the global topology and vtctld only: it is no Vitess cell, so it is not registered.
 */
import { tabletTls } from '../api/access.ts';
import { type Cell, CellSpec, KIND as CELL_KIND } from '../api/cell.ts';
import { KIND as KEYSPACE_KIND } from '../api/keyspace.ts';
import { GLOBAL_CELL } from '../api/resolve.ts';
import { asKubeObjects, type KubeObject } from '../kube/object.ts';
import type { ObservedParent } from '../metacontroller/request.ts';
import { cellInfoJob } from '../templates/cell-info-job.ts';
import type { CellScope } from '../templates/cell-scope.ts';
import { etcdObjects } from '../templates/etcd.ts';
import { keyspaceJob } from '../templates/keyspace-job.ts';
import { tabletService } from '../templates/tablet-service.ts';
import { vitessChild } from '../templates/vitess-child.ts';
import { vtctldObjects } from '../templates/vtctld.ts';
import { vtgateObjects } from '../templates/vtgate.ts';
import { vtadminObjects } from '../templates/vtadmin.ts';
import { vtorcDeployment } from '../templates/vtorc.ts';
import { keyspaceObjectName } from '../vitess/names.ts';
import { descendantsOf } from '../rollout/slots.ts';
import { cellSlots } from './keyspace-removal.ts';
import { childList, defineLayer } from './pipeline.ts';

export const cellLayer = defineLayer<Cell>({
  name: 'sync-cell',
  parentKind: CELL_KIND,
  schema: CellSpec,
  problems: () => [],
  children: cellChildren,
  maxInFlight: (spec) => spec.rollout.components,
  confirmRemoval: (spec) => spec.confirmRemoval,
  // Removed keyspaces leave the topology before they leave the cluster (lib/sync/keyspace-removal.ts).
  slots: (spec, desired, observed) => cellSlots(spec, desired, observed),
  status: (spec, observed, desired) => {
    const { removedKeyspaces } = cellSlots(spec, desired, observed);
    return {
      keyspaces: childList(desired.filter((child) => child.kind === KEYSPACE_KIND), observed),
      removedKeyspaces: removedKeyspaces.length > 0 ? removedKeyspaces.map(({ name, vitessName, state, message }) => ({ name, keyspace: vitessName, state, message })) : undefined,
    };
  },
});

function cellChildren(spec: Cell, parent: ObservedParent): KubeObject[] {
  const scope: CellScope = {
    cluster: spec.cluster,
    cell: spec.name,
    template: spec.template,
    cellObject: parent.metadata.name,
    topology: spec.topology,
    vtctldAddress: spec.vtctldAddress,
    vitessImage: spec.images.vitess,
    backupFlags: spec.backupFlags,
    tls: spec.tls,
    mysqlUsers: spec.mysqlUsers,
    backup: spec.backup,
  };
  const objects: KubeObject[] = [];
  // Order matters to the rollout: topology first, then the control plane, then the data plane.
  if (spec.etcd !== undefined) objects.push(...etcdObjects(scope, spec.etcd));
  if (spec.vtctld !== undefined) objects.push(...asKubeObjects(vtctldObjects(scope, spec.vtctld)));
  if (spec.name !== GLOBAL_CELL) objects.push(...asKubeObjects([tabletService(scope), cellInfoJob(scope)]));
  if (spec.vtgate !== undefined) objects.push(...asKubeObjects(vtgateObjects(scope, spec.vtgate, spec.tabletCells)));
  if (spec.vtorc !== undefined) objects.push(...asKubeObjects([vtorcDeployment(scope, spec.vtorc, spec.keyspaces.map((k) => k.name))]));
  // The keyspace records (and their durability policies) before the tablets that register in them.
  objects.push(...asKubeObjects(spec.keyspaces.map((keyspace) => keyspaceJob(scope, keyspace.name, keyspace.durabilityPolicy))));
  for (const keyspace of spec.keyspaces) {
    objects.push(
      vitessChild(KEYSPACE_KIND, { ...scope, keyspace: keyspace.name }, spec.selector, keyspaceObjectName(scope.cellObject, keyspace.name), {
        cluster: spec.cluster,
        cell: spec.name,
        name: keyspace.name,
        topology: spec.topology,
        vtctldAddress: spec.vtctldAddress,
        images: spec.images,
        backupFlags: spec.backupFlags,
        tls: tabletTls(spec.tls),
        monitoring: spec.monitoring,
        backup: spec.backup,
        backupJobs: keyspace.backupJobs,
        initDbSql: keyspace.initDbSql,
        rollout: { ...spec.rollout, ...keyspace.rollout },
        confirmRemoval: descendantsOf(keyspaceObjectName(scope.cellObject, keyspace.name), spec.confirmRemoval),
        shards: keyspace.shards,
        tablets: keyspace.tablets,
        ...(keyspace.reshard === undefined ? {} : { reshard: keyspace.reshard }),
      }),
    );
  }
  // vtadmin last: a console should never hold up the data plane's rollout.
  if (spec.vtadmin !== undefined) objects.push(...asKubeObjects(vtadminObjects(scope, spec.vtadmin)));
  return objects;
}
