import { describe, expect, it } from 'vitest'
import { Router } from '../src/route/router.ts'
import type { OperationModel } from '../src/spec/model.ts'

const op = (method: string, path: string) => ({ id: `${method} ${path}`, method, path }) as unknown as OperationModel
const ops = [
  op('GET', '/things'), op('POST', '/things'),
  op('GET', '/things/{id}'), op('DELETE', '/things/{id}'),
  op('GET', '/things/current'),
  op('GET', '/things/{id}/parts/{part}'),
  op('GET', '/files/{name}.json'),
  op('GET', '/'),
]
const router = new Router(ops, ['/v2'])
const found = (method: string, path: string) => {
  const r = router.match(method, path)
  return !r ? 'none' : 'allowed' in r ? `allowed ${r.allowed.join(',')}` : `${r.match.operation.id} ${JSON.stringify(r.match.params)}`
}

describe('router', () => {
  it('finds paths without parameters, however they are spelled', () => {
    expect(found('GET', '/things')).toBe('GET /things {}')
    expect(found('POST', '/things')).toBe('POST /things {}')
    expect(found('GET', '/things/')).toBe('GET /things {}')
    expect(found('GET', '/th%69ngs')).toBe('GET /things {}')
    expect(found('HEAD', '/things')).toBe('GET /things {}')
    expect(found('GET', '/v2/things')).toBe('GET /things {}')
    expect(found('GET', '/')).toBe('GET / {}')
    expect(found('PUT', '/things')).toBe('allowed GET,POST')
    expect(found('GET', '//things')).toBe('none')
  })

  it('prefers a literal segment to a parameter, and reads parameters decoded', () => {
    expect(found('GET', '/things/current')).toBe('GET /things/current {}')
    // The literal path is its own path: a method it lacks is not allowed there (not taken by {id}).
    expect(found('DELETE', '/things/current')).toBe('allowed GET')
    expect(found('GET', '/things/a%20b')).toBe('GET /things/{id} {"id":"a b"}')
    expect(found('GET', '/things/7/parts/9')).toBe('GET /things/{id}/parts/{part} {"id":"7","part":"9"}')
    expect(found('GET', '/files/report.json')).toBe('GET /files/{name}.json {"name":"report"}')
    expect(found('GET', '/things/%E0%A4%A')).toBe('none')
    expect(found('GET', '/nothing')).toBe('none')
  })
})
