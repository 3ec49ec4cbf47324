import { expect, it } from 'vitest'
import { bearer, describeDoors } from './support/doors.ts'

describeDoors('smoke', { spec: 'spec/browser-sessions.yaml', scenarios: 'scenarios/browser-sessions' }, (client) => {
  it('creates a session and reads it back', async () => {
    const res = await client().fetch('/v1/sessions', bearer('bsk_acme_live_1', { method: 'POST', json: { ttl: 120 } }))
    expect(res.status).toBe(201)
    const session = await res.json()
    expect(session).toMatchObject({ status: 'provisioning', ttl: 120, workspaceId: 'ws_acme' })
    const read = await client().fetch(`/v1/sessions/${session.id}`, bearer('bsk_acme_live_1'))
    expect(read.status).toBe(200)
    expect(await read.json()).toEqual(session)
  })
})
