/**
 * The normalisation pass on its own: each schema as a provider writes it, what Ajv is given, and the
 * warnings (JSON pointer of the keyword) for what had to be dropped or read differently.
 */
import { describe, expect, it } from 'vitest'
import { normalizeDocument } from '../src/spec/normalize.ts'
import { unicodePattern } from '../src/spec/pattern.ts'

function normalized(version: '3.0' | '3.1', schema: unknown) {
  const doc = { openapi: version === '3.0' ? '3.0.3' : '3.1.0', paths: {}, components: { schemas: { S: schema } } }
  const warnings: string[] = []
  normalizeDocument(doc, version, (pointer) => warnings.push(pointer))
  return { schema: doc.components.schemas.S, warnings }
}

const AT = '/components/schemas/S'

describe('normalizeDocument', () => {
  it.each([
    ['3.0', 'nullable with a type: Ajv reads it', { type: 'string', nullable: true }, { type: 'string', nullable: true }, []],
    ['3.0', 'nullable with a type list: null joins the list', { type: ['string', 'integer'], nullable: true }, { type: ['string', 'integer', 'null'] }, []],
    ['3.0', 'nullable without a type adds nothing', { description: 'd', nullable: true }, { description: 'd' }, []],
    ['3.0', 'nullable beside a $ref: null, or the $ref', { $ref: '#/components/schemas/S', nullable: true, description: 'd' }, { description: 'd', anyOf: [{ $ref: '#/components/schemas/S' }, { type: 'null' }] }, []],
    ['3.0', 'a nullable enum admits null', { type: 'string', enum: ['a'], nullable: true }, { type: 'string', enum: ['a', null], nullable: true }, []],
    ['3.0', 'nullable: false is 3.0\'s default', { type: 'string', nullable: false }, { type: 'string' }, []],
    ['3.1', 'nullable in 3.1 is not a keyword', { type: 'string', nullable: true }, { type: 'string' }, [`${AT}/nullable`]],
    ['3.0', 'boolean exclusive bounds become numbers', { type: 'integer', minimum: 0, exclusiveMinimum: true, maximum: 9, exclusiveMaximum: false }, { type: 'integer', exclusiveMinimum: 0, maximum: 9 }, []],
    ['3.1', 'numeric exclusive bounds stay', { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, []],
    ['3.0', 'an exclusive bound with nothing to bound is dropped', { type: 'number', exclusiveMinimum: true }, { type: 'number' }, [`${AT}/exclusiveMinimum`]],
    ['3.0', 'a number as a string is read as the number', { type: 'string', maxLength: '10' }, { type: 'string', maxLength: 10 }, [`${AT}/maxLength`]],
    ['3.0', 'required: true on a property is dropped', { type: 'object', properties: { a: { type: 'string', required: true } } }, { type: 'object', properties: { a: { type: 'string' } } }, [`${AT}/properties/a/required`]],
    ['3.0', 'a type in capitals is read', { type: 'String' }, { type: 'string' }, [`${AT}/type`]],
    ['3.0', 'Swagger\'s file is a binary string', { type: 'file' }, { type: 'string', format: 'binary' }, []],
    ['3.0', 'an unknown type is dropped', { type: 'date' }, {}, [`${AT}/type`]],
    ['3.0', 'an empty enum is dropped', { type: 'string', enum: [] }, { type: 'string' }, [`${AT}/enum`]],
    ['3.0', 'a $ref to nowhere is dropped', { type: 'object', properties: { a: { $ref: '#/components/schemas/Nope' } } }, { type: 'object', properties: { a: {} } }, [`${AT}/properties/a/$ref`]],
    ['3.1', 'a list of items is prefixItems in 3.1', { type: 'array', items: [{ type: 'string' }], additionalItems: false }, { type: 'array', prefixItems: [{ type: 'string' }], items: false }, []],
    ['3.0', 'a pattern with needless escapes is rewritten', { type: 'string', pattern: '^[A-Z\\_]+$' }, { type: 'string', pattern: '^[A-Z_]+$' }, []],
    ['3.0', 'a pattern no engine here compiles is dropped', { type: 'string', pattern: '(?i)abc' }, { type: 'string' }, [`${AT}/pattern`]],
    ['3.0', 'a property that is not a schema accepts anything', { type: 'object', properties: { a: 'string' } }, { type: 'object', properties: { a: {} } }, [`${AT}/properties/a`]],
  ] as const)('%s: %s', (version, _, given, want, warnings) => {
    expect(normalized(version, structuredClone(given))).toEqual({ schema: want, warnings })
  })
})

describe('unicodePattern', () => {
  it.each([
    ['^[A-Z\\_]+$', '^[A-Z_]+$'],
    ['arn:aws\\-cn:iam::\\d+:role\\/.*', 'arn:aws-cn:iam::\\d+:role\\/.*'],
    ['[\\w-.]+', '[\\w\\-.]+'],
    ['a{', 'a\\{'],
    ['^a]$', '^a\\]$'],
    ['[^/:|\\000-\\037]+', '[^/:|\\x00-\\x1f]+'],
    ['\\A\\d+\\z', '^\\d+$'],
    ['[[:alpha:]]+', '[A-Za-z]+'],
    ['^[\\p{Alnum}_]+$', '^[A-Za-z0-9_]+$'],
    ['\\p{L}+', '\\p{L}+'],
  ])('%s is %s with the u flag', (pattern, want) => {
    expect(unicodePattern(pattern)?.pattern).toBe(want)
    expect(() => new RegExp(want, 'u')).not.toThrow()
  })

  it('gives up on what no rewriting makes compile', () => {
    expect(unicodePattern('(?i)abc')).toBeUndefined()
    expect(unicodePattern('a++')).toBeUndefined()
  })
})
