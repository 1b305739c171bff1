/**
 * Command-line flags of Vitess binaries, in one place.
 *
 * Vitess servers (vtgate, vtctld, vttablet, vtorc, mysqlctld) parse their flags with pflag and take
 * only the spellings they register: since v19 those are the dashed ones (`--topo-implementation`),
 * and v25 drops the old underscore aliases. Only vtctl/vtctlclient translated underscores into dashes.
 * So we emit dashed names and turn the underscores of user-given names (the seed's
 * `backup_storage_implementation`) into dashes, except glog's flags (below).
 */
import type { FlagsSpec } from '../api/common.ts';
import type { TopologySpec } from '../api/passdown.ts';
import { PORTS } from './ports.ts';

export type FlagMap = Readonly<Record<string, string>>;

/**
 * glog's flags, which Vitess v24 still registers under glog's own names: `--log_dir` is accepted
 * (with a warning that glog is deprecated for `--log-structured`), `--log-dir` is "unknown flag". These
 * keep their underscores. The list is what v24.0.3's binaries accept (checked by running them);
 * glog's `log_link` and `logbuflevel` are not registered there at all.
 */
export const GLOG_FLAGS: ReadonlySet<string> = new Set(['alsologtostderr', 'log_backtrace_at', 'log_dir', 'logtostderr', 'stderrthreshold', 'v', 'vmodule']);

/** A flag name in the spelling the Vitess servers accept: dashed, except glog's flags. */
export function dashed(name: string): string {
  if (!name.includes('_') || GLOG_FLAGS.has(name)) return name;
  return name.replaceAll('_', '-');
}

/**
 * `--name=value` arguments: our flags, then the user's. A user flag of the same (dashed) name
 * replaces ours in place, so users can override any flag. Output order is stable.
 */
export function flagArgs(...layers: readonly (FlagMap | FlagsSpec | undefined)[]): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(mergeFlags(...layers))) args.push(`--${name}=${value}`);
  return args;
}

/** Flag layers merged by dashed name, later layers winning in place (what flagArgs renders). */
export function mergeFlags(...layers: readonly (FlagMap | FlagsSpec | undefined)[]): FlagMap {
  const merged = new Map<string, string>();
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const name in layer) merged.set(dashed(name), layer[name] as string);
  }
  return Object.fromEntries(merged);
}

/**
 * Flags every long-running Vitess server gets: ports and the topology. No `--logtostderr`: it has
 * no effect since v24 (Vitess logs to stderr by default) and v25 removes it.
 */
export function serverFlags(topology: TopologySpec): FlagMap {
  return {
    port: String(PORTS.web),
    'grpc-port': String(PORTS.grpc),
    ...topoFlags(topology),
  };
}

export function topoFlags(topology: TopologySpec): FlagMap {
  return {
    'topo-implementation': topology.implementation,
    'topo-global-server-address': topology.global.address,
    'topo-global-root': topology.global.root,
  };
}
