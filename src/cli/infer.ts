/**
 * `standin infer <spec>`: what standin made of a spec's REST shape — each resource, the fields its
 * records are found by, the record it lives in, how many records its examples start a world with,
 * and what every operation does to it — so a user can see it, and correct it with an overlay
 * (README: "What standin infers, and how to change it").
 */
import { compileApi, ConfigError, formatProblem, type Api } from '../index.ts'

export interface InferredResource {
  name: string
  schema: string
  inferred: boolean
  key: string[]
  id: { field: string; type: string }
  sequence?: string
  parent?: string
  examples: number
  operations: Array<{ action: string; method: string; path: string; id: string; address?: string }>
}

export interface Inference {
  title: string
  resources: InferredResource[]
  /** Operations on no resource: answered from the spec's examples (or fakes), with no state. */
  stateless: Array<{ method: string; path: string; id: string }>
}

/** What standin inferred from `api`, as data. */
export function describeInference(api: Api): Inference {
  const resources: InferredResource[] = []
  for (const model of api.behaviour.resources.values()) {
    const operations = api.operations.filter((o) => o.resource === model.name).map((o) => ({
      action: o.action, method: o.method, path: o.path, id: o.id,
      ...(o.address ? { address: o.address.steps.map((s) => `{${s.params.join('}/{')}} → ${s.resource ? `${s.resource}.${s.fields.map((f) => f.join('.')).join(' + ')}` : 'scope'}`).join(', ') } : {}),
    }))
    resources.push({
      name: model.name,
      schema: `#${model.schemaPointer}`,
      inferred: model.implicit === true,
      key: (model.key?.fields ?? [[model.idField]]).map((f) => f.join('.')),
      id: { field: model.idField, type: model.idType },
      ...(model.key?.sequence ? { sequence: model.key.sequence } : {}),
      ...(model.parent ? { parent: model.parent.resource } : {}),
      examples: model.examples?.length ?? 0,
      operations,
    })
  }
  const stateless = api.operations.filter((o) => !o.resource || o.action === 'none').map((o) => ({ method: o.method, path: o.path, id: o.id }))
  return { title: String(api.spec.document.info?.title ?? api.spec.file), resources, stateless }
}

/** The inference as text, one block per resource. */
export function formatInference(inference: Inference): string {
  const lines: string[] = []
  const inferred = inference.resources.filter((r) => r.inferred).length
  lines.push(`${inference.title}: ${inference.resources.length} resource(s), ${inferred} inferred from REST shape, ${inference.resources.length - inferred} declared in x-standin`)
  for (const r of inference.resources) {
    lines.push('', `${r.name}  ${r.schema}  (${r.inferred ? 'inferred' : 'declared'})`)
    const numbered = r.sequence ? `, numbered 1, 2, … ${r.sequence === r.id.field ? 'per resource' : `per ${r.parent ?? 'scope'}`}` : ''
    lines.push(`  key: ${r.key.join(' + ')}${numbered}; id: ${r.id.field} (${r.id.type})`)
    lines.push(`  parent: ${r.parent ?? '—'}`)
    if (r.inferred) lines.push(`  examples: ${r.examples === 0 ? 'none: a world starts with no record of it' : `a world starts with ${r.examples} record(s) from the spec's examples`}`)
    const width = Math.max(...r.operations.map((o) => `${o.method} ${o.path}`.length), 0) + 2
    for (const o of r.operations) {
      lines.push(`    ${o.action.padEnd(9)} ${`${o.method} ${o.path}`.padEnd(width)} ${o.id}${o.address ? `  [${o.address}]` : ''}`)
    }
  }
  if (inference.stateless.length > 0) lines.push('', `${inference.stateless.length} operation(s) act on no resource: answered from the spec's examples (fakes where it has none), with no state.`)
  return lines.join('\n')
}

export function runInfer(spec: string, values: { overlay?: string[]; format?: string }): number {
  if (values.format !== undefined && values.format !== 'text' && values.format !== 'json') {
    console.error(`standin infer: --format is text or json, got ${values.format}`)
    return 2
  }
  let api: Api
  try {
    api = compileApi(spec, { overlays: values.overlay })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`standin cannot read ${spec}:`)
    for (const p of error.problems) console.error(`- ${formatProblem(p)}`)
    return 1
  }
  const inference = describeInference(api)
  console.log(values.format === 'json' ? JSON.stringify(inference, null, 2) : formatInference(inference))
  return 0
}
