/**
 * The command line's help, written from the same table parseArgs reads (src/cli/main.ts): an option
 * cannot be accepted without being described, nor described without being accepted.
 */

/** An option as parseArgs reads it, with what `--help` says of it. */
export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** The value's placeholder: `<dir>`, `<percent>`. */
  arg?: string
  /** One line: what the option does, and its default. */
  help: string
  /** The line for a command that reads the option its own way (`strict` for check and for serve). */
  helpFor?: Record<string, string>
}

export interface CommandSpec {
  /** What follows `standin <command>` before the options, one entry per form: `<spec>`. */
  forms: string[]
  /** One line: what the command does. */
  summary: string
  /** Lines after the options: what the options alone do not say. */
  notes?: string[]
  /** Command lines to copy, each a complete use. */
  examples: string[]
  /** Exit codes, one line. */
  exits: string
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'print this help' }

/** The options parseArgs is given for a command: its own, and --help. */
export function parseOptions(options: Record<string, OptionSpec>, allowed: readonly string[]): Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> {
  const parse: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {}
  for (const name of [...allowed, 'help']) {
    const { type, short, multiple } = name === 'help' ? HELP : options[name]!
    parse[name] = { type, ...(short ? { short } : {}), ...(multiple ? { multiple } : {}) }
  }
  return parse
}

/** `standin <command> --help`: usage, every option with its line, notes, examples, exit codes. */
export function commandHelp(name: string, command: CommandSpec, options: Record<string, OptionSpec>, allowed: readonly string[]): string {
  const rows = [...allowed, 'help'].map((option) => {
    const spec = option === 'help' ? HELP : options[option]!
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${option}${spec.arg ? ` ${spec.arg}` : ''}`
    const line = spec.helpFor?.[name] ?? spec.help
    return [flag, spec.multiple ? `${line} (repeatable)` : line] as const
  })
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2
  return [
    `standin ${name} — ${command.summary}`,
    '',
    'Usage:',
    ...command.forms.map((form) => `  standin ${name}${form ? ` ${form}` : ''} [options]`),
    '',
    'Options:',
    ...rows.map(([flag, line]) => `  ${flag.padEnd(width)}${line}`),
    ...(command.notes?.length ? ['', ...command.notes] : []),
    '',
    command.examples.length > 1 ? 'Examples:' : 'Example:',
    ...command.examples.map((example) => `  ${example}`),
    '',
    `Exit codes: ${command.exits}`,
  ].join('\n')
}

/** `standin --help`: every command with its one line, and where to read more. */
export function overview(title: string, commands: Record<string, CommandSpec>, footer: string): string {
  const rows = Object.entries(commands).map(([name, command]) => [`${name} ${command.forms[0]}`.trim(), command.summary] as const)
  const width = Math.max(...rows.map(([use]) => use.length)) + 2
  return [
    title,
    '',
    'Usage: standin <command> [options]',
    '',
    'Commands:',
    ...rows.map(([use, summary]) => `  ${use.padEnd(width)}${summary}`),
    '',
    '  standin <command> --help   a command\'s options, with an example',
    '  standin --version          the version of standin',
    '',
    footer,
  ].join('\n')
}
