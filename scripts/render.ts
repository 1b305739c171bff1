/**
 * bun run render FILE [--ready] [--output tree|yaml|json] [--steps]
 *
 * Renders what our operator would create for a VitessCluster, offline: the four hooks run under the
 * simulator with our CompositeController manifests. `--ready` runs a fake kubelet so that everything
 * becomes ready (and rollouts complete); `--steps` prints what happened round by round on stderr.
 * Exit codes: 0 converged, 1 simulation did not converge or a sync failed, 2 bad usage or input.
 */
import { readFileSync } from 'node:fs';
import { formatOutput, formatSteps, OUTPUT_FORMATS, parseClusterYaml, render, type OutputFormat } from '../lib/render.ts';
import { loadControllers } from '../lib/simulator/manifests.ts';
import { layers } from '../lib/sync/index.ts';

const USAGE = `usage: bun run render FILE [--ready] [--output tree|yaml|json] [--steps] [--etcd-operator]`;

interface Args {
  file: string;
  ready: boolean;
  output: OutputFormat;
  steps: boolean;
  components: string[];
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  let file: string | undefined;
  let output: OutputFormat = 'tree';
  let ready = false;
  let steps = false;
  const components: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--ready') ready = true;
    else if (flag === '--steps') steps = true;
    else if (flag === '--etcd-operator') components.push('etcd-operator');
    else if (flag === '--output' || flag === '-o') {
      const value = inline ?? argv[++i];
      if (!OUTPUT_FORMATS.includes(value as OutputFormat)) throw new UsageError(`--output must be one of ${OUTPUT_FORMATS.join(', ')}`);
      output = value as OutputFormat;
    } else if (flag === '--help' || flag === '-h') throw new UsageError('');
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else if (file === undefined) file = arg;
    else throw new UsageError(`unexpected argument ${arg}`);
  }
  if (file === undefined) throw new UsageError('missing FILE');
  return { file, ready, output, steps, components };
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
  let text: string;
  try {
    text = readFileSync(args.file, 'utf8');
  } catch (error) {
    process.stderr.write(`render: cannot read ${args.file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  let rendered: ReturnType<typeof render>;
  try {
    const cluster = parseClusterYaml(text);
    rendered = render(cluster, { controllers: loadControllers(args.components), layers, ready: args.ready });
  } catch (error) {
    process.stderr.write(`render: ${args.file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const { result, objects } = rendered;
  if (args.steps) process.stderr.write(formatSteps(result.steps));
  process.stdout.write(formatOutput(objects, args.output));
  if (!result.converged) {
    process.stderr.write(`render: did not converge after ${result.rounds} rounds; the output is the state after the last round (see --steps)\n`);
    return 1;
  }
  if (result.errors.length > 0) {
    process.stderr.write(`render: ${result.errors.length} sync error(s) in the final round:\n${result.errors.map((e) => `  ${e.object}: ${e.message ?? ''}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
