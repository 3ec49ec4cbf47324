/** A seeded generator; `state` is where it stands, so a saved world goes on with the same sequence. */
export interface SeededRandom {
  (): number
  readonly state: number
}

/** Seeded randomness (mulberry32): a world's ids and fake data repeat for the same seed. */
export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  // Restarting from `state` (seededRandom(r.state)) gives the numbers r would have given next.
  return Object.defineProperty(next, 'state', { get: () => a }) as SeededRandom
}

export function randomToken(random: () => number, length = 24): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let s = ''
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)]
  return s
}
