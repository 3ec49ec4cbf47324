/** Which declared response a status falls under: the exact code, then its range, then `default`. */
import { describe, expect, it } from 'vitest'
import { declaredResponse } from '../src/spec/declared.ts'
import type { ResponseModel } from '../src/spec/model.ts'

const r = (status: number | 'default', range = false) => ({ status, range, headers: new Map(), contentTypes: new Map() }) as unknown as ResponseModel

describe('declaredResponse', () => {
  const exact400 = r(400)
  const range4 = r(400, true)
  const range5 = r(500, true)
  const fallback = r('default')
  const responses = [fallback, range4, exact400, range5]

  it('takes the exact code first, then its range, then default', () => {
    expect(declaredResponse(responses, 400)).toBe(exact400)
    expect(declaredResponse(responses, 404)).toBe(range4)
    expect(declaredResponse(responses, 503)).toBe(range5)
    expect(declaredResponse(responses, 201)).toBe(fallback)
  })

  it('does not let a literal code cover its range, nor default answer when asked not to', () => {
    expect(declaredResponse([exact400], 404)).toBeUndefined()
    expect(declaredResponse([fallback, exact400], 404, false)).toBeUndefined()
    expect(declaredResponse([fallback, range4], 404, false)).toBe(range4)
  })
})
