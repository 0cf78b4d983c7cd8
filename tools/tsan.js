'use strict'
// npm run test:tsan [-- <tap arguments>]
//
// ThreadSanitizer over the threading tests. node itself is not built with
// TSan, but gcc's libtsan.so can be preloaded into it: every pthread
// mutex, condition variable and thread start goes through TSan's
// interceptors (so the happens-before edges libuv creates are seen), and
// napi-task and the test addon, compiled with -fsanitize=thread, are
// checked access by access. ignore_noninstrumented_modules=1 keeps TSan
// from checking memory accesses made inside node's own (uninstrumented)
// code, which uses atomics TSan cannot see and would otherwise produce
// false reports (docs/reliability.md shows one). A canary proves the setup
// catches a real race in the library before the suite runs.
//
// Builds into build-tsan/ and build-tsan-canary/ (see tools/sanitize.js for
// the staging directories); never touches build/.
//
// Options (environment):
//   NAPI_TASK_TSAN_SKIP_CANARY=1   skip the canary
//   NAPI_TASK_TSAN_TIMEOUT=<s>     tap timeout per test file (default 900)
const { spawnSync } = require('child_process')
const path = require('path')
const { stage, build, canaryGyp, node, expect, gccFile } = require('./sanitize.js')

const root = path.resolve(__dirname, '..')
const log = msg => console.error(`tsan: ${msg}`)
const die = msg => {
  log(msg)
  process.exit(1)
}

// The tests that exercise more than one thread: workers, teardown, call_js,
// progress, signals, queues, the threadpool hand-off. The others (docs,
// package layout, consumer build) have no threads of the library in them.
const THREADING = [
  'test/core.test.js',
  'test/worker.test.js',
  'test/torture.test.js',
  'test/calljs.test.js',
  'test/progress.test.js',
  'test/signal.test.js',
  'test/queue.test.js',
  'test/fairness.test.js',
  'test/exit.test.js',
  'test/badinput.test.js'
]

const TSAN = ['-fsanitize=thread', '-fno-omit-frame-pointer', '-g', '-O1']

function tsanEnv (extra = {}) {
  return {
    ...process.env,
    LD_PRELOAD: [gccFile('libtsan.so')].concat(process.env.LD_PRELOAD ? [process.env.LD_PRELOAD] : []).join(':'),
    TSAN_OPTIONS: [
      // Check only the instrumented code: napi-task and the test addon.
      'ignore_noninstrumented_modules=1',
      // Any report fails the process (and so its test file).
      'exitcode=66',
      'halt_on_error=0',
      'second_deadlock_stack=1',
      // node forks (child_process) from a multi-threaded process; the
      // child execs at once, so TSan's post-fork checks would only be noise.
      'die_after_fork=0',
      `suppressions=${path.join(root, 'tools', 'tsan.supp')}`
    ].join(':'),
    NAPI_TASK_SANITIZE: 'tsan',
    ...extra
  }
}

function main () {
  if (process.platform !== 'linux') die('the TSan run needs Linux and gcc')
  const t0 = Date.now()
  const release = build(stageDir('build-tsan'), { cflags: TSAN, ldflags: ['-fsanitize=thread'] })
  log(`built ${path.relative(root, release)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  const env = tsanEnv({
    NAPI_TASK_TEST_ADDON: path.join(release, 'test_addon.node'),
    NAPI_TASK_BUILD_DIR: release
  })

  if (!process.env.NAPI_TASK_TSAN_SKIP_CANARY) {
    const cdir = path.join(root, 'build-tsan-canary')
    stage(cdir, canaryGyp(path.join(root, 'tools', 'tsan-race.h')))
    const crel = build(cdir, { cflags: TSAN, ldflags: ['-fsanitize=thread'] })
    // Many tasks, each reporting progress while the JS thread takes it.
    const run = 'const c = require(process.argv[1]); let n = 0;' +
      'const go = () => c.run(500, () => { if (++n < 4) go() }); go()'
    expect('the library is race-free under TSan', node(run, [path.join(crel, 'canary.node')], env), { fails: false })
    // TSan reports a race only when the two accesses were not ordered by
    // any synchronisation it saw, and the runner takes the env mutex for
    // other work between progress reports, so a run can end without the
    // unordered pair (seen once, in a CI run on a loaded machine). The canary
    // needs one report to prove TSan is live: up to five runs.
    let bad
    for (let attempt = 1; attempt <= 5; attempt++) {
      bad = node(run, [path.join(crel, 'canary_bad.node')], env)
      if (bad.status !== 0 && /WARNING: ThreadSanitizer: data race/.test(bad.stderr)) break
      log(`canary: run ${attempt} of the lock-dropping library ended without a race report (exit ${bad.status})`)
    }
    expect('a library that drops one lock fails the run', bad, {
      fails: true,
      report: [/WARNING: ThreadSanitizer: data race/, /napi_task_progress/]
    })
  }

  const tapPkg = require.resolve('tap/package.json')
  const tap = path.join(path.dirname(tapPkg), require(tapPkg).bin.tap)
  const args = process.argv.slice(2)
  const files = args.some(a => !a.startsWith('-')) ? [] : THREADING.filter(f => require('fs').existsSync(path.join(root, f)))
  const timeout = process.env.NAPI_TASK_TSAN_TIMEOUT || '900'
  log(`tap ${[...args, ...files].join(' ')}`)
  const r = spawnSync(process.execPath, [tap, `--timeout=${timeout}`, '--disable-coverage', ...args, ...files],
    { cwd: root, env, stdio: 'inherit' })
  if (r.status !== 0) die(`tap failed (exit ${r.status}${r.signal ? ', ' + r.signal : ''})`)
  log(`clean (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
}

function stageDir (name) {
  const dir = path.join(root, name)
  stage(dir)
  return dir
}

if (require.main === module) main()
