/**
 * Short-lived vtctldclient Jobs: cell registration and planned reparents. vtctldclient (which replaced
 * vtctlclient) talks to vtctld's gRPC port.
 */
import type { V1Job } from '@kubernetes/client-node';
import { container, objectMeta, podSecurityContext, type Scope } from './meta.ts';

export interface VtctldclientJob {
  scope: Scope;
  name: string;
  component: string;
  image: string;
  vtctldAddress: string;
  /** A shell script run with `vtctldclient` available as `$VTCTLDCLIENT`. */
  script: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Tries before the Job is Failed. */
  backoffLimit: number;
}

export function vtctldclientJob(job: VtctldclientJob): V1Job {
  const base = objectMeta(job.scope, job.name, job.component, job.labels);
  const meta = { ...base, annotations: { ...base.annotations, ...job.annotations } };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta,
    spec: {
      backoffLimit: job.backoffLimit,
      template: {
        metadata: { labels: meta.labels, annotations: base.annotations },
        spec: {
          restartPolicy: 'OnFailure',
          securityContext: podSecurityContext(),
          containers: [
            container({
              name: 'vtctldclient',
              image: job.image,
              command: ['/bin/sh', '-ec', job.script],
              env: [{ name: 'VTCTLDCLIENT', value: `/vt/bin/vtctldclient --server=${job.vtctldAddress}` }],
            }),
          ],
        },
      },
    },
  };
}
