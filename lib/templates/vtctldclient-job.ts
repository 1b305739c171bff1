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
}

export function vtctldclientJob(job: VtctldclientJob): V1Job {
  const meta = objectMeta(job.scope, job.name, job.component, job.labels);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta,
    spec: {
      // vtctld may not be up yet when the Job starts: retry for a while rather than fail.
      backoffLimit: 20,
      template: {
        metadata: { labels: meta.labels, annotations: meta.annotations },
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
