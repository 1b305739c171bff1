/**
 * The kubelet's `$(VAR)` expansion, and how to keep a value out of it.
 *
 * Kubernetes expands `$(VAR)` references to the container's environment in `command`, `args`, env
 * `value`s and exec probes' `command` (the Container API's documentation: "Double $$ are reduced to a
 * single $"; k8s.io/kubernetes third_party/forked/golang/expansion): `$$` is an escaped `$` (always), `$(NAME)` becomes the variable's value when the
 * container has one and stays as written otherwise, any other `$` is kept. So a value reaches the
 * process exactly as written only when every `$` in it is doubled: escaping `$(` alone would turn a
 * user's `$$(X)` into `$$$(X)`, which expands X. docs/decisions/0019-no-spec-value-in-script-text.md.
 */
import type { V1EnvVar } from '@kubernetes/client-node';

/** `text` as the kubelet must be given it to pass it on unchanged: every `$` doubled. */
export function kubeletLiteral(text: string): string {
  return text.replaceAll('$', () => '$$');
}

/**
 * The references the operator itself writes into a command line, filled in by the kubelet from the
 * downward API (the tablet's and vtgate's advertised IP, an etcd member's name). A flag value equal
 * to one of these is left for the kubelet to expand: it can only ever mean the Pod's own IP or name.
 */
export const KUBELET_REFERENCES: ReadonlySet<string> = new Set(['$(POD_IP)', '$(POD_NAME)']);

/** A command-line argument: escaped for the kubelet, unless it is exactly one of our own references. */
export function kubeletArgument(text: string): string {
  return KUBELET_REFERENCES.has(text) ? text : kubeletLiteral(text);
}

/** An environment variable whose value reaches the container exactly as given (the kubelet expands env values too). */
export function literalEnv(name: string, value: string): V1EnvVar {
  return { name, value: kubeletLiteral(value) };
}

/**
 * The kubelet's expansion of `text` against `env`: what a container is started with. Written from
 * the rules above, for tests and the simulator's fake kubelet to see what a Pod would really run.
 */
export function kubeletExpand(text: string, env: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char !== '$' || i + 1 >= text.length) {
      out += char;
      continue;
    }
    const next = text[i + 1] as string;
    if (next === '$') {
      out += '$';
      i += 1;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close === -1) {
        out += '$(';
        i += 1;
      } else {
        const name = text.slice(i + 2, close);
        out += Object.hasOwn(env, name) ? (env[name] as string) : `$(${name})`;
        i = close;
      }
    } else {
      out += `$${next}`;
      i += 1;
    }
  }
  return out;
}
