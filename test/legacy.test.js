'use strict'
// The deprecated API: the old Task style (napi_task_schedule_legacy) and
// the napi_create_async_work adapter. Old-style tasks must behave exactly
// like builder tasks: each scenario runs through both APIs and the outcome
// and the drop accounting are compared, and checked against exact values.
// Then: the adapter, teardown, the deprecation macros, and the example.
const t = require('./fixtures/tap')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync, execFileSync } = require('child_process')

const root = path.join(__dirname, '..')
const addonPath = process.env.NAPI_TASK_TEST_ADDON ||
  path.join(root, 'build', 'Release', 'test_addon.node')
const { legacy, common } = require(addonPath)
const { modes } = legacy

// napi_status values (js_native_api_types.h).
const napi = { ok: 0, invalid_arg: 1, function_expected: 5 }

const tick = () => new Promise(resolve => setImmediate(resolve))

// What a test compares of an error: everything a caller can see.
const shape = (e) => e === null
  ? null
  : {
      ctor: e.constructor.name,
      name: e.name,
      message: e.message,
      code: e.code,
      keys: Object.keys(e)
    }

// Runs fn(n, mode, cb); resolves with the outcome and the status returned.
const run = (fn, n, mode) => new Promise(resolve => {
  let sync = true
  const status = fn(n, mode, (err, value, ...rest) => {
    resolve({ err: shape(err), value, extra: rest.length, sync, status })
  })
  sync = false
})

// The change in the accounting counters across `body`, which must leave
// everything balanced: created == consumed + dropped, nothing twice.
const delta = async (t, body) => {
  const before = common.counts()
  const result = await body()
  await tick()
  const after = common.counts()
  const d = {
    created: after.created - before.created,
    consumed: after.consumed - before.consumed,
    dropped: after.dropped - before.dropped,
    twice: after.twice - before.twice
  }
  t.equal(d.twice, 0, 'nothing consumed or dropped twice')
  t.equal(d.created, d.consumed + d.dropped, 'balanced')
  return { result, counts: d }
}

const errorShape = (message, code) =>
  ({ ctor: 'Error', name: 'Error', message, code, keys: ['code'] })

const scenarios = [
  {
    name: 'success',
    mode: modes.ok,
    n: 41,
    outcome: { err: null, value: 42 },
    counts: { created: 2, consumed: 2, dropped: 0, twice: 0 }
  },
  {
    name: 'error',
    mode: modes.error,
    n: 7,
    outcome: { err: errorShape('failed on 7', 'ELEGACY'), value: undefined },
    counts: { created: 2, consumed: 2, dropped: 0, twice: 0 }
  },
  {
    name: 'complete throwing',
    mode: modes.throw,
    n: 1,
    outcome: { err: errorShape('complete threw', 'ETHROWN'), value: undefined },
    counts: { created: 2, consumed: 2, dropped: 0, twice: 0 }
  },
  {
    name: 'no output and no error',
    mode: modes.neither,
    n: 5,
    outcome: { err: null, value: null },
    counts: { created: 1, consumed: 1, dropped: 0, twice: 0 }
  }
]

for (const s of scenarios) {
  t.test(`legacy_${s.name.replace(/ /g, '_')}: same as the builder`, async t => {
    const stats = legacy.stats()
    const old = await delta(t, () => run(legacy.calc, s.n, s.mode))
    const builder = await delta(t, () => run(legacy.calcBuilder, s.n, s.mode))
    const expected = { ...s.outcome, extra: 0, sync: false, status: napi.ok }
    t.same(old.result, expected, 'old style: exact outcome')
    t.same(builder.result, expected, 'builder: exact outcome')
    t.same(old.result, builder.result, 'the two APIs agree')
    t.same(old.counts, s.counts, 'old style: exact accounting')
    t.same(builder.counts, s.counts, 'builder: exact accounting')
    t.equal(legacy.stats().legacyCompletes, stats.legacyCompletes + 1,
      'complete ran once')
  })
}

t.test('legacy_both_set: the error wins, the output is dropped once', async t => {
  const before = legacy.stats()
  const { result, counts } = await delta(t, () => run(legacy.calc, 3, modes.both))
  t.same(result, {
    err: errorShape('failed on 3', 'ELEGACY'),
    value: undefined,
    extra: 0,
    sync: false,
    status: napi.ok
  })
  t.same(counts, { created: 3, consumed: 2, dropped: 1, twice: 0 })
  t.equal(legacy.stats().bothSeen, before.bothSeen, 'complete never got both')
})

t.test('legacy_bad_callback: TypeError from the builder, self dropped once', async t => {
  for (const [label, fn] of [['old style', legacy.calc], ['builder', legacy.calcBuilder]]) {
    for (const bad of [42, 'cb', {}, null]) {
      const { counts } = await delta(t, () => {
        t.throws(() => fn(1, modes.ok, bad), {
          name: 'TypeError',
          code: 'ERR_INVALID_ARG_TYPE'
        }, `${label}: ${String(bad)}`)
        t.equal(legacy.lastStatus(), napi.function_expected)
      })
      t.same(counts, { created: 1, consumed: 0, dropped: 1, twice: 0 },
        `${label}: self dropped once`)
    }
  }
  t.equal(legacy.stats().bothSeen, 0)
})

t.test('legacy_null_args: statuses, drops once, never drops NULL', async t => {
  const cb = () => { throw new Error('must not run') }
  const { result, counts } = await delta(t, () => legacy.nullArgs(cb))
  t.same(result, {
    legacyNullEnv: napi.invalid_arg,
    legacyNullClass: napi.invalid_arg,
    legacyNullPerform: napi.invalid_arg,
    legacyNullComplete: napi.invalid_arg,
    legacyNullCallback: napi.invalid_arg,
    legacyNullSelf: napi.invalid_arg,
    adapterNullEnv: napi.invalid_arg,
    adapterResultReset: true,
    adapterNullExecute: napi.invalid_arg,
    adapterNullComplete: napi.invalid_arg,
    adapterNullResult: napi.invalid_arg,
    adapterNullData: napi.invalid_arg,
    valueNullComplete: napi.invalid_arg,
    valueNullEnv: napi.invalid_arg
  })
  // Five legacy selves dropped, one kept by the caller (NULL class) and
  // consumed by it; six adapter data dropped, one of them by discard.
  t.same(counts, { created: 12, consumed: 1, dropped: 11, twice: 0 })
})

// ---- the napi_create_async_work adapter ----

const cbOutcome = (fn, ...args) => new Promise(resolve => {
  fn(...args, (err, value) => resolve({ err: shape(err), value }))
})

t.test('legacy_async_work: raw callbacks unchanged, value undefined, status napi_ok', async t => {
  const before = legacy.stats()
  const { result, counts } = await delta(t, async () => [
    await cbOutcome(legacy.asyncWork, 1, modes.ok, undefined),
    await legacy.asyncWork(2, modes.ok, undefined, undefined)
  ])
  t.same(result, [{ err: null, value: undefined }, undefined])
  t.same(counts, { created: 2, consumed: 2, dropped: 0, twice: 0 })
  const after = legacy.stats()
  t.equal(after.rawCompletes, before.rawCompletes + 2)
  t.equal(after.rawStatus, napi.ok)
})

t.test('legacy_async_work: an exception from complete is the task error', async t => {
  const { result, counts } = await delta(t, async () => {
    const viaCb = await cbOutcome(legacy.asyncWork, 1, modes.throw, undefined)
    const viaPromise = await legacy.asyncWork(1, modes.throw, undefined, undefined)
      .then(() => null, shape)
    return { viaCb, viaPromise }
  })
  t.same(result, {
    viaCb: { err: errorShape('complete threw', 'ETHROWN'), value: undefined },
    viaPromise: errorShape('complete threw', 'ETHROWN')
  })
  t.same(counts, { created: 2, consumed: 2, dropped: 0, twice: 0 })
})

t.test('legacy_async_work_value: complete returns the value; promise and callback', async t => {
  const before = legacy.stats()
  const { result, counts } = await delta(t, async () => [
    await legacy.asyncWorkValue(41, modes.ok, undefined, undefined),
    await cbOutcome(legacy.asyncWorkValue, 1.5, modes.ok, undefined),
    await legacy.asyncWorkValue(0, modes.throw, undefined, undefined)
      .then(() => null, shape)
  ])
  t.same(result, [
    42,
    { err: null, value: 2.5 },
    errorShape('complete threw', 'ETHROWN')
  ])
  t.same(counts, { created: 3, consumed: 3, dropped: 0, twice: 0 })
  const after = legacy.stats()
  t.equal(after.rawCompletes, before.rawCompletes + 3)
  t.equal(after.rawStatus, napi.ok)
})

const abortShape = (reason) => ({
  name: 'AbortError',
  code: 'ABORT_ERR',
  cause: reason
})

t.test('legacy_async_work_abort_before: AbortError, complete never runs, data dropped', async t => {
  const before = legacy.stats()
  const reason = new Error('stop')
  const { result, counts } = await delta(t, async () => {
    const signal = AbortSignal.abort(reason)
    const rejected = legacy.asyncWorkValue(1, modes.ok, signal, undefined)
      .then(() => null, e => e)
    const viaCb = await new Promise(resolve =>
      legacy.asyncWork(1, modes.ok, signal, (err, value) => resolve({ err, value })))
    return { rejected: await rejected, viaCb }
  })
  t.match(result.rejected, abortShape(reason))
  t.equal(result.rejected.cause, reason)
  t.match(result.viaCb.err, abortShape(reason))
  t.equal(result.viaCb.value, undefined)
  t.same(counts, { created: 2, consumed: 0, dropped: 2, twice: 0 })
  t.equal(legacy.stats().rawCompletes, before.rawCompletes)
})

t.test('legacy_async_work_abort_running: execute finishes, complete never runs', async t => {
  const before = legacy.stats()
  const { result, counts } = await delta(t, async () => {
    const ac = new AbortController()
    const p = legacy.asyncWorkValue(1, modes.gateOk, ac.signal, undefined)
      .then(() => null, e => e)
    while (legacy.stats().gateWaiting !== 1) await tick()
    ac.abort()
    legacy.openGate(1)
    return p
  })
  t.match(result, { name: 'AbortError', code: 'ABORT_ERR' })
  t.same(counts, { created: 1, consumed: 0, dropped: 1, twice: 0 })
  t.equal(legacy.stats().rawCompletes, before.rawCompletes)
  t.equal(legacy.stats().gateWaiting, 0)
})

t.test('legacy_async_work_bad_signal: TypeError, data dropped once', async t => {
  const { counts } = await delta(t, () => {
    t.throws(() => legacy.asyncWork(1, modes.ok, {}, () => {}), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE'
    })
  })
  t.same(counts, { created: 1, consumed: 0, dropped: 1, twice: 0 })
})

t.test('legacy_async_work_bad_callback: TypeError, data dropped once', async t => {
  const { counts } = await delta(t, () => {
    t.throws(() => legacy.asyncWork(1, modes.ok, undefined, 'nope'), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE'
    })
  })
  t.same(counts, { created: 1, consumed: 0, dropped: 1, twice: 0 })
})

// ---- teardown ----

t.test('legacy_teardown: worker terminated, everything dropped once, no complete', async t => {
  const out = execFileSync(process.execPath,
    [path.join(__dirname, 'fixtures', 'legacy', 'teardown.js'), addonPath],
    { env: { ...process.env, UV_THREADPOOL_SIZE: '4' }, encoding: 'utf8' })
  const { counts, stats } = JSON.parse(out)
  // Running when terminated: old style gateOk (self + output) and
  // gateError (self + error), adapter (data). Never started: two old-style
  // selves, one builder datum, one adapter datum.
  t.same(counts, { created: 9, consumed: 0, dropped: 9, twice: 0 })
  t.same(stats, {
    legacyCompletes: 0,
    bothSeen: 0,
    rawCompletes: 0,
    rawStatus: 0,
    watching: 0,
    gateWaiting: 0
  })
})

// ---- the deprecation macros ----

const tryCompiler = (names) => {
  for (const name of names) {
    if (!name) continue
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' })
    if (!r.error && r.status === 0) return name
  }
  return null
}

const nodeInclude = path.join(path.dirname(process.execPath), '..', 'include', 'node')
const probe = path.join(__dirname, 'fixtures', 'legacy', 'probe.c')
const deprecated = ['napi_task_schedule_legacy', 'napi_task_build_async_work',
  'napi_task_build_async_work_value']

const compile = (cc, lang, defines) => spawnSync(cc, [
  ...(lang === 'c'
    ? ['-x', 'c', '-std=c11', '-Werror=implicit-function-declaration']
    // The output constructors' `= {0}` trip g++'s
    // -Wmissing-field-initializers (a core header matter, not legacy's).
    : ['-x', 'c++', '-std=c++17', '-Wno-missing-field-initializers']),
  '-Wall', '-Wextra', '-fsyntax-only',
  '-I', path.join(root, 'include'), '-I', nodeInclude,
  ...defines.map(d => '-D' + d), probe
], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } })

// C names the function; C++ names it with its signature.
const warningFor = (fn) => new RegExp(`['\u2018](?:napi_status )?${fn}` +
  `(?:\\([^'\u2019]*\\))?['\u2019] is deprecated: ` +
  'use napi_task_build \\+ napi_task_schedule')

for (const [lang, names] of [
  ['c', [process.env.CC, 'gcc', 'cc', 'clang']],
  ['c++', [process.env.CXX, 'g++', 'c++', 'clang++']]
]) {
  t.test(`legacy_deprecation_${lang}: warns naming the replacement, silenced, removed`, t => {
    const cc = tryCompiler(names)
    if (!cc) {
      t.skip(`no ${lang} compiler found (tried ${names.filter(Boolean).join(', ')})`)
      return t.end()
    }
    if (!fs.existsSync(path.join(nodeInclude, 'node_api.h'))) {
      t.skip(`no Node headers at ${nodeInclude}`)
      return t.end()
    }

    const warned = compile(cc, lang, [])
    t.equal(warned.status, 0, `${cc} compiles the probe: ${warned.stderr}`)
    for (const fn of deprecated) {
      t.match(warned.stderr, warningFor(fn), `${fn}: deprecation warning`)
    }
    t.equal(warned.stderr.match(/is deprecated/g).length, deprecated.length,
      'one warning per call')

    const silenced = compile(cc, lang, ['NAPI_TASK_NO_DEPRECATION_WARNINGS'])
    t.equal(silenced.status, 0)
    t.equal(silenced.stderr, '', 'NAPI_TASK_NO_DEPRECATION_WARNINGS: no warning')

    const removed = compile(cc, lang, ['NAPI_TASK_NO_LEGACY'])
    t.not(removed.status, 0, 'NAPI_TASK_NO_LEGACY: the probe no longer compiles')
    for (const fn of deprecated) {
      // gcc/clang C: "implicit declaration of function 'f'";
      // C++: "'f' was not declared in this scope" / "undeclared identifier".
      t.match(removed.stderr, new RegExp(
        `implicit declaration of function ['\u2018]${fn}['\u2019]|` +
        `['\u2018]${fn}['\u2019] was not declared|` +
        `undeclared identifier ['\u2018]${fn}['\u2019]`),
      `${fn} is undeclared`)
    }
    t.notMatch(removed.stderr, /is deprecated/)
    t.end()
  })
}

// ---- the example ----

t.test('legacy_example: examples/legacy_task, old style and builder print the same', async t => {
  const exampleAddon = path.join(root, 'build', 'Release', 'legacy_task.node')
  if (!fs.existsSync(exampleAddon)) {
    t.fail(`build the examples first: ${exampleAddon} is missing`)
    return
  }
  const out = execFileSync(process.execPath,
    [path.join(root, 'examples', 'legacy_task')], { encoding: 'utf8', cwd: os.tmpdir() })
  t.equal(out, [
    'old style: primes below 100000 = 9592',
    'builder:   primes below 100000 = 9592',
    'old style: ERR_OUT_OF_RANGE: n must be at most 100000000, got 200000000',
    'builder:   ERR_OUT_OF_RANGE: n must be at most 100000000, got 200000000',
    'builder, promise: primes below 1000 = 168',
    'builder, aborted: AbortError ABORT_ERR',
    ''
  ].join('\n'))
})
