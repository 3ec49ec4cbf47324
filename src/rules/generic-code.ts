/**
 * A trigger (`X-Standin-Error: rate_limited`) may name one of standin's generic codes on an API whose
 * catalogue calls that situation something else (`rate_limit_exceeded`). A client team writes the
 * generic name from standin's docs and means "this API's 429": it gets the API's own code for that
 * status — the code the API gives the generic code's role (its not-found, bad-request, auth codes)
 * when that one has the status, else the catalogue's first code of that status. A generic name whose
 * status the API has no code for stays the test's mistake (refused by the caller).
 */
import { BUILTIN_ERRORS } from '../spec/builtin-errors.ts'
import type { BehaviourModel } from '../spec/model.ts'

/** The API's own code standing for a generic one, or undefined when the API has no code of its status. */
export function ownCodeFor(behaviour: BehaviourModel, named: string): string | undefined {
  const builtin = BUILTIN_ERRORS[named]
  if (!builtin) return undefined
  const { errors, auth } = behaviour
  const roles: Record<string, string | undefined> = {
    invalid_request: errors.validation.parameter.code,
    unprocessable_entity: errors.validation.field.code,
    payload_too_large: errors.validation.tooLarge.code,
    unsupported_media_type: errors.validation.contentType.code,
    unauthorized: auth.errors.unknown,
    forbidden: auth.errors.forbidden,
    not_found: errors.notFound,
    method_not_allowed: errors.methodNotAllowed,
    internal_error: errors.internal,
  }
  const role = roles[named]
  if (role !== undefined && errors.catalogue.get(role)?.status === builtin.status) return role
  for (const entry of errors.catalogue.values()) if (entry.status === builtin.status) return entry.code
  return undefined
}
