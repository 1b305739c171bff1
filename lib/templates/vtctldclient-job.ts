/**
 * Short-lived vtctldclient Jobs: cell registration and planned reparents. vtctldclient (which replaced
 * vtctlclient) talks to vtctld's gRPC port.
 */
import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import type { TlsSpec } from '../api/access.ts';
import { flagArgs } from '../vitess/flags.ts';
import { grpcTls, type Mounted } from './access.ts';
import { container, objectMeta, podSecurityContext, type Scope } from './meta.ts';
import { nonEmpty } from './workload.ts';
import { withPodSettings } from './pod-settings.ts';

export interface VtctldclientJob {
  scope: Scope;
  name: string;
  component: string;
  image: string;
  vtctldAddress: string;
  /** A shell script run with `vtctldclient` available as `$VTCTLDCLIENT`; values it needs come as `env`. */
  script: string;
  /** Values the script reads as "$NAME": a spec value never becomes script text. */
  env?: V1EnvVar[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Tries before the Job is Failed. */
  backoffLimit: number;
  /** With `grpc`, vtctldclient talks to vtctld over mutual TLS. */
  tls?: TlsSpec;
}

/**
 * `$VTCTLDCLIENT` for a Job's script: vtctldclient pointed at vtctld, with the client certificate
 * mounted when gRPC is mutual TLS (vtctld then refuses a client without one). Every Job that calls
 * vtctld takes it from here.
 */
export function vtctldclientEnv(vtctldAddress: string, tls: TlsSpec | undefined): { env: V1EnvVar; mounted: Mounted } {
  const mounted = grpcTls(tls, 'vtctldclient', false);
  return { env: { name: 'VTCTLDCLIENT', value: ['/vt/bin/vtctldclient', ...flagArgs({ server: vtctldAddress }, mounted.flags)].join(' ') }, mounted };
}

export function vtctldclientJob(job: VtctldclientJob): V1Job {
  const base = objectMeta(job.scope, job.name, job.component, job.labels);
  const meta = { ...base, annotations: { ...base.annotations, ...job.annotations } };
  const { env, mounted: tls } = vtctldclientEnv(job.vtctldAddress, job.tls);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta,
    spec: {
      backoffLimit: job.backoffLimit,
      template: {
        metadata: { labels: meta.labels, annotations: base.annotations },
        spec: withPodSettings({
          restartPolicy: 'OnFailure',
          securityContext: podSecurityContext(),
          containers: [
            container({
              name: 'vtctldclient',
              image: job.image,
              command: ['/bin/sh', '-ec', job.script],
              env: [env, ...(job.env ?? [])],
              volumeMounts: nonEmpty(tls.volumeMounts),
            }),
          ],
          volumes: nonEmpty(tls.volumes),
        }, job.scope.jobPod ?? {}),
      },
    },
  };
}
