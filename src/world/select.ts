/**
 * Stage 3, world: which world a request belongs to — the world of its credential (any scheme the
 * spec declares first, then a key wherever a client may have put it, so that scenario keys select
 * their worlds even in a spec that declares no security scheme), else the world a header names,
 * else the default scenario's world.
 */
import type { Worlds } from './worlds.ts'
import type { World } from './world.ts'
import { anyCredential, credentialFor } from '../auth/credentials.ts'

export const WORLD_HEADER = 'x-standin-world'

export function selectWorld(worlds: Worlds, headers: Record<string, string>, query: Record<string, unknown>): World {
  const schemes = worlds.api.behaviour.schemeList
  for (let i = 0; i < schemes.length; i++) {
    const token = credentialFor(schemes[i]!, headers, query)
    const entry = token ? worlds.byKey(token) : undefined
    if (entry) return entry.world
  }
  const token = anyCredential(headers, query, (t) => worlds.byKey(t) !== undefined)
  if (token) return worlds.byKey(token)!.world
  const named = headers[WORLD_HEADER]
  return (named && (worlds.get(named) ?? (worlds.scenarios.has(named) ? worlds.home(named) : undefined))) || worlds.default
}
