/**
 * Short-lived vtctldclient Jobs: cell registration and planned reparents. vtctldclient (which replaced
 * vtctlclient) talks to vtctld's gRPC port.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { TlsSpec } from '../api/access.ts';
import { flagArgs } from '../vitess/flags.ts';
import { grpcTls } from './access.ts';
import { container, objectMeta, podSecurityContext, type Scope } from './meta.ts';
import { nonEmpty } from './workload.ts';

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
  /** With `grpc`, vtctldclient talks to vtctld over mutual TLS. */
  tls?: TlsSpec;
}

export function vtctldclientJob(job: VtctldclientJob): V1Job {
  const base = objectMeta(job.scope, job.name, job.component, job.labels);
  const meta = { ...base, annotations: { ...base.annotations, ...job.annotations } };
  const tls = grpcTls(job.tls, 'vtctldclient', false);
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
              env: [{ name: 'VTCTLDCLIENT', value: ['/vt/bin/vtctldclient', ...flagArgs({ server: job.vtctldAddress }, tls.flags)].join(' ') }],
              volumeMounts: nonEmpty(tls.volumeMounts),
            }),
          ],
          volumes: nonEmpty(tls.volumes),
        },
      },
    },
  };
}
