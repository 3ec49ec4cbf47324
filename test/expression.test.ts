/**
 * The expression language of templates: paths, literals, arithmetic, `??`, and its functions —
 * here `pick` (a value mapped to another) and `slice` (part of a string).
 */
import { describe, expect, it } from 'vitest'
import { compileMessage } from '../src/util/template.ts'
import { compileExpression } from '../src/util/expression.ts'

const run = (src: string, vars: Record<string, unknown> = {}) => compileExpression(src)(vars)

describe('expressions', () => {
  it('read paths, literals, arithmetic and ??', () => {
    expect(run('iso(now + (body.ttl ?? 1800) * 1000)', { now: 0, body: {} })).toBe('1970-01-01T00:30:00.000Z')
    expect(run('body.n * 2 + 1', { body: { n: 4 } })).toBe(9)
  })

  it('pick: the value after the first key equal to the first argument, else the unpaired last, else nothing', () => {
    const price = "pick(body.format, 'image', 1, 'video', 10, 2)"
    expect(run(price, { body: { format: 'image' } })).toBe(1)
    expect(run(price, { body: { format: 'video' } })).toBe(10)
    expect(run(price, { body: { format: 'audio' } })).toBe(2)
    expect(run(price, { body: {} })).toBe(2)
    expect(run("pick(tenant.flags.suspended, true, 'suspended', 'active')", { tenant: { flags: { suspended: true } } })).toBe('suspended')
    expect(run("pick(tenant.flags.suspended, true, 'suspended', 'active')", { tenant: { flags: {} } })).toBe('active')
    expect(run("pick(body.format, 'image', 1)", { body: { format: 'video' } })).toBeUndefined()
    // Equal means the same value and type: the string '1' is not the number 1.
    expect(run("pick(body.n, 1, 'one', 'other')", { body: { n: '1' } })).toBe('other')
  })

  it('slice: part of a string; nothing for what is not one', () => {
    expect(run('slice(id, 4)', { id: 'run_abc123' })).toBe('abc123')
    expect(run('slice(id, 0, 3)', { id: 'run_abc123' })).toBe('run')
    expect(run('slice(id, 4)', { id: 42 })).toBeUndefined()
  })
})

describe('messages', () => {
  it.each([
    ['Not enough credits: this format needs {amount}, the organisation has {balance}.', { amount: 10, balance: 5 }, 'Not enough credits: this format needs 10, the organisation has 5.'],
    ['Not enough credits: this format needs {amount}, the organisation has {balance}.', {}, 'Not enough credits.'],
    ['Not enough credits: this format needs {amount}, the organisation has {balance}.', { amount: 10 }, 'Not enough credits: this format needs 10.'],
    ['Invalid value for field: {field}.', {}, 'Invalid value for field.'],
    ['Too many requests. Please retry after {retryAfter ?? 60} seconds.', {}, 'Too many requests. Please retry after 60 seconds.'],
    ['The run goes on asynchronously: poll task {taskId}. Next time, submit with "async": true.', {}, 'The run goes on asynchronously. Next time, submit with "async": true.'],
    ['The run goes on asynchronously: poll task {taskId}. Next time, submit with "async": true.', { taskId: 't_1' }, 'The run goes on asynchronously: poll task t_1. Next time, submit with "async": true.'],
    ['{detail}', {}, ''],
    ['Plain text.', {}, 'Plain text.'],
  ])('%s with %j says %j, never a blank', (template, vars, said) => {
    expect(compileMessage(template)(vars as Record<string, unknown>)).toBe(said)
  })
})
