import { describe, expect, it } from 'vitest'
import { SchemaRegistry } from '../src/spec/schemas.ts'
import { shareRepeats } from '../src/spec/shared-subschemas.ts'

// A user written out in place three times, as a dereferenced document has it (no $ref between them).
const user = () => ({
  type: 'object',
  required: ['id', 'login', 'secret'],
  properties: {
    id: { type: 'integer', minimum: 1 },
    login: { type: 'string', minLength: 1 },
    site: { type: 'string', format: 'uri' },
    secret: { type: 'string', writeOnly: true },
    plan: { $ref: '#/components/schemas/Plan' },
    name: { type: ['string', 'null'] },
    email: { type: ['string', 'null'], format: 'email' },
    avatar: { type: 'string', format: 'uri' },
    followers: { type: 'integer', minimum: 0 },
    following: { type: 'integer', minimum: 0 },
    admin: { type: 'boolean' },
    created: { type: 'string', format: 'date-time' },
  },
})
const documentOf = () => ({
  openapi: '3.1.0',
  components: {
    schemas: {
      Plan: { type: 'string', enum: ['free', 'pro'] },
      Issue: {
        type: 'object',
        required: ['author'],
        properties: { author: user(), assignees: { type: 'array', items: user() }, closedBy: { anyOf: [user(), { type: 'null' }] } },
      },
    },
  },
})

describe('repeated sub-schemas compiled once', () => {
  it('gives Ajv each repeated sub-schema once, and leaves the document as it was', () => {
    const document = documentOf()
    const before = JSON.stringify(document)
    const shared: any = shareRepeats(document.components.schemas.Issue, 'standin:spec')
    expect(JSON.stringify(document)).toBe(before)
    expect(Object.keys(shared.$defs)).toEqual(['s0'])
    expect(shared.properties.author).toEqual({ $ref: '#/$defs/s0' })
    expect(shared.properties.assignees.items).toEqual({ $ref: '#/$defs/s0' })
    expect(shared.properties.closedBy.anyOf[0]).toEqual({ $ref: '#/$defs/s0' })
    // A local ref still leads into the document.
    expect(shared.$defs.s0.properties.plan).toEqual({ $ref: 'standin:spec#/components/schemas/Plan' })
  })

  it.each(['3.0', '3.1'] as const)('validates as the schema written out does (OpenAPI %s): the same errors at the same places, writeOnly still not required of a response', (version) => {
    const registry = new SchemaRegistry(documentOf(), version)
    const validate = registry.compileAt('response', '/components/schemas/Issue')
    const good = { id: 1, login: 'octocat', plan: 'pro' }
    expect(validate({ author: good, assignees: [good, good], closedBy: null })).toBe(true)
    expect(validate({ author: { ...good, id: 0 }, assignees: [good, { id: 2, plan: 'gold' }], closedBy: { ...good, site: 'not a uri' } })).toBe(false)
    expect(validate.errors!.map((e) => `${e.instancePath} ${e.keyword}`).sort()).toEqual([
      '/assignees/1 required', '/assignees/1/plan enum', '/author/id minimum', '/closedBy anyOf', '/closedBy type', '/closedBy/site format',
    ])
  })

  it('keeps a schema that has nothing repeated, or an $id, as it is', () => {
    expect(shareRepeats(documentOf().components.schemas.Plan, 'standin:spec')).toBeUndefined()
    const withId = { ...documentOf().components.schemas.Issue, $id: 'https://example.com/issue' }
    expect(shareRepeats(withId, 'standin:spec')).toBeUndefined()
  })
})
