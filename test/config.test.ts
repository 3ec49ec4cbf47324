/**
 * Bad specs and scenarios get every problem listed with file, JSON pointer and what is wrong — from
 * the library, from `standin check`, and from `standin serve` — never a crash or a stack trace.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempFiles } from './support/files.ts'
import { check, ConfigError, createStandin } from '../src/index.ts'

const { dir, file } = tempFiles('config')

const syntax = file('syntax.yaml', "openapi: 3.1.0\ninfo: { title: x, version: '1'\npaths: {}\n")
const behaviour = file('behaviour.yaml', `openapi: 3.1.0
info: { title: x, version: '1' }
x-standin:
  errors:
    catalogue:
      out_of_stock: { status: 4099, message: Gone }
  resources:
    thing:
      schema: '#/components/schemas/Nope'
paths:
  /things:
    post:
      x-standin:
        limits:
          - { id: a, kind: rate, limit: 2, window: 1 fortnight, error: rate_limitd }
        states: { bogus: not_a_code }
      responses: { '201': { description: ok } }
components: { schemas: {} }
`)
const swagger = file('swagger.json', '{ "swagger": "1.2", "info": {} }')
const scenarios = join(dir, 'scenarios')
file('scenarios/typo.yaml', 'tenants:\n  - id: t1\n    balanse: 4\n    keys: [{ token: k1 }]\nrules:\n  - { nth: 0, error: unauthorized }\n')
file('scenarios/unknown.yaml', 'tenants:\n  - id: t2\n    keys: [{ token: k2 }]\nrules:\n  - { operation: createSesion, error: rate_limitd }\n')

describe('check()', () => {
  it('names the line of a YAML syntax error', () => {
    const result = check(syntax)
    expect(result.ok).toBe(false)
    expect(result.problems).toEqual([{ file: syntax, pointer: '', message: expect.stringMatching(/^not valid YAML\/JSON at line 3, column 1: /) }])
  })

  it('lists every problem of a behaviour model with its pointer, line and a suggestion', () => {
    const { problems } = check(behaviour)
    const at = (pointer: string) => problems.find((p) => p.pointer === pointer)?.message
    expect(problems.every((p) => p.file === behaviour)).toBe(true)
    expect(at('/x-standin/errors/catalogue/out_of_stock/status')).toMatch(/needs an HTTP status .*\(line 6\)/)
    expect(at('/x-standin/resources/thing/schema')).toMatch(/#\/components\/schemas\/Nope does not exist/)
    expect(at('/paths/~1things/post/x-standin/limits/0/window')).toMatch(/duration/)
    expect(at('/paths/~1things/post/x-standin/limits/0/error')).toMatch(/"rate_limitd" .*Did you mean "rate_limited"\?/)
    expect(at('/paths/~1things/post/x-standin/states/bogus')).toMatch(/"not_a_code"/)
    expect(problems).toHaveLength(5)
  })

  it('refuses what is not OpenAPI 3 or Swagger 2.0, and a file that is not there', () => {
    expect(check(swagger).problems[0]).toMatchObject({ file: swagger, pointer: '/swagger', message: expect.stringMatching(/OpenAPI 3\.0 and 3\.1 documents, and Swagger 2\.0; this one says swagger: "1\.2"/) })
    expect(check(join(dir, 'missing.yaml')).problems).toEqual([{ file: join(dir, 'missing.yaml'), pointer: '', message: 'cannot read the file (ENOENT)' }])
  })

  it('lists scenario problems per file with pointers and suggestions', () => {
    const { ok, problems } = check('spec/browser-sessions.yaml', { scenarios })
    expect(ok).toBe(false)
    expect(problems).toEqual(expect.arrayContaining([
      { file: join(scenarios, 'typo.yaml'), pointer: '/tenants/0/balanse', message: 'unknown field "balanse". Did you mean "balance"? (line 3)' },
      { file: join(scenarios, 'typo.yaml'), pointer: '/rules/0/nth', message: 'must be >= 1 (line 6)' },
      expect.objectContaining({ file: join(scenarios, 'unknown.yaml'), pointer: '/rules/0/operation', message: expect.stringMatching(/createSesion.*Did you mean "createSession"\?/) }),
      expect.objectContaining({ file: join(scenarios, 'unknown.yaml'), pointer: '/rules/0/error', message: expect.stringMatching(/rate_limitd.*Did you mean "rate_limited"\?/) }),
    ]))
  })

  it('says when a scenario tenant\'s tier is not one a per-tier limit without a default names', () => {
    const spec = file('tiers.yaml', `openapi: 3.1.0
info: { title: x, version: '1' }
components: { securitySchemes: { key: { type: http, scheme: bearer } } }
security: [{ key: [] }]
paths:
  /runs:
    post:
      x-standin:
        limits:
          - { id: runs, kind: rate, limit: { free: 10, pro: 60 }, window: 60s, per: key, error: rate_limited }
          - { id: burst, kind: rate, limit: { free: 1, default: 5 }, window: 1s, per: key, error: rate_limited }
      responses: { '200': { description: ok } }
`)
    const tiers = join(dir, 'tier-scenarios')
    file('tier-scenarios/worlds.yaml', `tenants:
  - { id: a, tier: pro, keys: [{ token: ka }] }
  - { id: b, tier: prp, keys: [{ token: kb }] }
  - { id: c, keys: [{ token: kc }] }
`)
    file('tier-scenarios/overridden.yaml', 'limits: { runs: 3 }\ntenants:\n  - { id: d, tier: gold, keys: [{ token: kd }] }\n')
    const { ok, problems } = check(spec, { scenarios: tiers })
    expect(ok).toBe(false)
    expect(problems).toEqual([
      { file: join(tiers, 'worlds.yaml'), pointer: '/tenants/1/tier', message: 'tier "prp" is not one limit "runs" is given for (free, pro), and it has no default: the limit would not apply to this tenant. Give the tenant one of those tiers, the limit a `default`, or set the limit in the scenario\'s `limits`. Did you mean "pro"? (line 3)' },
      { file: join(tiers, 'worlds.yaml'), pointer: '/tenants/2', message: expect.stringMatching(/^the tenant has no tier, and limit "runs" is given only per tier \(free, pro\), with no default: the limit would not apply/) },
    ])
  })

  it('says when a size limit is more than the spec reads of a body, or a tier\'s number is not one', () => {
    const spec = file('sizes.yaml', `openapi: 3.1.0
info: { title: x, version: '1' }
x-standin:
  maxBodyBytes: 1000
paths:
  /uploads:
    post:
      x-standin:
        limits:
          - { id: upload-size, kind: size, limit: { free: 500, pro: 5000, default: 500 }, error: invalid_request }
          - { id: other, kind: size, limit: { free: lots, default: 10 }, error: invalid_request }
      responses: { '201': { description: ok } }
`)
    const { problems } = check(spec)
    expect(problems).toEqual([
      { file: spec, pointer: '/paths/~1uploads/post/x-standin/limits/1/limit/free', message: "tier free's limit is a number, 0 or more (line 11)" },
      { file: spec, pointer: '/paths/~1uploads/post/x-standin/limits/0/limit', message: 'a size limit of 5000 bytes is more than x-standin.maxBodyBytes (1000): a body that large is refused before any limit sees it. Raise maxBodyBytes. (line 10)' },
    ])
  })

  it('checks a security scheme\'s own error codes, and a scenario key against every key pattern in force', () => {
    const spec = file('schemes.yaml', `openapi: 3.1.0
info: { title: x, version: '1' }
x-standin:
  auth: { errors: { unknown: bad_key }, keyPattern: '^key_' }
  errors: { catalogue: { bad_key: { status: 401, message: Bad key. } } }
components:
  securitySchemes:
    bearer: { type: http, scheme: bearer }
    hook: { type: apiKey, in: header, name: X-Hook, x-standin: { errors: { unknown: bad_secret }, keyPattern: '^whsec_' } }
security: [{ bearer: [] }]
paths:
  /things: { get: { responses: { '200': { description: ok } } } }
`)
    expect(check(spec).problems).toEqual([
      { file: spec, pointer: '/components/securitySchemes/hook/x-standin/errors/unknown', message: expect.stringMatching(/^error code "bad_secret" is not in x-standin.errors.catalogue/) },
    ])
    const typo = file('auth-typo.yaml', readFileSync(spec, 'utf8').replace('errors: { unknown: bad_key }', 'errors: { unknown: bad_kye, expird: bad_key }').replace(', x-standin: { errors: { unknown: bad_secret }, keyPattern: \'^whsec_\' }', ''))
    expect(check(typo).problems).toEqual([
      { file: typo, pointer: '/x-standin/auth/errors/unknown', message: expect.stringMatching(/^error code "bad_kye" is not in x-standin.errors.catalogue. Did you mean "bad_key"\?/) },
      { file: typo, pointer: '/x-standin/auth/errors/expird', message: expect.stringMatching(/^"expird" is not a credential failure .* Did you mean "expired"\?/) },
    ])
    const fixed = file('schemes-ok.yaml', readFileSync(spec, 'utf8').replace('bad_key: { status: 401, message: Bad key. }', 'bad_key: { status: 401, message: Bad key. }, bad_secret: { status: 401, message: Bad secret. }'))
    const keys = join(dir, 'key-scenarios')
    file('key-scenarios/keys.yaml', 'tenants:\n  - { id: a, keys: [{ token: key_1 }, { token: whsec_1 }, { token: sk_1 }] }\n')
    expect(check(fixed, { scenarios: keys }).problems).toEqual([
      { file: join(keys, 'keys.yaml'), pointer: '/tenants/0/keys/2/token', message: 'key "sk_1" does not match the spec\'s key patterns /^key_/, /^whsec_/; every request with it would be refused as malformed' },
    ])
  })

  it('refuses a set or onCreate that writes a record\'s lifecycle field (a transition moves a state)', () => {
    const spec = file('set-state.yaml', readFileSync('test/fixtures/site-tokens.yaml', 'utf8')
      .replace("x-standin: { action: transition, resource: token, idParam: id, to: revoked, set: { revokedAt: '{iso(now)}' } }", "x-standin: { action: custom, resource: token, idParam: id, set: { status: revoked } }")
      .replace('lifecycle: { field: status, initial: active', "onCreate: { status: revoked }\n      lifecycle: { field: status, initial: active"))
    expect(check(spec).problems).toEqual([
      { file: spec, pointer: '/x-standin/resources/token/onCreate/status', message: expect.stringMatching(/^onCreate computes the lifecycle field "status": a record starts in lifecycle.initial \(active\)/) },
      { file: spec, pointer: '/paths/~1tokens~1{id}~1revoke/post/x-standin/set/status', message: expect.stringMatching(/^set writes token's lifecycle field "status": move the record's state with a transition instead/) },
    ])
  })

  it('checks variants: a state of the lifecycle, on a create only; a status the operation declares', () => {
    const spec = file('variants.yaml', readFileSync('test/fixtures/site-tokens.yaml', 'utf8')
      .replace("- { status: 200, state: done }", "- { status: 201, state: finished }\n          - { statsu: 200 }")
      .replace('operationId: getExport\n', "operationId: getExport\n      x-standin: { variants: [{ state: done }] }\n"))
    expect(check(spec).problems).toEqual([
      { file: spec, pointer: '/paths/~1exports/post/x-standin/variants/2/statsu', message: expect.stringMatching(/^"statsu" is not a field of a variant .* Did you mean "status"\?/) },
      { file: spec, pointer: '/paths/~1exports/post/x-standin/variants/1/state', message: expect.stringMatching(/^"finished" is not a state of export's lifecycle/) },
      { file: spec, pointer: '/paths/~1exports/post/x-standin/variants/1/status', message: expect.stringMatching(/^createExport declares no 201 response/) },
      { file: spec, pointer: '/paths/~1exports~1{id}/get/x-standin/variants/0/state', message: expect.stringMatching(/^a variant's state is the first state of a record the operation creates; getExport is a read/) },
    ])
  })

  it('checks lookupBy: an item operation, with the path parameter that gives the value (idParam)', () => {
    const spec = file('lookup.yaml', readFileSync('test/fixtures/site-tokens.yaml', 'utf8')
      .replace('x-standin: { action: read, resource: export, idParam: ticket, lookupBy: ticket }', 'x-standin: { action: read, resource: export, lookupBy: ticket }')
      .replace('operationId: createExport\n      x-standin:', 'operationId: createExport\n      x-standin:\n        lookupBy: ticket'))
    expect(check(spec).problems).toEqual([
      { file: spec, pointer: '/paths/~1exports/post/x-standin/lookupBy', message: 'a create addresses no one record to look up (line 63)' },
      { file: spec, pointer: '/paths/~1tickets~1{ticket}/get/x-standin', message: expect.stringMatching(/acts on one export but no path parameter names it: set x-standin.idParam/) },
    ])
  })

  it('createStandin throws a ConfigError carrying the same problems', async () => {
    const error = await createStandin({ spec: behaviour }).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).problems).toHaveLength(5)
  })
})

describe('the CLI', () => {
  const cli = (...args: string[]) => {
    const run = spawnSync(process.execPath, ['src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 20_000 })
    return { code: run.status, out: run.stdout, err: run.stderr }
  }

  it('check exits 0 on the bundled spec and scenarios', () => {
    const run = cli('check', 'spec/browser-sessions.yaml', '--scenarios', 'scenarios/browser-sessions')
    expect(run.code).toBe(0)
    expect(run.out).toMatch(/^ok: spec\/browser-sessions\.yaml — 6 operations, \d+ scenarios/)
  })

  it('check exits 1 listing every problem, without a stack trace', () => {
    const run = cli('check', behaviour)
    expect(run.code).toBe(1)
    expect(run.err).toContain('5 problem(s):')
    expect(run.err).toContain(`${behaviour}#/paths/~1things/post/x-standin/limits/0/error: error code "rate_limitd"`)
    expect(run.err).not.toMatch(/\n\s+at /)
  })

  it('serve exits 1 on a bad spec, listing the problems', () => {
    const run = cli('serve', syntax, '--port', '0')
    expect(run.code).toBe(1)
    expect(run.err).toContain(`standin cannot serve ${syntax}:`)
  })

  it('exits 2 on bad usage', () => {
    expect(cli().code).toBe(2)
    expect(cli('check').code).toBe(2)
    expect(cli('frobnicate', 'x.yaml').code).toBe(2)
    expect(cli('serve', 'spec/browser-sessions.yaml', '--port', 'eighty').code).toBe(2)
  })
})
