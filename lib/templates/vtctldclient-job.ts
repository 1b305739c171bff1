/**
 * Short-lived vtctldclient Jobs: cell registration, keyspace records, planned reparents, backups.
 * vtctldclient (which replaced vtctlclient) talks to vtctld's gRPC port.
 *
 * No spec value is ever part of a script's text (docs/decisions/0019-no-spec-value-in-script-text.md):
 * a Job either runs vtctldclient directly with its arguments (argv, escaped for the kubelet's `$(VAR)`
 * expansion), or runs a fixed shell script that reads every value from an environment variable,
 * always quoted (`"$KEYSPACE"`). The shell never parses a value, so no value can run anything.
 */
import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import type { TlsSpec } from '../api/access.ts';
import { kubeletLiteral, literalEnv } from '../kube/expansion.ts';
import { type FlagMap, flagArgs } from '../vitess/flags.ts';
import { grpcTls, type Mounted } from './access.ts';
import { container, NO_SERVICE_ACCOUNT_TOKEN, objectMeta, podSecurityContext, type Scope } from './meta.ts';
import { nonEmpty } from './workload.ts';
import { withPodSettings } from './pod-settings.ts';

/** vtctldclient in the Vitess image. */
export const VTCTLDCLIENT = '/vt/bin/vtctldclient';

/**
 * What a Job runs: vtctldclient's own arguments after its connection flags, or a script (fixed
 * text) that calls the shell function `vtctldclient` (connection flags included) and reads each
 * value from `values` as an environment variable of the same name.
 */
export type JobRun = { args: readonly string[] } | { script: string; values: Readonly<Record<string, string>> };

export interface VtctldclientJob {
  scope: Scope;
  name: string;
  component: string;
  image: string;
  vtctldAddress: string;
  run: JobRun;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Tries before the Job is Failed. */
  backoffLimit: number;
  /** With `grpc`, vtctldclient talks to vtctld over mutual TLS. */
  tls?: TlsSpec;
}

/** An environment variable name a script may read: upper case, so it never shadows the shell's own. */
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
/** A flag name written into a script's text: only ours, dashed (lib/vitess/flags.ts). */
const FLAG_NAME = /^[a-z0-9][-a-z0-9]*$/;

/** `name` as an environment variable name: VTCTLDCLIENT_ + the flag, dashes as underscores. */
function flagVariable(prefix: string, flag: string): string {
  return `${prefix}_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * A shell function that runs `binary` with `flags`, each flag's value read from an environment
 * variable: the function's text holds flag and variable names only, never a value. Throws on a flag
 * name that is not one of ours (a programming error, never a spec's).
 */
export function shellFunction(name: string, binary: string, flags: FlagMap, prefix: string): { text: string; env: V1EnvVar[] } {
  const words: string[] = [];
  const env: V1EnvVar[] = [];
  for (const [flag, value] of Object.entries(flags)) {
    if (!FLAG_NAME.test(flag)) throw new Error(`shellFunction: flag name '${flag}' cannot be written into a script`);
    const variable = flagVariable(prefix, flag);
    words.push(`--${flag}="$${variable}"`);
    env.push(literalEnv(variable, value));
  }
  return { text: `${name}() { ${binary} ${words.join(' ')} "$@"; }`, env };
}

/** vtctldclient's connection: `--server`, and the client certificate when gRPC is mutual TLS (vtctld then refuses a client without one). */
export function vtctldclientConnection(vtctldAddress: string, tls: TlsSpec | undefined): { flags: FlagMap; mounted: Mounted } {
  const mounted = grpcTls(tls, 'vtctldclient', false);
  return { flags: { server: vtctldAddress, ...mounted.flags }, mounted };
}

/**
 * The shell function `vtctldclient` pointed at vtctld, for a script: every Job script that calls
 * vtctld takes it from here. Its environment carries the address and the TLS server name.
 */
export function vtctldclientFunction(vtctldAddress: string, tls: TlsSpec | undefined): { text: string; env: V1EnvVar[]; mounted: Mounted } {
  const connection = vtctldclientConnection(vtctldAddress, tls);
  return { ...shellFunction('vtctldclient', VTCTLDCLIENT, connection.flags, 'VTCTLDCLIENT'), mounted: connection.mounted };
}

/** Environment variables carrying a script's values, each exactly as given. Throws on a name a script could not read safely. */
export function scriptValues(values: Readonly<Record<string, string>>): V1EnvVar[] {
  return Object.entries(values).map(([name, value]) => {
    if (!ENV_NAME.test(name) || name.startsWith('VTCTLDCLIENT')) throw new Error(`scriptValues: '${name}' is no name for a script's value`);
    return literalEnv(name, value);
  });
}

function jobCommand(run: JobRun, vtctldAddress: string, tls: TlsSpec | undefined): { command: string[]; env?: V1EnvVar[]; mounted: Mounted } {
  if ('args' in run) {
    const connection = vtctldclientConnection(vtctldAddress, tls);
    return { command: [VTCTLDCLIENT, ...flagArgs(connection.flags), ...run.args.map(kubeletLiteral)], mounted: connection.mounted };
  }
  const vtctldclient = vtctldclientFunction(vtctldAddress, tls);
  return { command: ['/bin/sh', '-ec', `${vtctldclient.text}\n${run.script}`], env: [...vtctldclient.env, ...scriptValues(run.values)], mounted: vtctldclient.mounted };
}

export function vtctldclientJob(job: VtctldclientJob): V1Job {
  const base = objectMeta(job.scope, job.name, job.component, job.labels);
  const meta = { ...base, annotations: { ...base.annotations, ...job.annotations } };
  const { command, env, mounted: tls } = jobCommand(job.run, job.vtctldAddress, job.tls);
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
          ...NO_SERVICE_ACCOUNT_TOKEN,
          containers: [
            container({
              name: 'vtctldclient',
              image: job.image,
              command,
              env,
              volumeMounts: nonEmpty(tls.volumeMounts),
            }),
          ],
          volumes: nonEmpty(tls.volumes),
        }, job.scope.jobPod ?? {}),
      },
    },
  };
}
