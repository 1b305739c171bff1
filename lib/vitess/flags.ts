/**
 * Command-line flags of Vitess binaries, in one place.
 *
 * Vitess v25 accepts only the dashed spellings (`--topo-implementation`), so we emit those and
 * turn the underscores of user-given names (the seed's `backup_storage_implementation`) into dashes.
 */
import type { FlagsSpec } from '../api/common.ts';
import type { TopologySpec } from '../api/passdown.ts';
import { PORTS } from './ports.ts';

export type FlagMap = Readonly<Record<string, string>>;

/** A flag name in Vitess' dashed spelling. */
export function dashed(name: string): string {
  return name.includes('_') ? name.replaceAll('_', '-') : name;
}

/**
 * `--name=value` arguments: our flags, then the user's. A user flag of the same (dashed) name
 * replaces ours in place, so users can override any flag. Output order is stable.
 */
export function flagArgs(...layers: readonly (FlagMap | FlagsSpec | undefined)[]): string[] {
  const merged = new Map<string, string>();
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const name in layer) merged.set(dashed(name), layer[name] as string);
  }
  const args: string[] = [];
  for (const [name, value] of merged) args.push(`--${name}=${value}`);
  return args;
}

/** Flags every long-running Vitess server gets: logging, ports, and the topology. */
export function serverFlags(topology: TopologySpec): FlagMap {
  return {
    logtostderr: 'true',
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
