/**
 * bun run render [FILE] [--from STATE.json] [--ready] [--output tree|yaml|json] [--steps] [--save OUT.json] [--etcd-operator]
 *
 * Renders what our operator would create for a VitessCluster, offline: the four hooks run under the
 * simulator with our CompositeController manifests. `--ready` runs a fake kubelet so that everything
 * becomes ready (and rollouts complete), and a fake Vitess (lib/simulator/vitess.ts) that writes each
 * Vitess shard's state as the observer would, so rollouts take the Vitess-aware path; `--no-vitess`
 * leaves it out (the hooks then fall back to the rollout that needs no Vitess state).
 *
 * Watching a rollout: `--from STATE.json` starts from a saved state (the JSON array `--output json`
 * printed) instead of an empty cluster, and applies FILE to it as `kubectl apply` would (a VitessCluster
 * of the same name gets FILE's spec, its generation moves). `--steps` prints, round by round, what
 * happened (tablet Pods left out and recreated, reparent Jobs created and completed, children moved,
 * what each rollout waits for, the top conditions) on stdout instead of the objects; `--save OUT.json`
 * writes the final objects as JSON (the next `--from`).
 *
 * Exit codes: 0 converged, 1 simulation did not converge or a sync failed, 2 bad usage or input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  formatOutput,
  formatRollout,
  OUTPUT_FORMATS,
  parseClusterYaml,
  parseSavedState,
  render,
  renderFrom,
  type OutputFormat,
  type RolloutEvent,
} from '../lib/simulator/render.ts';
import type { KubeObject } from '../lib/kube/object.ts';
import type { KubeletOptions } from '../lib/simulator/kubelet.ts';
import { withoutVitessState } from '../lib/simulator/vitess.ts';
import { loadControllers } from '../lib/simulator/manifests.ts';
import { layers } from '../lib/sync/index.ts';

const USAGE = `usage: bun run render [FILE] [--from STATE.json] [--ready] [--no-vitess] [--discovery-lag S] [--output tree|yaml|json] [--steps] [--save OUT.json] [--etcd-operator]

  FILE               a VitessCluster (YAML); with --from, applied to the saved state as an edit
                     (same name: its spec replaces the saved one); optional with --from
  --from STATE.json  start from a saved state: the JSON array that --output json printed
  --ready            run a fake kubelet: everything becomes ready and rollouts complete; and a fake
                     Vitess that writes each shard's state (primary, serving tablets) as the observer would
  --no-vitess        with --ready, no fake Vitess: rollouts take the path that needs no Vitess state
  --discovery-lag S  with --ready, the fake vtgate serves from a tablet S seconds after its Pod turned
                     Ready (its topology poll; default 0)
  --output FORMAT    tree (default), yaml or json: the objects at the end, on stdout
  --steps            print round by round what happened (Pods left out, reparent Jobs, moves, what each
                     rollout waits for, the top conditions) on stdout, instead of the objects
  --save OUT.json    also write the objects at the end as JSON (for the next --from)
  --etcd-operator    with the etcd-operator kustomize component (EtcdCluster children)

  example: bun run render examples/seed-my-vitess.yaml --ready --output json > saved.json
           (edit the tablet image in a copy, edited.yaml)
           bun run render edited.yaml --ready --from saved.json --steps`;

interface Args {
  file?: string;
  from?: string;
  save?: string;
  ready: boolean;
  vitess: boolean;
  discoveryLagSeconds: number;
  output: OutputFormat;
  steps: boolean;
  components: string[];
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  let file: string | undefined;
  let from: string | undefined;
  let save: string | undefined;
  let output: OutputFormat = 'tree';
  let ready = false;
  let vitess = true;
  let discoveryLagSeconds = 0;
  let steps = false;
  const components: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '') throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--ready') ready = true;
    else if (flag === '--no-vitess') vitess = false;
    else if (flag === '--discovery-lag') {
      const text = value();
      discoveryLagSeconds = Number(text);
      if (!/^\d+$/u.test(text)) throw new UsageError('--discovery-lag needs a whole number of seconds');
    }
    else if (flag === '--steps') steps = true;
    else if (flag === '--etcd-operator') components.push('etcd-operator');
    else if (flag === '--from') from = value();
    else if (flag === '--save') save = value();
    else if (flag === '--output' || flag === '-o') {
      const format = value();
      if (!OUTPUT_FORMATS.includes(format as OutputFormat)) throw new UsageError(`--output must be one of ${OUTPUT_FORMATS.join(', ')}`);
      output = format as OutputFormat;
    } else if (flag === '--help' || flag === '-h') throw new UsageError('');
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else throw new UsageError(`unexpected argument ${arg}`);
  }
  if (file === undefined && from === undefined) throw new UsageError('missing FILE');
  return { ...(file === undefined ? {} : { file }), ...(from === undefined ? {} : { from }), ...(save === undefined ? {} : { save }), ready, vitess, discoveryLagSeconds, output, steps, components };
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

class InputError extends Error {}

interface Outcome {
  converged: boolean;
  rounds: number;
  objects: KubeObject[];
  errors: { object: string; message?: string }[];
  steps?: string;
}

/** The fake kubelet (and fake Vitess) the flags ask for. */
function readiness(args: Args): boolean | KubeletOptions {
  if (!args.ready) return false;
  if (!args.vitess) return { vitess: false };
  return args.discoveryLagSeconds === 0 ? true : { vitess: { discoveryLagSeconds: args.discoveryLagSeconds } };
}

function run(args: Args): Outcome {
  const controllers = loadControllers(args.components);
  const cluster = args.file === undefined ? undefined : parseClusterYaml(read(args.file));
  if (args.from === undefined && !args.steps) {
    const { result, objects } = render(cluster as KubeObject, { controllers, layers, ready: readiness(args) });
    return { converged: result.converged, rounds: result.rounds, objects, errors: result.errors };
  }
  // A saved state (or, with --steps only, an empty cluster) replayed round by round.
  const loaded = args.from === undefined ? [] : parseSavedState(read(args.from));
  const saved = args.vitess ? loaded : withoutVitessState(loaded);
  const replay = renderFrom(saved, cluster, { controllers, layers, ready: readiness(args) });
  const errors = replay.errors.map((e: RolloutEvent) => ({ object: e.object, ...(e.note === undefined ? {} : { message: e.note }) }));
  return { converged: replay.converged, rounds: replay.rounds, objects: replay.objects, errors, steps: formatRollout(replay.steps) };
}

function main(argv: readonly string[]): number {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${message === '' ? '' : `render: ${message}\n`}${USAGE}\n`);
    return 2;
  }
  let outcome: Outcome;
  try {
    outcome = run(args);
  } catch (error) {
    process.stderr.write(`render: ${args.file ?? args.from ?? ''}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (args.steps) process.stdout.write(outcome.steps ?? '');
  else process.stdout.write(formatOutput(outcome.objects, args.output));
  if (args.save !== undefined) writeFileSync(args.save, formatOutput(outcome.objects, 'json'));
  if (!outcome.converged) {
    process.stderr.write(`render: did not converge after ${outcome.rounds} rounds; the output is the state after the last round (see --steps)\n`);
    return 1;
  }
  if (outcome.errors.length > 0) {
    process.stderr.write(`render: ${outcome.errors.length} sync error(s) in the final round:\n${outcome.errors.map((e) => `  ${e.object}: ${e.message ?? ''}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
