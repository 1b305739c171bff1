/**
 * A small validator for the structural OpenAPI schemas of our CRDs, doing what the API server does
 * with them (type, required, enum, pattern, bounds, unknown fields, int-or-string, list maps), so
 * tests can check that the API server and the hook's valibot schema accept the same objects, and
 * `structuralProblems`, the Kubernetes rules a CRD schema must follow to be accepted.
 * Not covered: CEL rules (x-kubernetes-validations), which need oldSelf and a CEL engine; formats
 * other than date-time.
 */
import type { JSONSchemaProps } from './openapi.ts';
import { isRecord } from '../kube/object.ts';

export interface ValidateOptions {
  /**
   * Fields the schema does not know: 'error' reports them, as `kubectl` does by default (strict
   * field validation); 'prune' ignores them, as the API server does when asked without it.
   */
  unknownFields?: 'error' | 'prune';
}

/** Problems of `value` against `schema`, each `path: message`, paths spelled like valibot issue paths (`spec.cells[0].name`). */
export function validateOpenAPI(schema: JSONSchemaProps, value: unknown, path = '', options: ValidateOptions = {}): string[] {
  const problems: string[] = [];
  check(schema, value, path, options, problems);
  return problems;
}

/** Validates a whole object (apiVersion, kind, metadata, spec, status) against a CRD's schema; metadata is the API server's. */
export function validateObject(schema: JSONSchemaProps, object: unknown, options: ValidateOptions = {}): string[] {
  if (!isRecord(object)) return validateOpenAPI(schema, object, '', options);
  const { metadata: _metadata, ...rest } = object;
  return validateOpenAPI(schema, rest, '', options);
}

function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function where(path: string): string {
  return path === '' ? '<root>' : path;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function check(schema: JSONSchemaProps, value: unknown, path: string, options: ValidateOptions, problems: string[]): void {
  const fail = (message: string): void => {
    problems.push(`${where(path)}: ${message}`);
  };
  if (value === null) {
    if (schema.nullable !== true) fail('Invalid value: null: must not be null');
    return;
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
      fail(`Invalid value: ${typeOf(value)}: must be an integer or a string`);
      return;
    }
  } else if (schema.type !== undefined) {
    const actual = typeOf(value);
    const matches = schema.type === 'number' ? actual === 'number' || actual === 'integer' : actual === schema.type;
    if (!matches) {
      fail(`Invalid value: "${actual}": must be of type ${schema.type}`);
      return;
    }
  }
  if (schema.enum !== undefined && !schema.enum.some((option) => option === value)) {
    fail(`Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((option) => JSON.stringify(option)).join(', ')}`);
  }
  if (typeof value === 'string') checkString(schema, value, fail);
  if (typeof value === 'number') checkNumber(schema, value, fail);
  if (Array.isArray(value)) checkArray(schema, value, path, options, problems, fail);
  else if (isRecord(value) && schema['x-kubernetes-int-or-string'] !== true) checkObject(schema, value, path, options, problems, fail);
}

function checkString(schema: JSONSchemaProps, value: string, fail: (message: string) => void): void {
  // The API server counts characters (runes), not UTF-16 units.
  const length = Array.from(value).length;
  if (schema.minLength !== undefined && length < schema.minLength) fail(`Invalid value: ${JSON.stringify(value)}: should be at least ${schema.minLength} chars long`);
  if (schema.maxLength !== undefined && length > schema.maxLength) fail(`Too long: may not be more than ${schema.maxLength} bytes`);
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) fail(`Invalid value: ${JSON.stringify(value)}: should match '${schema.pattern}'`);
  if (schema.format === 'date-time' && !RFC3339.test(value)) fail(`Invalid value: ${JSON.stringify(value)}: must be a date-time (RFC 3339)`);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function checkNumber(schema: JSONSchemaProps, value: number, fail: (message: string) => void): void {
  if (schema.minimum !== undefined && (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum)) {
    fail(`Invalid value: ${value}: should be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${schema.minimum}`);
  }
  if (schema.maximum !== undefined && (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum)) {
    fail(`Invalid value: ${value}: should be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${schema.maximum}`);
  }
  if (schema.multipleOf !== undefined && value % schema.multipleOf !== 0) fail(`Invalid value: ${value}: should be a multiple of ${schema.multipleOf}`);
}

function checkArray(schema: JSONSchemaProps, value: unknown[], path: string, options: ValidateOptions, problems: string[], fail: (message: string) => void): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) fail(`Invalid value: ${value.length}: should have at least ${schema.minItems} items`);
  if (schema.maxItems !== undefined && value.length > schema.maxItems) fail(`Too many: ${value.length}: must have at most ${schema.maxItems} items`);
  const items = schema.items;
  if (items !== undefined) value.forEach((item, index) => check(items, item, at(path, index), options, problems));
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'map' || listType === 'set') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    value.forEach((item, index) => {
      const identity = listType === 'map' && isRecord(item) ? JSON.stringify(Object.fromEntries(keys.map((key) => [key, item[key]]))) : JSON.stringify(item);
      if (seen.has(identity)) problems.push(`${at(path, index)}: Duplicate value: ${identity}`);
      seen.add(identity);
    });
  }
}

function checkObject(
  schema: JSONSchemaProps,
  value: Record<string, unknown>,
  path: string,
  options: ValidateOptions,
  problems: string[],
  fail: (message: string) => void,
): void {
  const count = Object.keys(value).length;
  if (schema.minProperties !== undefined && count < schema.minProperties) fail(`Invalid value: ${count}: should have at least ${schema.minProperties} properties`);
  if (schema.maxProperties !== undefined && count > schema.maxProperties) fail(`Too many: ${count}: must have at most ${schema.maxProperties} properties`);
  const properties = schema.properties ?? {};
  for (const name of schema.required ?? []) {
    // The API server prunes a null of a non-nullable field before validating, so it counts as missing.
    const field = value[name];
    if (field === undefined || (field === null && properties[name]?.nullable !== true)) problems.push(`${at(path, name)}: Required value`);
  }
  for (const [name, field] of Object.entries(value)) {
    if (field === undefined) continue; // absent on the wire: JSON has no undefined
    const property = properties[name] ?? schema.additionalProperties;
    if (property !== undefined) {
      if (field === null && property.nullable !== true && properties[name] !== undefined) continue; // pruned, see above
      check(property, field, at(path, name), options, problems);
    } else if (schema['x-kubernetes-preserve-unknown-fields'] !== true && options.unknownFields !== 'prune') {
      problems.push(`${at(path, name)}: unknown field`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Structural schema rules

const SCALAR_TYPES = new Set(['string', 'integer', 'number', 'boolean']);

/**
 * The rules of a structural schema (apiextensions.k8s.io/v1) our CRDs must follow, each problem
 * `path: rule`. Stricter than Kubernetes in one place: anyOf is only accepted as the int-or-string idiom.
 */
export function structuralProblems(root: JSONSchemaProps): string[] {
  const problems: string[] = [];
  if (root.type !== 'object') problems.push('<root>: type must be object');
  const metadata = root.properties?.metadata;
  if (metadata !== undefined) {
    const extra = Object.keys(metadata.properties ?? {}).filter((name) => name !== 'name' && name !== 'generateName');
    if (metadata.type !== 'object' || extra.length > 0 || metadata.additionalProperties !== undefined || metadata.default !== undefined) {
      problems.push('metadata: only type object and restrictions of name and generateName are allowed');
    }
  }
  walk(root, '', problems);
  return problems;
}

function walk(node: JSONSchemaProps, path: string, problems: string[]): void {
  const fail = (message: string): void => {
    problems.push(`${where(path)}: ${message}`);
  };
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (node.type === undefined && !intOrString && !preserve) fail('type is required (unless x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields)');
  if (intOrString) {
    if (node.type !== undefined) fail('x-kubernetes-int-or-string must not set type');
    const anyOf = node.anyOf;
    if (anyOf !== undefined && JSON.stringify(anyOf) !== JSON.stringify([{ type: 'integer' }, { type: 'string' }])) fail('x-kubernetes-int-or-string allows only anyOf [integer, string]');
  } else if (node.anyOf !== undefined) {
    fail('anyOf is only used for x-kubernetes-int-or-string');
  }
  if (node.properties !== undefined && node.additionalProperties !== undefined) fail('properties and additionalProperties are mutually exclusive');
  if (preserve && node.additionalProperties !== undefined) fail('x-kubernetes-preserve-unknown-fields and additionalProperties are mutually exclusive');
  if ((node.properties !== undefined || node.additionalProperties !== undefined || node.required !== undefined) && node.type !== 'object') fail('properties, additionalProperties and required need type object');
  if (node.type === 'array' && node.items === undefined) fail('items is required for type array');
  if (node.items !== undefined && node.type !== 'array') fail('items needs type array');
  for (const name of node.required ?? []) if (node.properties?.[name] === undefined) fail(`required field ${name} is not in properties`);
  if (node.pattern !== undefined) {
    try {
      new RegExp(node.pattern);
    } catch {
      fail(`pattern ${node.pattern} does not compile`);
    }
  }
  checkListType(node, fail);
  for (const rule of node['x-kubernetes-validations'] ?? []) if (rule.rule.trim() === '') fail('x-kubernetes-validations rule must not be empty');
  if (node.enum !== undefined) {
    const { enum: options, default: _default, ...bare } = node;
    for (const option of options) for (const problem of validateOpenAPI(bare, option, path)) fail(`enum value ${JSON.stringify(option)}: ${problem}`);
  }
  if (node.default !== undefined) {
    const { default: value, ...bare } = node;
    for (const problem of validateOpenAPI(bare, value, path)) fail(`default ${JSON.stringify(value)} is invalid: ${problem}`);
  }
  for (const [name, property] of Object.entries(node.properties ?? {})) walk(property, at(path, name), problems);
  if (node.additionalProperties !== undefined) walk(node.additionalProperties, at(path, '*'), problems);
  if (node.items !== undefined) walk(node.items, `${path}[]`, problems);
}

function checkListType(node: JSONSchemaProps, fail: (message: string) => void): void {
  const listType = node['x-kubernetes-list-type'];
  const keys = node['x-kubernetes-list-map-keys'];
  if (listType !== undefined && node.type !== 'array') fail('x-kubernetes-list-type needs type array');
  if (keys !== undefined && listType !== 'map') fail('x-kubernetes-list-map-keys needs x-kubernetes-list-type map');
  if (listType === 'set' && !SCALAR_TYPES.has(node.items?.type ?? '')) fail('x-kubernetes-list-type set needs scalar items');
  if (listType !== 'map') return;
  const items = node.items;
  if (items?.type !== 'object') {
    fail('x-kubernetes-list-type map needs object items');
    return;
  }
  if (keys === undefined || keys.length === 0) fail('x-kubernetes-list-type map needs x-kubernetes-list-map-keys');
  for (const key of keys ?? []) {
    const property = items.properties?.[key];
    if (property === undefined) fail(`list map key ${key} is not a property of the items`);
    else if (!SCALAR_TYPES.has(property.type ?? '')) fail(`list map key ${key} must be a scalar`);
    // Kubernetes: a map key must be required or have a default, so every item has an identity.
    else if (!(items.required ?? []).includes(key) && property.default === undefined) fail(`list map key ${key} must be required or have a default`);
  }
}
