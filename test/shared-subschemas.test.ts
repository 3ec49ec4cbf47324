import { describe, expect, it } from 'vitest'
import { SchemaRegistry } from '../src/spec/schemas.ts'
import { SubschemaIds, shareRepeats } from '../src/spec/shared-subschemas.ts'

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

// A repository of 60 fields and an owner: big enough to be given to Ajv once for every validator.
const repository = () => ({
  type: 'object',
  required: ['f0', 'owner'],
  properties: { owner: user(), ...Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, { type: 'string', maxLength: 10 + i }])) },
})
const repositories = () => ({
  openapi: '3.1.0',
  components: {
    schemas: {
      Plan: { type: 'string', enum: ['free', 'pro'] },
      Repository: repository(),
      Fork: { type: 'object', properties: { parent: repository(), note: { type: 'string' } } },
      Forks: { type: 'array', items: { type: 'object', properties: { source: repository() } } },
    },
  },
})

describe('sub-schemas compiled once for every validator of an Ajv', () => {
  it('gives the big ones and the repeated ones once, and refers to them from every schema met later', () => {
    const document = repositories()
    const given = new Map<string, any>()
    const calls: string[] = []
    const shared = { ids: new SubschemaIds(), given: new Set<number>(), give: (name: string, schema: object) => void (calls.push(name), given.set(name, schema)) }
    // A Fork is big: it is given, and compiled as a reference to it.
    const fork: any = shareRepeats(document.components.schemas.Fork, 'standin:spec', shared)
    expect(Object.keys(fork)).toEqual(['$ref'])
    const parent = given.get(fork.$ref).properties.parent
    // The repository inside it (held once) is given too, not copied in.
    expect(parent.$ref).toMatch(/^standin:shared\/\d+$/)
    expect(given.get(parent.$ref).properties.f59).toEqual({ type: 'string', maxLength: 69 })
    expect(given.get(parent.$ref).properties.owner.properties.plan).toEqual({ $ref: 'standin:spec#/components/schemas/Plan' })
    const forks: any = shareRepeats(document.components.schemas.Forks, 'standin:spec', shared)
    expect(given.get(given.get(forks.$ref).items.$ref).properties.source).toEqual(parent)
    // The repository itself: what was given.
    expect(shareRepeats(document.components.schemas.Repository, 'standin:spec', shared)).toEqual(parent)
    expect(calls).toEqual([...new Set(calls)])
    expect(calls.filter((name) => name === parent.$ref)).toHaveLength(1)
    expect(JSON.stringify(document)).toBe(JSON.stringify(repositories()))
  })

  it.each(['3.0', '3.1'] as const)('validates as each schema written out does, in any order (OpenAPI %s)', (version) => {
    const good = { id: 1, login: 'octocat', plan: 'pro' }
    const repo = (extra: object = {}) => ({ f0: 'x', owner: good, ...extra })
    const bad = { f0: 'much too long a value', f12: 7, owner: { ...good, id: 0, plan: 'gold', site: 'not a uri' } }
    const samples: Record<string, unknown[]> = {
      Repository: [repo(), bad, { owner: good }, repo({ f59: 'y'.repeat(70) })],
      Fork: [{ parent: repo(), note: 'n' }, { parent: bad }, { parent: { f0: 'x' }, note: 1 }],
      Forks: [[{ source: repo() }], [{ source: repo() }, { source: bad }, { source: {} }]],
    }
    const outcome = (order: string[], share: boolean) => {
      const registry = new SchemaRegistry(repositories(), version)
      const out: Record<string, unknown> = {}
      for (const name of order) {
        const validate = share ? registry.compileAt('response', `/components/schemas/${name}`) : registry.compileSchema('response', registry.dereference({ $ref: `#/components/schemas/${name}` }))
        out[name] = samples[name]!.map((sample) => {
          const valid = validate(structuredClone(sample))
          return { valid, errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)} ${e.message}`).sort() }
        })
      }
      return out
    }
    const written = outcome(['Repository', 'Fork', 'Forks'], false)
    expect((written.Forks as any)[1].errors.length).toBeGreaterThan(4)
    expect(outcome(['Repository', 'Fork', 'Forks'], true)).toEqual(written)
    expect(outcome(['Forks', 'Fork', 'Repository'], true)).toEqual(written)
  })
})
