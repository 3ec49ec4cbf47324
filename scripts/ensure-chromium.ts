/**
 * Before `npm test` (pretest): the dashboard's browser tests drive the system's Chromium
 * (playwright-core downloads none). Where it is missing and this user may install packages — root,
 * or sudo without a password — it is installed from the system's packages (Debian's `chromium`), so
 * the README's two commands are enough on a fresh machine. Otherwise it says how, and the browser
 * tests fail with the same one line. STANDIN_CHROMIUM names another executable (nothing is installed).
 */
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

const executable = process.env.STANDIN_CHROMIUM ?? '/usr/bin/chromium'
if (!existsSync(executable) && process.env.STANDIN_CHROMIUM === undefined) install()

function install(): void {
  const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
  const root = process.getuid?.() === 0
  const sudo = !root && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0
  if (!has('apt-get') || (!root && !sudo)) {
    console.error(`pretest: Chromium is not at ${executable}, and it cannot be installed here without asking: install it (sudo apt-get install -y chromium) or set STANDIN_CHROMIUM; the dashboard's browser tests need it`)
    return
  }
  console.error('pretest: installing Chromium (apt-get install chromium) for the dashboard\'s browser tests…')
  const run = (args: string[]) => spawnSync(root ? args[0]! : 'sudo', root ? args.slice(1) : ['-n', ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 }).status === 0
  const ok = run(['apt-get', 'update', '-qq']) && run(['apt-get', 'install', '-y', '-qq', 'chromium'])
  console.error(ok && existsSync(executable) ? `pretest: Chromium installed at ${executable}` : 'pretest: Chromium could not be installed; the dashboard\'s browser tests will fail')
}
