'use strict'
// node tools/other-runtimes.js [bun|deno ...]: the examples and the
// runtime-independent test files under Bun and Deno, with the addons that
// `npm test` built (Node-API addons are the same binary everywhere). The
// runtimes come from the npm registry (tools/runtimes.js). Test files get
// tap's API from test/fixtures/mini-tap.js there; whatever a runtime does
// otherwise is skipped by name in the test itself (test/fixtures/runtime.js)
// and written in docs/setup.md. Exits non-zero if anything fails.
const { spawnSync } = require('child_process')
const os = require('os')
const path = require('path')
const { ensure } = require('./runtimes')

const root = path.join(__dirname, '..')

// Test files about the library's behaviour in an env. Not here, and why:
// the files that build or compile (consumer, cmake, header, types, package,
// docs) test the build on Node; in-worker reruns the suite in workers
// through tap; soak, exit, badinput, control-examples and the legacy
// deprecation checks drive `node` child processes with Node's flags.
const FILES = ['core', 'signal', 'progress', 'queue', 'calljs', 'control',
  'worker', 'fairness', 'examples', 'torture']

// Whole files a runtime cannot run, with the reason (printed as a skip).
const NOT_ON = {
  deno: {
    // Every case of it terminates a worker whose JS is running or stuck.
    torture: 'terminating a worker whose JS is running runs no cleanup hook (docs/setup.md): its teardown cases cannot hold there'
  }
}

// Each example as a user runs it, and what it must print (as on Node).
const EXAMPLES = [
  ['add_one', [], 'callback: 41 + 1 = 42\npromise: 1.5 + 1 = 2.5\n'],
  ['ask_js', [], null],
  ['legacy_task', [], null],
  ['primes', ['2000000'], '148933 primes below 2000000\n'],
  ['hash_file', [path.join(root, 'package.json')], null],
  ['cpp_plain', [], null],
  ['cpp_naa', [], null]
]

// Bun's threadpool has one thread per CPU, whatever UV_THREADPOOL_SIZE
// says; napi-task sizes itself (and the tests size their gates) by
// UV_THREADPOOL_SIZE, so under Bun that is set to the CPU count.
const RUNTIMES = {
  bun: { exe: dir => path.join(dir, 'bun'), args: [], env: { UV_THREADPOOL_SIZE: String(os.availableParallelism()) } },
  // CommonJS files need --unstable-detect-cjs; -A grants what Node grants.
  deno: { exe: dir => path.join(dir, 'deno'), args: ['run', '-A', '--unstable-detect-cjs'], env: {} }
}

function run (exe, args, timeout, env = {}) {
  const t0 = Date.now()
  const r = spawnSync(exe, args, {
    cwd: root,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', ...env },
    maxBuffer: 64 << 20
  })
  return { ...r, ms: Date.now() - t0 }
}

function main () {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(RUNTIMES)
  let failures = 0
  let passes = 0
  // What node prints for each example, once for every runtime.
  const wanted = EXAMPLES.map(([ex, args, expected]) => expected !== null
    ? expected
    : run(process.execPath, [path.join(root, 'examples', ex), ...args], 120000).stdout)
  for (const name of names) {
    const rt = RUNTIMES[name]
    const exe = rt.exe(ensure(name))
    const version = run(exe, ['--version'], 30000).stdout.trim().split('\n')[0]
    console.log(`# ${name}: ${version}`)
    for (const [i, [ex, args]] of EXAMPLES.entries()) {
      const want = wanted[i]
      const r = run(exe, [...rt.args, path.join(root, 'examples', ex, 'index.js'), ...args], 120000, rt.env)
      const ok = r.status === 0 && r.stdout === want
      if (ok) passes++; else failures++
      console.log(`${ok ? 'ok' : 'not ok'} - ${name} examples/${ex} prints what node prints (${r.ms} ms)`)
      if (!ok) console.log(`# exit ${r.status} ${r.signal || ''}\n# stdout: ${JSON.stringify(r.stdout)}\n# wanted: ${JSON.stringify(want)}\n# stderr: ${r.stderr.slice(-2000)}`)
    }
    for (const file of FILES) {
      const why = (NOT_ON[name] || {})[file]
      if (why) {
        console.log(`ok - ${name} test/${file}.test.js # SKIP ${name}: ${why}`)
        continue
      }
      const r = run(exe, [...rt.args, path.join(root, 'test', `${file}.test.js`)], 300000, rt.env)
      const summary = /# (\d+) passed, (\d+) failed/.exec(r.stdout)
      const skips = (r.stdout.match(/# SKIP .*/g) || [])
      const ok = r.status === 0 && summary && summary[2] === '0'
      if (ok) passes++; else failures++
      console.log(`${ok ? 'ok' : 'not ok'} - ${name} test/${file}.test.js: ` +
        `${summary ? `${summary[1]} passed, ${summary[2]} failed` : 'no summary'}, ` +
        `${skips.length} skipped by name (${r.ms} ms)`)
      for (const s of skips) console.log(`#   ${s}`)
      if (!ok) {
        const lines = r.stdout.split('\n')
        const bad = lines.map((l, i) => /^\s*not ok/.test(l) ? lines.slice(i, i + 8).join('\n') : null).filter(Boolean)
        console.log(`# exit ${r.status} ${r.signal || ''}\n${bad.slice(0, 10).join('\n')}\n# stderr: ${(r.stderr || '').slice(-3000)}`)
      }
    }
  }
  console.log(`other runtimes: ${passes} passed, ${failures} failed`)
  process.exit(failures ? 1 : 0)
}

main()
