/**
 * With no scenario file, standin makes up one tenant, and any credential of the form the spec asks
 * for is that tenant's key: a client pointed at standin with its own token works at once (as with
 * Prism). A scenario file names its keys, and a credential it does not name is refused.
 */
import { describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'

const SPEC = 'spec/generation.yaml'
const get = (key?: string) => new Request('http://localhost/v1/verify', { headers: key ? { authorization: `Bearer ${key}` } : {} })

describe('credentials with no scenario file', () => {
  it('any key of the API\'s form is the made-up tenant\'s; none, or one of another form, is still refused', async () => {
    const standin = await createStandin({ spec: SPEC })
    const mine = await standin.handle(get('sk_live_my_own_token_from_env'))
    expect(mine.status).toBe(200)
    expect((await mine.json()).org_id).toBe('tenant_default')
    expect((await standin.handle(get('standin-key'))).status).not.toBe(500)
    expect((await standin.handle(get())).status).toBe(401)
    expect((await standin.handle(get('not-a-key-of-this-api'))).status).toBe(401)
  })

  it('a scenario file\'s world refuses a key it does not name', async () => {
    const standin = await createStandin({ spec: SPEC, scenarios: 'scenarios/generation' })
    expect((await standin.handle(get('sk_live_acme_1'))).status).toBe(200)
    expect((await standin.handle(get('sk_live_my_own_token_from_env'))).status).toBe(401)
  })
})
