/**
 * A valibot schema -> a Kubernetes structural OpenAPI v3 schema (apiextensions.k8s.io/v1), knowing
 * nothing of our kinds (those are lib/api/crd.ts). It maps what it understands exactly and throws (with
 * the path) on anything else, so nothing is silently lost when someone adds a shape the API server
 * could not check. Pure: the same schema gives the same output.
 */
import * as v from 'valibot';

/** A node of a structural OpenAPI v3 schema, as apiextensions.k8s.io/v1 spells it (JSONSchemaProps). */
export interface JSONSchemaProps {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  nullable?: boolean;
  enum?: (string | number | boolean)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  default?: unknown;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  anyOf?: JSONSchemaProps[];
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: { rule: string; message?: string; reason?: string; fieldPath?: string }[];
}

/** A schema shape the API server could not check the way valibot does; `path` says where. */
export class UnsupportedSchemaError extends Error {
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(`${path}: ${what}`);
    this.name = 'UnsupportedSchemaError';
  }
}

export interface ConvertOptions {
  /**
   * A record whose keys carry a constraint (a pattern, like flag names) cannot say so in a structural
   * schema (no propertyNames), and a CEL rule over unbounded keys exceeds the API server's cost budget.
   * 'throw' (default) refuses; 'describe' lets the hook alone check the keys and says so in the description.
   */
  recordKeys?: 'throw' | 'describe';
}

/**
 * The introspectable surface of a valibot schema the converter reads: valibot schemas and actions are
 * plain objects, and only these properties matter here.
 */
interface SchemaNode {
  readonly kind: 'schema';
  readonly type: string;
  readonly pipe?: readonly (SchemaNode | ActionNode)[];
  readonly entries?: Readonly<Record<string, SchemaNode>>;
  readonly item?: SchemaNode;
  readonly key?: SchemaNode;
  readonly value?: SchemaNode;
  readonly wrapped?: SchemaNode;
  readonly default?: unknown;
  readonly options?: readonly unknown[];
  readonly literal?: unknown;
}

interface ActionNode {
  readonly kind: 'validation' | 'transformation' | 'metadata';
  readonly type: string;
  readonly requirement?: unknown;
  readonly description?: string;
  /** A validation's message, when given as text. */
  readonly message?: unknown;
}

/** Wrappers that make an object entry optional (not `required`). */
const OPTIONAL_WRAPPERS = new Set(['optional', 'exact_optional', 'undefinedable', 'nullish']);

/** Converts a valibot schema to a structural OpenAPI v3 schema; throws UnsupportedSchemaError with the path on shapes it cannot map. */
export function toOpenAPI(schema: v.GenericSchema, path = '', options: ConvertOptions = {}): JSONSchemaProps {
  return canonical(convert(schema as SchemaNode, path, options));
}

function convert(node: SchemaNode, path: string, options: ConvertOptions): JSONSchemaProps {
  const out = convertBase(node, path, options);
  for (const action of pipeActions(node, path)) applyAction(out, action, path);
  return out;
}

/** The actions of a schema's pipe, outermost last; a piped schema as the pipe's base contributes its own actions first. */
function pipeActions(node: SchemaNode, path: string): ActionNode[] {
  if (node.pipe === undefined) return [];
  const [base, ...rest] = node.pipe;
  const actions = base !== undefined && base.kind === 'schema' ? pipeActions(base, path) : [];
  for (const item of rest) {
    if (item.kind === 'schema') throw new UnsupportedSchemaError(path, `a schema (${item.type}) inside a pipe`);
    actions.push(item);
  }
  return actions;
}

function convertBase(node: SchemaNode, path: string, options: ConvertOptions): JSONSchemaProps {
  switch (node.type) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    // valibot's object strips unknown keys and the API server prunes them: the same result.
    case 'object':
    case 'strict_object':
      return objectSchema(node, path, options);
    // A loose object keeps unknown keys: the API server must keep them too.
    case 'loose_object':
      return { ...objectSchema(node, path, options), 'x-kubernetes-preserve-unknown-fields': true };
    case 'array':
      return { type: 'array', items: convert(child(node.item, path, 'item'), `${path}[]`, options) };
    case 'record':
      return recordSchema(node, path, options);
    case 'picklist':
    case 'enum':
      return enumSchema(node.options ?? [], path);
    case 'literal':
      return enumSchema([node.literal], path);
    case 'union':
      return unionSchema(node, path, options);
    case 'unknown':
    case 'any':
      return { 'x-kubernetes-preserve-unknown-fields': true };
    case 'optional':
    case 'exact_optional':
    case 'undefinedable':
      return withDefault(convert(child(node.wrapped, path, 'wrapped'), path, options), node, path);
    case 'nullable':
    case 'nullish':
      return withDefault({ ...convert(child(node.wrapped, path, 'wrapped'), path, options), nullable: true }, node, path);
    default:
      throw new UnsupportedSchemaError(path, `unsupported schema type ${node.type}`);
  }
}

function child(node: SchemaNode | undefined, path: string, what: string): SchemaNode {
  if (node === undefined) throw new UnsupportedSchemaError(path, `schema has no ${what}`);
  return node;
}

function objectSchema(node: SchemaNode, path: string, options: ConvertOptions): JSONSchemaProps {
  const properties: Record<string, JSONSchemaProps> = {};
  const required: string[] = [];
  for (const [name, entry] of Object.entries(node.entries ?? {})) {
    properties[name] = convert(entry, `${path}.${name}`, options);
    if (!OPTIONAL_WRAPPERS.has(entry.type)) required.push(name);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

function recordSchema(node: SchemaNode, path: string, options: ConvertOptions): JSONSchemaProps {
  const key = child(node.key, path, 'key');
  const value = convert(child(node.value, path, 'value'), `${path}.*`, options);
  const keyActions = pipeActions(key, `${path} (keys)`).filter((action) => action.kind !== 'metadata');
  if (key.type !== 'string') throw new UnsupportedSchemaError(path, `record keys of type ${key.type}`);
  if (keyActions.length === 0) return { type: 'object', additionalProperties: value };
  if (options.recordKeys !== 'describe') {
    throw new UnsupportedSchemaError(path, `record keys with ${keyActions.map((a) => a.type).join(', ')} cannot be expressed in a structural schema`);
  }
  const rules = keyActions.map((action) => keyRule(action));
  return { type: 'object', description: `Keys must ${rules.join(' and ')} (checked by the operator, not the API server).`, additionalProperties: value };
}

/** A key rule in words: a regex by its pattern, a check by its message. */
function keyRule(action: ActionNode): string {
  if (action.type === 'regex' && action.requirement instanceof RegExp) return `match ${action.requirement.source}`;
  if (action.type === 'check' && typeof action.message === 'string') return `pass a check (a key that fails it ${action.message})`;
  return action.type;
}

function enumSchema(values: readonly unknown[], path: string): JSONSchemaProps {
  if (values.length > 0 && values.every((value) => typeof value === 'string')) return { type: 'string', enum: [...(values as string[])] };
  if (values.length > 0 && values.every((value) => typeof value === 'boolean')) return { type: 'boolean', enum: [...(values as boolean[])] };
  if (values.length > 0 && values.every((value) => typeof value === 'number' && Number.isFinite(value))) {
    const numbers = values as number[];
    return { type: numbers.every(Number.isInteger) ? 'integer' : 'number', enum: [...numbers] };
  }
  throw new UnsupportedSchemaError(path, `enum values must be all strings, all numbers or all booleans: ${JSON.stringify(values)}`);
}

/**
 * Two unions are understood: choices of string constants (one enum), and string-or-number (a quantity),
 * which is the Kubernetes int-or-string idiom (anyOf is otherwise barely allowed in structural schemas).
 */
function unionSchema(node: SchemaNode, path: string, options: ConvertOptions): JSONSchemaProps {
  const members = (node.options ?? []) as readonly SchemaNode[];
  const validations = pipeActions(node, path).filter((action) => action.kind !== 'metadata');
  if (validations.length > 0) throw new UnsupportedSchemaError(path, `validations (${validations.map((a) => a.type).join(', ')}) on a union`);
  if (members.length > 0 && members.every((member) => ['picklist', 'enum', 'literal'].includes(member.type) && member.pipe === undefined)) {
    const values = members.flatMap((member) => (member.type === 'literal' ? [member.literal] : [...(member.options ?? [])]));
    return enumSchema([...new Set(values)], path);
  }
  const types = members.map((member) => member.type).sort();
  if (types.length === 2 && types[0] === 'number' && types[1] === 'string') {
    // Check each member converts, so an unsupported action inside still throws.
    for (const member of members) convert(member, path, options);
    return { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  }
  throw new UnsupportedSchemaError(path, `union of ${types.join(', ')}`);
}

function withDefault(out: JSONSchemaProps, node: SchemaNode, path: string): JSONSchemaProps {
  const value = node.default;
  if (value === undefined) return out;
  // A computed default may differ per call; the API server can only store a constant.
  if (typeof value === 'function') throw new UnsupportedSchemaError(path, 'a computed (function) default');
  return { ...out, default: structuredClone(value) };
}

/** Mutates `out` (freshly built by convertBase) with one pipe action, or throws when it has no OpenAPI form. */
function applyAction(out: JSONSchemaProps, action: ActionNode, path: string): void {
  if (action.kind === 'metadata') {
    if (action.type === 'description' && typeof action.description === 'string') out.description = action.description;
    return; // Other metadata (title, examples) never affects what is valid.
  }
  if (action.kind === 'transformation') throw new UnsupportedSchemaError(path, `transformation ${action.type} (the API server stores the input, not the output)`);
  const requirement = action.requirement;
  const type = out.type;
  const number = (): number => {
    if (typeof requirement !== 'number') throw new UnsupportedSchemaError(path, `${action.type} with a non-number requirement`);
    return requirement;
  };
  const setPattern = (pattern: string): void => {
    if (out.pattern !== undefined) throw new UnsupportedSchemaError(path, `a second pattern (${action.type}); OpenAPI has one per node`);
    out.pattern = pattern;
  };
  if (type === 'string') {
    switch (action.type) {
      case 'regex':
        setPattern(regexSource(requirement, path));
        return;
      case 'starts_with':
        setPattern(`^${escapeRegex(String(requirement))}`);
        return;
      case 'ends_with':
        setPattern(`${escapeRegex(String(requirement))}$`);
        return;
      case 'min_length':
        out.minLength = number();
        return;
      case 'max_length':
        out.maxLength = number();
        return;
      case 'length':
        out.minLength = number();
        out.maxLength = number();
        return;
      case 'non_empty':
        out.minLength = Math.max(out.minLength ?? 0, 1);
        return;
      case 'iso_timestamp':
        out.format = 'date-time';
        return;
    }
  } else if (type === 'number' || type === 'integer') {
    switch (action.type) {
      case 'integer':
      case 'safe_integer':
        out.type = 'integer';
        return;
      case 'min_value':
        out.minimum = number();
        return;
      case 'max_value':
        out.maximum = number();
        return;
      case 'gt_value':
        out.minimum = number();
        out.exclusiveMinimum = true;
        return;
      case 'lt_value':
        out.maximum = number();
        out.exclusiveMaximum = true;
        return;
      case 'multiple_of':
        out.multipleOf = number();
        return;
    }
  } else if (type === 'array') {
    switch (action.type) {
      case 'min_length':
        out.minItems = number();
        return;
      case 'max_length':
        out.maxItems = number();
        return;
      case 'length':
        out.minItems = number();
        out.maxItems = number();
        return;
      case 'non_empty':
        out.minItems = Math.max(out.minItems ?? 0, 1);
        return;
    }
  } else if (type === 'object') {
    switch (action.type) {
      case 'min_entries':
        out.minProperties = number();
        return;
      case 'max_entries':
        out.maxProperties = number();
        return;
    }
  }
  throw new UnsupportedSchemaError(path, `validation ${action.type} on ${type ?? 'an untyped node'}`);
}

/** A JavaScript RegExp as an OpenAPI pattern, refusing what Go's RE2 (the API server's engine) or a flagless pattern cannot mean. */
function regexSource(requirement: unknown, path: string): string {
  if (!(requirement instanceof RegExp)) throw new UnsupportedSchemaError(path, 'regex without a RegExp requirement');
  if (requirement.flags.replace('u', '') !== '') throw new UnsupportedSchemaError(path, `regex flags /${requirement.flags} (a pattern has none)`);
  if (/\(\?<?[=!]|\\[1-9]|\\k</.test(requirement.source)) throw new UnsupportedSchemaError(path, `regex ${requirement.source} uses lookaround or backreferences, which RE2 lacks`);
  return requirement.source;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The order keys are written in, so generated YAML reads the same way everywhere and diffs stay small. */
const KEY_ORDER: readonly (keyof JSONSchemaProps)[] = [
  'description',
  'type',
  'format',
  'nullable',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'default',
  'anyOf',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-map-type',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
  'required',
  'properties',
  'additionalProperties',
  'items',
];

/** A copy of the schema with keys in KEY_ORDER, recursively (property names keep the schema's order). */
export function canonical(schema: JSONSchemaProps): JSONSchemaProps {
  const out: Record<string, unknown> = {};
  for (const key of KEY_ORDER) {
    const value = schema[key];
    if (value === undefined) continue;
    if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, JSONSchemaProps>).map(([name, property]) => [name, canonical(property)]));
    } else if (key === 'additionalProperties' || key === 'items') {
      out[key] = canonical(value as JSONSchemaProps);
    } else if (key === 'anyOf') {
      out[key] = (value as JSONSchemaProps[]).map(canonical);
    } else {
      out[key] = value;
    }
  }
  const unknownKeys = Object.keys(schema).filter((key) => !(KEY_ORDER as readonly string[]).includes(key));
  if (unknownKeys.length > 0) throw new Error(`canonical: unknown schema keys ${unknownKeys.join(', ')}`);
  return out as JSONSchemaProps;
}

/**
 * A copy of `schema` with `extra` merged into the node at `path`: property names separated by dots,
 * `[]` for array items (`cells`, `cells[].name`). Throws when the node does not exist, so an
 * extension never silently misses a renamed field.
 */
export function extendAt(schema: JSONSchemaProps, path: string, extra: JSONSchemaProps): JSONSchemaProps {
  const steps = path === '' ? [] : path.replace(/\[\]/g, '.[]').split('.').filter((step) => step !== '');
  const go = (node: JSONSchemaProps, rest: readonly string[], at: string): JSONSchemaProps => {
    const [step, ...more] = rest;
    if (step === undefined) return { ...node, ...extra };
    if (step === '[]') {
      if (node.items === undefined) throw new Error(`extendAt: ${at} is not an array`);
      return { ...node, items: go(node.items, more, `${at}[]`) };
    }
    const property = node.properties?.[step];
    if (property === undefined) throw new Error(`extendAt: ${at}.${step} does not exist`);
    return { ...node, properties: { ...node.properties, [step]: go(property, more, `${at}.${step}`) } };
  };
  return canonical(go(schema, steps, ''));
}
