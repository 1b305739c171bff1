/** The valibot -> structural OpenAPI v3 converter, on schemas of its own (our CRDs: crd.test.ts). */
import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { Quantity } from '../../lib/api/common.ts';
import { extendAt, toOpenAPI, UnsupportedSchemaError } from '../../lib/api/openapi.ts';

describe('toOpenAPI', () => {
  test('scalars and their pipe actions', () => {
    expect(toOpenAPI(v.string())).toEqual({ type: 'string' });
    expect(toOpenAPI(v.boolean())).toEqual({ type: 'boolean' });
    expect(toOpenAPI(v.number())).toEqual({ type: 'number' });
    expect(toOpenAPI(v.pipe(v.string(), v.regex(/^a+$/), v.minLength(2), v.maxLength(5)))).toEqual({ type: 'string', pattern: '^a+$', minLength: 2, maxLength: 5 });
    expect(toOpenAPI(v.pipe(v.string(), v.startsWith('/a.b')))).toEqual({ type: 'string', pattern: '^/a\\.b' });
    expect(toOpenAPI(v.pipe(v.string(), v.nonEmpty()))).toEqual({ type: 'string', minLength: 1 });
    expect(toOpenAPI(v.pipe(v.string(), v.isoTimestamp()))).toEqual({ type: 'string', format: 'date-time' });
    expect(toOpenAPI(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(9)))).toEqual({ type: 'integer', minimum: 0, maximum: 9 });
    expect(toOpenAPI(v.pipe(v.number(), v.gtValue(0)))).toEqual({ type: 'number', minimum: 0, exclusiveMinimum: true });
  });

  test('a piped schema inside a pipe keeps the inner actions', () => {
    const Label = v.pipe(v.string(), v.regex(/^[a-z]+$/));
    expect(toOpenAPI(v.pipe(Label, v.maxLength(8)))).toEqual({ type: 'string', pattern: '^[a-z]+$', maxLength: 8 });
  });

  test('descriptions', () => {
    expect(toOpenAPI(v.pipe(v.string(), v.description('a name')))).toEqual({ description: 'a name', type: 'string' });
  });

  test('objects: required is every entry that is not optional; defaults', () => {
    const schema = v.object({ a: v.string(), b: v.optional(v.number()), c: v.optional(v.string(), 'x'), d: v.nullish(v.boolean()) });
    expect(toOpenAPI(schema)).toEqual({
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'string' }, b: { type: 'number' }, c: { type: 'string', default: 'x' }, d: { type: 'boolean', nullable: true } },
    });
    expect(toOpenAPI(v.object({ a: v.optional(v.string()) }))).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
  });

  test('a loose object keeps unknown fields', () => {
    expect(toOpenAPI(v.looseObject({ a: v.string() }))).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      required: ['a'],
      properties: { a: { type: 'string' } },
    });
  });

  test('arrays, records, picklists, literals, unknown', () => {
    expect(toOpenAPI(v.pipe(v.array(v.string()), v.minLength(1), v.maxLength(3)))).toEqual({ type: 'array', minItems: 1, maxItems: 3, items: { type: 'string' } });
    expect(toOpenAPI(v.record(v.string(), v.number()))).toEqual({ type: 'object', additionalProperties: { type: 'number' } });
    expect(toOpenAPI(v.picklist(['a', 'b']))).toEqual({ type: 'string', enum: ['a', 'b'] });
    expect(toOpenAPI(v.literal(3))).toEqual({ type: 'integer', enum: [3] });
    expect(toOpenAPI(v.union([v.literal('a'), v.picklist(['b', 'c'])]))).toEqual({ type: 'string', enum: ['a', 'b', 'c'] });
    expect(toOpenAPI(v.unknown())).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
  });

  test('a quantity (string or number) is int-or-string without a pattern', () => {
    expect(toOpenAPI(Quantity)).toEqual({ anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true });
  });

  test('record keys with a constraint throw unless the hook is allowed to check them', () => {
    const Flags = v.record(v.pipe(v.string(), v.regex(/^[a-z]+$/)), v.string());
    expect(() => toOpenAPI(Flags, 'spec.flags')).toThrow('spec.flags: record keys with regex');
    expect(toOpenAPI(Flags, 'spec.flags', { recordKeys: 'describe' })).toEqual({
      description: 'Keys must match ^[a-z]+$ (checked by the operator, not the API server).',
      type: 'object',
      additionalProperties: { type: 'string' },
    });
  });

  const unsupported: [string, v.GenericSchema, string][] = [
    ['a date', v.object({ when: v.date() }), 'spec.when: unsupported schema type date'],
    ['a transformation', v.object({ n: v.pipe(v.string(), v.transform(Number)) }), 'spec.n: transformation transform'],
    ['a union of objects', v.union([v.object({ a: v.string() }), v.object({ b: v.string() })]), 'spec: union of object, object'],
    ['a computed default', v.object({ a: v.optional(v.string(), () => 'x') }), 'spec.a: a computed (function) default'],
    ['regex flags', v.pipe(v.string(), v.regex(/^a$/i)), 'spec: regex flags /i'],
    ['lookahead', v.pipe(v.string(), v.regex(/^(?!x)/)), 'lookaround or backreferences'],
    ['two patterns', v.pipe(v.string(), v.regex(/a/), v.startsWith('b')), 'a second pattern'],
    ['an unknown validation', v.pipe(v.string(), v.email()), 'spec: validation email on string'],
    ['items deep inside', v.object({ list: v.array(v.object({ at: v.date() })) }), 'spec.list[].at: unsupported schema type date'],
    ['a lazy schema', v.lazy(() => v.string()), 'spec: unsupported schema type lazy'],
  ];
  for (const [what, schema, message] of unsupported) {
    test(`throws with the path on ${what}`, () => {
      expect(() => toOpenAPI(schema, 'spec')).toThrow(UnsupportedSchemaError);
      expect(() => toOpenAPI(schema, 'spec')).toThrow(message);
    });
  }

  test('extendAt merges into a nested node and refuses a missing path', () => {
    const schema = toOpenAPI(v.object({ list: v.array(v.object({ name: v.string() })) }));
    expect(extendAt(schema, 'list[].name', { maxLength: 3 }).properties!.list!.items!.properties!.name).toEqual({ type: 'string', maxLength: 3 });
    expect(() => extendAt(schema, 'lists', { maxLength: 3 })).toThrow('.lists does not exist');
  });
});
