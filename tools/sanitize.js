'use strict'
// node tools/sanitize.js <asan|tsan> [<tap arguments>]
//   npm run test:sanitize [-- <tap arguments>]   (asan)
//   npm run test:tsan [-- <tap arguments>]       (tsan)
//
// The sanitizer runs. Each mode first makes the plain build (build/, as
// `npm run build` does: below), then builds napi-task, the test addons and
// the examples with its sanitizer into its own directory, proves on a canary that the sanitizer is live in node and
// catches a defect injected into the library, then runs tap with the
// sanitizer runtime preloaded into every node process tap starts. Tests
// load the sanitized addons through NAPI_TASK_TEST_ADDON /
// NAPI_TASK_BUILD_DIR, and NAPI_TASK_SANITIZE names the mode.
// docs/reliability.md explains the setup and every suppression.
//
//   asan  -fsanitize=address,undefined into build-asan/ (canary:
//         build-asan-canary/); gcc's libasan.so and libubsan.so preloaded,
//         LeakSanitizer on (tools/lsan.supp, scoped by tools/lsan-scope.c).
//         Canaries: a clean run, a library leaking one allocation
//         (tools/sanitize-leak.h), a heap overflow, a signed overflow, and
//         tools/lsan-dtls.c. Runs the suite but its three build tests
//         (NOT_UNDER_ASAN), or the given files.
//   tsan  -fsanitize=thread into build-tsan/ (canary: build-tsan-canary/);
//         gcc's libtsan.so preloaded. node itself is not built with TSan,
//         but every pthread mutex, condition variable and thread start
//         goes through TSan's interceptors (so the happens-before edges
//         libuv creates are seen), and napi-task and the test addon are
//         checked access by access. ignore_noninstrumented_modules=1 keeps
//         TSan from checking memory accesses made inside node's own
//         (uninstrumented) code, which uses atomics TSan cannot see and
//         would otherwise produce false reports (docs/reliability.md shows
//         one); tools/tsan.supp. Canaries: a clean run, a library that
//         drops one lock (tools/tsan-race.h). Runs the threading tests
//         (THREADING below) unless test files are given.
//
// Why a staging directory: node-gyp always builds into ./build of the
// directory it runs in. build-asan/ (build-tsan/, and each canary
// directory) holds a copy of the two gyp files and symlinks to src/,
// include/, test/addon*, examples/ and tools/, so gyp's relative paths
// resolve to the real sources while the objects, the Makefiles and the
// .node files land in build-asan/build/. The normal build/ is never
// cleaned or raced with.
//
// Why the plain build too: test files load the examples (and some the
// test addon) from build/Release whatever the mode (legacy, examples,
// control-examples, cpp and the in-worker shards), so on a fresh clone,
// right after `npm install`, a run that only built build-asan/ found them
// missing; only `npm test`'s pretest had made them. It is incremental:
// when build/ is current, make does nothing (under a second).
//
// Options (environment):
//   NAPI_TASK_SANITIZE_SKIP_CANARY=1   asan: skip the canaries (quick local reruns)
//   NAPI_TASK_SANITIZE_TIMEOUT=<s>     asan: tap timeout per test file (default 600)
//   NAPI_TASK_TSAN_SKIP_CANARY=1       tsan: skip the canary
//   NAPI_TASK_TSAN_TIMEOUT=<s>         tsan: tap timeout per test file (default 900)
//   NAPI_TASK_PLAN=1                   build and run nothing: print one line,
//       PLAN {"builds": [...], "files": [...]}, the directories the run
//       would build, in order, and the test files it would run
//       (test/package.test.js checks each script's on it; tools/faults.js too)
//
// tools/faults.js builds its own fault-injection library (build-faults/)
// with this file's ASan flags and runs it in this file's ASan environment.
const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const root = path.resolve(__dirname, '..')
// Only the test addons' sources are linked, never test/ itself: tap's
// default include (**/test/**) would otherwise find the suite a second
// time through the link and run it from the staging directory.
const LINKED = ['src', 'include', 'test/addon', 'test/addon_cpp', 'examples', 'tools']

// A tool's log lines, and how it stops: `<name>: message` on stderr.
// name() is read at each line (this file's is the mode's: main sets it).
function logger (name) {
  const log = msg => console.error(`${name()}: ${msg}`)
  const die = msg => {
    log(msg)
    process.exit(1)
  }
  return { log, die }
}

let logName = 'sanitize'
const { log, die } = logger(() => logName)

// NAPI_TASK_PLAN=1: each build is a step, named by the directory it
// writes (relative to the repository); the steps are recorded, not run.
const PLAN = process.env.NAPI_TASK_PLAN === '1' ? { builds: [] } : null

function step (built, fn) {
  if (PLAN) {
    PLAN.builds.push(built)
    return null
  }
  return fn()
}

// files: the test files run; sets: the variables naming the run's own
// addons, which the tests load instead of build/Release's.
function printPlan (files, sets) {
  console.log('PLAN ' + JSON.stringify({ builds: PLAN.builds, files, sets }))
}

// The plain build, build/Release, as `npm run build` and npm test's
// pretest make it (see "Why the plain build too" above).
function plainBuild () {
  step('build/Release', () => {
    const t0 = Date.now()
    const r = spawnSync(process.execPath, [path.join(root, 'tools', 'gyp.js'), 'build'],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 })
    if (r.status !== 0) {
      process.stderr.write(r.stderr)
      die('the plain build (node tools/gyp.js build, as npm run build) failed')
    }
    log(`built build/Release (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  })
}

// gcc's own runtime, so the preloaded runtime is the one the code was
// compiled against.
function gccFile (name) {
  const r = spawnSync('gcc', [`-print-file-name=${name}`], { encoding: 'utf8' })
  const file = r.status === 0 ? r.stdout.trim() : ''
  if (!path.isAbsolute(file) || !fs.existsSync(file)) {
    die(`gcc does not know ${name} (got "${file}"): install gcc (Debian: apt-get install gcc)`)
  }
  return fs.realpathSync(file)
}

// The library's sources, as napi_task.gyp lists them.
function librarySources () {
  const gyp = fs.readFileSync(path.join(root, 'napi_task.gyp'), 'utf8')
  return [...gyp.matchAll(/'(src\/[^']+\.c)'/g)].map(m => m[1])
}

// A staging directory: gyp files copied (binding.gyp: the repo's, or the
// given text), source directories symlinked.
function stage (dir, bindingGyp) {
  fs.mkdirSync(path.join(dir, 'test'), { recursive: true })
  for (const d of LINKED) {
    const link = path.join(dir, d)
    let ok = false
    try { ok = fs.readlinkSync(link) === path.join(root, d) } catch {}
    if (!ok) {
      fs.rmSync(link, { recursive: true, force: true })
      fs.symlinkSync(path.join(root, d), link, 'dir')
    }
  }
  fs.copyFileSync(path.join(root, 'napi_task.gyp'), path.join(dir, 'napi_task.gyp'))
  if (bindingGyp) {
    fs.writeFileSync(path.join(dir, 'binding.gyp'), bindingGyp)
  } else {
    fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(dir, 'binding.gyp'))
  }
}

// configure + build with extra flags, for C (CFLAGS) and C++ (CXXFLAGS:
// the C++ test addon and examples). Make re-checks every object against
// its recorded command line, so a change of flags rebuilds what it must.
function build (dir, { cflags, ldflags }) {
  const env = {
    ...process.env,
    CFLAGS: cflags.join(' '),
    CXXFLAGS: cflags.join(' '),
    LDFLAGS: ldflags.join(' ')
  }
  for (const step of ['configure', 'build']) {
    const r = spawnSync(process.execPath, [path.join(root, 'tools', 'gyp.js'), step],
      { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    if (r.status !== 0) {
      process.stderr.write(r.stderr)
      die(`node-gyp ${step} failed in ${path.relative(root, dir)}`)
    }
  }
  return path.join(dir, 'build', 'Release')
}

// The canary's gyp file: `canary` links the library as built for the
// suite; `canary_bad` links a copy of the library compiled with `-include
// <badHeader>`, which injects one defect (tools/sanitize-leak.h,
// tools/tsan-race.h).
function canaryGyp (badHeader) {
  const q = s => `'${s}'`
  return `# Written by tools/sanitize.js: the sanitizer canary.
{
  'target_defaults': {
    'cflags_c': ['-std=c11'],
    'include_dirs': ['include'],
  },
  'targets': [
    {
      'target_name': 'canary',
      'sources': ['tools/sanitize-canary.c'],
      'dependencies': ['napi_task.gyp:napi_task'],
    },
    {
      'target_name': 'napi_task_bad',
      'type': 'static_library',
      'sources': [${librarySources().map(q).join(', ')}],
      'cflags_c': ['-fvisibility=hidden', '-include', ${q(badHeader)}],
    },
    {
      'target_name': 'canary_bad',
      'sources': ['tools/sanitize-canary.c'],
      'dependencies': ['napi_task_bad'],
    },
  ],
}
`
}

// Runs `node -e script` with env; returns { status, signal, stderr }.
function node (script, args, env) {
  return spawnSync(process.execPath, ['-e', script, ...args],
    { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120000 })
}

// Each check: the run must end as expected, with the expected report.
function expect (label, r, { fails, report }) {
  const failed = r.status !== 0 || r.signal !== null
  const matched = report ? report.every(re => re.test(r.stderr)) : true
  const clean = !/(ERROR|WARNING): (Address|Leak|Thread|UndefinedBehavior)Sanitizer|runtime error:/.test(r.stderr)
  const ok = fails ? failed && matched : !failed && clean
  if (!ok) {
    process.stderr.write(r.stderr.slice(-6000))
    die(`canary "${label}": expected ${fails ? 'a sanitizer failure' : 'a clean run'}, ` +
      `got exit ${r.status}${r.signal ? ' ' + r.signal : ''}` +
      (fails && !matched ? ` without the expected report (${report.join(', ')})` : ''))
  }
  log(`canary ok: ${label}`)
}

// tools/lsan-dtls.c, built as its module and its program in dir; runs
// the program with env (and the leak check on, whatever the scope), and
// once more without intercept_tls_get_addr=0 to say whether this
// toolchain has the bug the option avoids.
function dtlsCanary (dir, env) {
  const src = path.join(root, 'tools', 'lsan-dtls.c')
  const so = path.join(dir, 'lsan-dtls.so')
  const exe = path.join(dir, 'lsan-dtls')
  for (const args of [['-shared', '-fPIC', '-DLSAN_DTLS_MODULE', '-o', so, src],
    ['-fsanitize=address', '-g', '-O1', '-o', exe, src, '-ldl', '-lpthread']]) {
    const r = spawnSync('gcc', args, { encoding: 'utf8' })
    if (r.status !== 0) {
      process.stderr.write(r.stderr)
      die('could not build tools/lsan-dtls.c')
    }
  }
  const run = e => spawnSync(exe, [so], {
    env: { ...e, NAPI_TASK_LSAN_SCOPE: '' }, encoding: 'utf8', timeout: 60000
  })
  expect('dynamic TLS of live threads does not crash the leak check', run(env), { fails: false })
  const without = run({
    ...env,
    ASAN_OPTIONS: env.ASAN_OPTIONS.split(':').filter(o => !o.startsWith('intercept_tls_get_addr=')).join(':')
  })
  log(without.status === 0
    ? 'this toolchain\'s leak check also survives without intercept_tls_get_addr=0'
    : `without intercept_tls_get_addr=0 the leak check fails here (exit ${without.status}: ` +
      `${(without.stderr.match(/Tracer caught signal \d+|LeakSanitizer has encountered a fatal error/) || ['no report'])[0]})`)
}

// tools/lsan-scope.c as a shared object: leak checks only in processes
// that loaded something built here (see the file for why).
function lsanScope (dir) {
  const so = path.join(dir, 'lsan-scope.so')
  const r = spawnSync('gcc', ['-shared', '-fPIC', '-O1', '-o', so,
    path.join(root, 'tools', 'lsan-scope.c')], { encoding: 'utf8' })
  if (r.status !== 0) {
    process.stderr.write(r.stderr)
    die('could not build tools/lsan-scope.c')
  }
  return so
}


// --- asan: ASan + UBSan + LeakSanitizer ---

const ASAN = ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined',
  '-fno-omit-frame-pointer', '-g', '-O1']

function asanEnv (extra = {}) {
  const dir = path.join(root, 'build-asan')
  fs.mkdirSync(dir, { recursive: true })
  const preload = [gccFile('libasan.so'), gccFile('libubsan.so'), lsanScope(dir)]
  return {
    // libasan must come first in the initial library list.
    ...preloaded(preload),
    ASAN_OPTIONS: [
      'halt_on_error=1',
      'detect_leaks=1',
      'allocator_may_return_null=0',
      // Keep node's own SIGSEGV handling (V8's wasm trap handler) working.
      'allow_user_segv_handler=1',
      // gcc <= 13's __tls_get_addr interceptor misreads some dynamic TLS
      // blocks (our addons' thread-locals) and LeakSanitizer's tracer then
      // crashes at exit: tools/lsan-dtls.c, checked below.
      'intercept_tls_get_addr=0'
    ].join(':'),
    LSAN_OPTIONS: [
      `suppressions=${path.join(root, 'tools', 'lsan.supp')}`,
      'print_suppressions=0'
    ].join(':'),
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    // Where the sanitized modules are (not the shim itself, which sits in
    // build-asan/ and is loaded everywhere).
    NAPI_TASK_LSAN_SCOPE: [path.join(dir, 'build') + path.sep,
      path.join(root, 'build-asan-canary', 'build') + path.sep].join(':'),
    NAPI_TASK_SANITIZE: 'asan',
    ...extra
  }
}

function asanCanaries (crel, env, cdir) {
  const good = path.join(crel, 'canary.node')
  const bad = path.join(crel, 'canary_bad.node')
  const run = 'require(process.argv[1]).run(200, () => {})'
  expect('the library is clean under ASan+UBSan+LSan', node(run, [good], env), { fails: false })
  expect('a library that leaks one allocation fails the run', node(run, [bad], env), {
    fails: true,
    report: [/ERROR: LeakSanitizer: detected memory leaks/, /src\/task\.c/]
  })
  expect('a heap overflow fails the run', node('require(process.argv[1]).heapOverflow()', [good], env), {
    fails: true,
    report: [/ERROR: AddressSanitizer: heap-buffer-overflow/]
  })
  expect('undefined behaviour fails the run', node('require(process.argv[1]).intOverflow(1)', [good], env), {
    fails: true,
    report: [/runtime error: signed integer overflow/]
  })
  dtlsCanary(cdir, env)
}

// --- tsan: ThreadSanitizer ---

const TSAN = ['-fsanitize=thread', '-fno-omit-frame-pointer', '-g', '-O1']

// The tests that exercise more than one thread: workers, teardown, call_js,
// progress, signals, queues, the threadpool hand-off, and the C++ wrapper
// over all of these. The others (docs, package layout, consumer build) have
// no threads of the library in them.
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
  'test/badinput.test.js',
  'test/linger.test.js',
  'test/cpp.test.js'
]

function tsanEnv (extra = {}) {
  return {
    ...preloaded([gccFile('libtsan.so')]),
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

function tsanCanaries (crel, env) {
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

// --- the run ---

// The suite under ASan is every test file but these three: they build
// packages of their own with npm, node-gyp, cmake and gcc, plain (not
// instrumented), so under the ASan preload they test nothing more and
// only run every compiler slower (examples-copy took 560 s of its 600 s
// under ASan on a loaded machine). npm test runs them.
const NOT_UNDER_ASAN = ['test/cmake.test.js', 'test/consumer.test.js', 'test/examples-copy.test.js']

function suiteBut (skip) {
  return fs.readdirSync(path.join(root, 'test'))
    .filter(f => f.endsWith('.test.js'))
    .map(f => `test/${f}`)
    .filter(f => !skip.includes(f))
    .sort()
}

const MODES = {
  asan: {
    log: 'sanitize',
    name: 'ASan + UBSan + LeakSanitizer',
    dir: 'build-asan',
    cflags: ASAN,
    ldflags: ['-fsanitize=address,undefined'],
    env: asanEnv,
    badHeader: 'sanitize-leak.h',
    canaries: asanCanaries,
    skipCanary: 'NAPI_TASK_SANITIZE_SKIP_CANARY',
    timeout: ['NAPI_TASK_SANITIZE_TIMEOUT', '600'],
    files: suiteBut(NOT_UNDER_ASAN)
  },
  tsan: {
    log: 'tsan',
    name: 'ThreadSanitizer',
    dir: 'build-tsan',
    cflags: TSAN,
    ldflags: ['-fsanitize=thread'],
    env: tsanEnv,
    badHeader: 'tsan-race.h',
    canaries: tsanCanaries,
    skipCanary: 'NAPI_TASK_TSAN_SKIP_CANARY',
    timeout: ['NAPI_TASK_TSAN_TIMEOUT', '900'],
    files: THREADING
  }
}

// process.env with `libs` first in LD_PRELOAD (the sanitizer runtime must
// be the first library loaded), anything preloaded already after them.
function preloaded (libs) {
  return {
    ...process.env,
    LD_PRELOAD: libs.concat(process.env.LD_PRELOAD ? [process.env.LD_PRELOAD] : []).join(':')
  }
}

function main (modeName, args) {
  const mode = MODES[modeName]
  if (!mode) {
    die(`usage: node tools/sanitize.js <${Object.keys(MODES).join('|')}> [<tap arguments>]` +
      ` (npm run test:sanitize, npm run test:tsan)`)
  }
  logName = mode.log
  if (process.platform !== 'linux') die(`the ${mode.name} run needs Linux and gcc`)
  const t0 = Date.now()
  plainBuild()
  const flags = { cflags: mode.cflags, ldflags: mode.ldflags }
  const dir = path.join(root, mode.dir)
  const release = step(`${mode.dir}/build/Release`, () => {
    const t1 = Date.now()
    stage(dir)
    const release = build(dir, flags)
    log(`built ${path.relative(root, release)} (${((Date.now() - t1) / 1000).toFixed(1)} s)`)
    return release
  })
  const addons = release => ({
    NAPI_TASK_TEST_ADDON: path.join(release, 'test_addon.node'),
    NAPI_TASK_BUILD_DIR: release
  })
  const env = PLAN ? null : mode.env(addons(release))

  if (!process.env[mode.skipCanary]) {
    const cdir = path.join(root, `${mode.dir}-canary`)
    step(`${mode.dir}-canary/build/Release`, () => {
      stage(cdir, canaryGyp(path.join(root, 'tools', mode.badHeader)))
      mode.canaries(build(cdir, flags), env, cdir)
    })
  }

  // The mode's own list of files, unless files are given.
  const files = !mode.files || args.some(a => !a.startsWith('-'))
    ? []
    : mode.files.filter(f => fs.existsSync(path.join(root, f)))
  if (PLAN) {
    printPlan(files.length ? files : args.filter(a => !a.startsWith('-')), Object.keys(addons('')))
    return
  }
  const tapPkg = require.resolve('tap/package.json')
  const tap = path.join(path.dirname(tapPkg), require(tapPkg).bin.tap)
  const timeout = process.env[mode.timeout[0]] || mode.timeout[1]
  log(`tap ${[...args, ...files].join(' ') || '(whole suite)'} with ${env.LD_PRELOAD}`)
  // Coverage is the normal run's gate (npm test); here it would only make
  // a run of a few files fail for having generated none.
  const r = spawnSync(process.execPath, [tap, `--timeout=${timeout}`, '--disable-coverage', ...args, ...files],
    { cwd: root, env, stdio: 'inherit' })
  if (r.status !== 0) die(`tap failed (exit ${r.status}${r.signal ? ', ' + r.signal : ''})`)
  log(`clean (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
}

module.exports = { ASAN, asanEnv, gccFile, librarySources, logger, MODES, PLAN, printPlan, stage, step }

if (require.main === module) main(process.argv[2], process.argv.slice(3))
