/**
 * An operation's `checks`: conditions on the addressed record and its parents, checked once they are
 * found and before anything changes — a header compared with the record's own secret, a role that
 * may not be changed, a body that must match a JSON Schema the record holds (one a user configured)
 * or one of the spec's. The first that fails answers with its code; a schema check tells every
 * failing place (`{errors}`) and the first one's `{pointer}`, `{field}` and `{detail}`.
 */
import { ApiError } from '../errors.ts'
import type { Context } from '../core/context.ts'
import { varsOf } from '../core/context.ts'
import type { CheckModel } from '../spec/account-model.ts'
import type { StoredRecord } from '../world/store.ts'
import { dataSchemaAjv, describeAjvError, type ErrorObject } from '../spec/schemas.ts'
import type { ValidateFunction } from 'ajv'

export function runChecks(ctx: Context, record?: StoredRecord): void {
  const checks = ctx.op!.checks
  if (checks.length === 0) return
  const vars = varsOf(ctx, record ? { record: record.data } : {})
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i]!
    if (check.require && !check.require(vars)) throw new ApiError(check.error, { id: record?.id })
    if (check.schema) {
      const failures = schemaFailures(ctx, check, vars)
      if (failures) {
        // (Not the first's `message`: a `message` var would replace the catalogue's own.)
        const { pointer, field, detail } = failures[0]!
        throw new ApiError(check.error, { pointer, field, detail, errors: failures, id: record?.id })
      }
    }
  }
}

interface Failure { pointer: string; field: string; message: string; detail: string }

/** Where `value` breaks the check's schema (none: undefined); a schema from data that is not one fails too. */
function schemaFailures(ctx: Context, check: CheckModel, vars: Record<string, unknown>): Failure[] | undefined {
  const value = check.value!(vars)
  let validate: ValidateFunction
  if ('pointer' in check.schema!) validate = ctx.world.api.registry.compileAt('body', check.schema.pointer)
  else {
    const schema = check.schema!.data(vars)
    // Nothing configured: nothing to match.
    if (schema === undefined || schema === null) return undefined
    const compiled = compileData(schema)
    if (typeof compiled === 'string') return [{ pointer: '', field: '', message: compiled, detail: compiled }]
    validate = compiled
  }
  if (validate(value)) return undefined
  const errors: ErrorObject[] = validate.errors ?? []
  if (errors.length === 0) return [{ pointer: '', field: '', message: 'is invalid', detail: 'value is invalid' }]
  return errors.map((e) => {
    const d = describeAjvError(e)
    return { pointer: d.pointer, field: d.field, message: e.message ?? 'is invalid', detail: d.detail }
  })
}

/** Validators of schemas from data, by their JSON text: the most recent few hundred. */
const cache = new Map<string, ValidateFunction | string>()
const CACHE_SIZE = 256

/** A validator for a schema a world's data holds, or why it is not a schema. */
function compileData(schema: unknown): ValidateFunction | string {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || Array.isArray(schema))) return `the configured schema is not a JSON Schema (got ${Array.isArray(schema) ? 'a list' : typeof schema})`
  const text = JSON.stringify(schema)
  let made = cache.get(text)
  if (made !== undefined) {
    // Most recently used last: the oldest goes first when the cache is full.
    cache.delete(text)
    cache.set(text, made)
    return made
  }
  const ajv = dataSchemaAjv()
  try {
    made = ajv.compile(schema as object)
  } catch (error) {
    made = `the configured schema is not a valid JSON Schema: ${(error as Error).message}`
  }
  // Not kept by Ajv under its `$id`: another user's schema may have the same one.
  try { ajv.removeSchema(schema as object) } catch { /* never added */ }
  cache.set(text, made)
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!)
  return made
}
