import { describe, expect, it } from 'vitest'
import { createStandin } from '../src/index.ts'

const scenario = {
  name: 'broken-record',
  tenants: [{
    id: 'ws_broken', balance: 10, keys: [{ token: 'bsk_broken_1' }],
    // ttl below the schema's minimum of 60: every response carrying this record breaks the spec.
    records: { session: [{ id: 'sess_broken000000000000000001', status: 'ready', ttl: 5 }, { id: 'sess_fine00000000000000000001', status: 'ready', ttl: 600 }] },
  }],
}

describe('self-check of stored records read again', () => {
  it('reports a stored record that breaks the response schema on every read, not only the first', async () => {
    const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: [scenario] })
    const world = standin.home('broken-record')
    for (let i = 0; i < 3; i++) {
      const res = await standin.handle(new Request('http://x/v1/sessions/sess_broken000000000000000001', { headers: { authorization: 'Bearer bsk_broken_1' } }))
      expect(res.status).toBe(200)
    }
    expect(world.violations('response').filter((v) => v.pointer === '/ttl')).toHaveLength(3)
  })

  it('reports nothing for a valid record read again and again', async () => {
    const standin = await createStandin({ spec: 'spec/browser-sessions.yaml', scenarios: [scenario] })
    for (let i = 0; i < 3; i++) {
      await standin.handle(new Request('http://x/v1/sessions/sess_fine00000000000000000001', { headers: { authorization: 'Bearer bsk_broken_1' } }))
    }
    expect(standin.home('broken-record').violations().map((v) => v.message)).toEqual([])
  })
})
