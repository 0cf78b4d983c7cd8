'use strict'
// The C++ builder (include/napi_task.hpp), through the C++ test addon
// (test/addon_cpp), built twice: with C++ exceptions and node-addon-api's
// NAPI_CPP_EXCEPTIONS (test_addon_cpp), and with node-gyp's default
// -fno-exceptions and NAPI_DISABLE_CPP_EXCEPTIONS (test_addon_cpp_noexcept).
// Every scenario runs against both; the ones about exceptions need the
// first. Every capture is counted (test/addon_cpp/common.hh): after each
// scenario every capture object was destroyed once and every datum it
// carried was consumed by its call or dropped, once. Then the two examples,
// run as a user runs them, and the header compiled warning-free by g++ and
// clang++, with and without exceptions.
const t = require('./fixtures/tap')
const bare = require('./fixtures/bare')
const aliveAfterGc = require('./fixtures/alive')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { Worker, isMainThread } = require('worker_threads')
const { execFile, execFileSync, spawnSync } = require('child_process')
const { promisify } = require('util')

const root = path.join(__dirname, '..')
const buildDir = process.env.NAPI_TASK_BUILD_DIR || path.join(root, 'build', 'Release')
// tools/naa-range.js runs this file against another node-addon-api: the
// addons built with it in NAPI_TASK_BUILD_DIR, its headers here.
const naaInclude = process.env.NAPI_TASK_NAA_INCLUDE || path.dirname(require.resolve('node-addon-api/napi.h'))
const OTHER_NAA = process.env.NAPI_TASK_NAA_INCLUDE
  ? { skip: 'the examples run from the repository\'s build; tools/naa-range.js runs cpp_naa built with this node-addon-api' }
  : {}
const builds = [
  ['exceptions', path.join(buildDir, 'test_addon_cpp.node')],
  ['no exceptions', path.join(buildDir, 'test_addon_cpp_noexcept.node')]
]

const { gc } = aliveAfterGc
const G = 1 // gates of the C++ addon's own (its statics are its own)
const G_TEARDOWN = 2
// napi_status values (js_native_api_types.h).
const napi = {
  ok: 0,
  invalid_arg: 1,
  object_expected: 2,
  function_expected: 5,
  number_expected: 6,
  pending_exception: 10,
  cancelled: 11
}

const tick = () => new Promise(resolve => setImmediate(resolve))
const until = async (cond) => { while (!cond()) await tick() }
const range = (n, f = x => x) => Array.from({ length: n }, (_, i) => f(i))
const settled = (p) => p.then(value => ({ err: null, value }), err => ({ err, value: undefined }))

const settledLedger = c => c.objects === c.destroyed &&
  c.data === c.consumed + c.dropped && c.allocs === c.frees

// The exactly-once check on the captures' counters. Buffers free their
// vector when collected, and tasks a scenario does not await settle on
// their own: collect and turn the loop until balanced (bounded), then
// assert.
const ledger = async (t, common) => {
  for (let i = 0; i < 200 && !settledLedger(common.counts()); i++) {
    gc()
    await tick()
  }
  const c = common.counts()
  t.equal(c.twice, 0, 'no capture destroyed twice')
  t.equal(c.misuse, 0, 'no capture used twice (or after a move)')
  t.equal(c.destroyed, c.objects, `every capture object destroyed once (${c.objects})`)
  t.equal(c.consumed + c.dropped, c.data,
    `every datum consumed (${c.consumed}) or dropped (${c.dropped}) once, of ${c.data}`)
  t.equal(c.frees, c.allocs, `every byte vector freed once (${c.allocs})`)
  return c
}

const delta = (before, after) => Object.fromEntries(
  ['data', 'consumed', 'dropped', 'copies'].map(k => [k, after[k] - before[k]]))

for (const [label, file] of builds) {
  const addon = require(file)
  const { plain, naa, common } = addon
  const EXC = addon.exceptions ? {} : { skip: 'built without C++ exceptions' }
  const POOL = common.poolSize()

  const cb = (fn, ...args) => new Promise(resolve => fn(...args, (err, value) => resolve({ err, value })))
  // Runs one scenario by callback and by promise.
  const both = async (fn, ...args) => [await cb(fn, ...args), await settled(fn(...args))]

  t.test(`cpp_build_label (${label}): the addon is the build it says`, async t => {
    t.equal(addon.exceptions, label === 'exceptions', 'NAPI_TASK_CPP_EXCEPTIONS')
  })

  t.test(`cpp_output_values (${label}): every perform result, by callback and by promise`, async t => {
    const before = common.counts()
    const cases = [
      ['undefined', 0, '', undefined],
      ['void', 0, '', undefined],
      ['true', 3, '', true],
      ['false', 0, '', false],
      ['double', -0.25, '', -0.25],
      ['okDouble', Infinity, '', Infinity],
      ['float', 0.5, '', 0.5],
      ['int', -7, '', -7],
      ['int64', 2 ** 53, '', 2 ** 53],
      ['int64max', 0, '', 9223372036854775807],
      ['uint64max', 0, '', 18446744073709551615],
      ['string', 0, 'h\u00e9llo \u{1F600} world', 'h\u00e9llo \u{1F600} world'],
      ['string', 0, '', ''],
      ['okString', 0, 'moved', 'moved'],
      ['embeddedNul', 0, '', 'a\u0000b'],
      ['cstring', 0, '', 'caf\u00e9'],
      ['nullCString', 0, '', null],
      ['complete', 1.5, '', 2.5],
      ['okComplete', 1.5, '', 2.5],
      ['completeFnPtr', 0, '', 42],
      ['completeSmall', 4, '', 8],
      ['moveOnly', 9, '', 9],
      ['lvalue', 3, '', 3]
    ]
    for (const [kind, num, text, expected] of cases) {
      const [viaCb, viaPromise] = await both(plain.output, kind, num, text)
      t.same(viaCb, { err: null, value: expected }, `${kind}: callback(null, ${String(expected)})`)
      t.ok(Object.is(viaCb.value, expected), `${kind}: exactly ${String(expected)}`)
      t.ok(viaPromise.err === null && Object.is(viaPromise.value, expected), `${kind}: the promise resolves with it`)
    }
    t.ok(Number.isNaN(await plain.output('double', NaN, '')), 'NaN survives')
    const after = await ledger(t, common)
    t.equal(after.copies - before.copies, 2, 'only the perform given as an lvalue was copied, once per run')
  })

  t.test(`cpp_output_buffers (${label}): byte vectors become Buffers over their own bytes`, async t => {
    const check = async len => {
      const buf = await plain.output('buffer', len, '')
      let ok = true
      for (let i = 0; i < len; i++) {
        if (buf[i] !== ((i * 7 + 3) & 0xff)) { ok = false; break }
      }
      return { isBuffer: Buffer.isBuffer(buf), length: buf.length, ok, sameBytes: common.bufferAddress(buf) === common.lastBytes() }
    }
    for (const len of [1, 10, 4096, 1 << 20]) {
      t.same(await check(len), { isBuffer: true, length: len, ok: true, sameBytes: true },
        `${len} bytes intact, not copied`)
    }
    const chars = await plain.output('charVector', 0, 'abc')
    t.ok(Buffer.isBuffer(chars) && chars.toString() === 'abc', 'a std::vector<char>')
    const fromString = await plain.output('stringBuffer', 0, 'xyz\u00e9')
    t.ok(Buffer.isBuffer(fromString) && fromString.toString() === 'xyz\u00e9', 'a std::string as bytes')
    const empty = await plain.output('emptyBuffer', 0, '')
    t.ok(Buffer.isBuffer(empty) && empty.length === 0, 'an empty vector: an empty Buffer')
    const c = await ledger(t, common)
    t.ok(c.allocs >= 4, 'the counting allocator saw the vectors')
  })

  // The callback's arguments, and the JS wrapper docs/migration.md gives
  // an addon whose callers expect (undefined, value) and (err) instead.
  t.test(`cpp_callback_shape (${label}): callback(null, value) and callback(err, undefined), as fs; the migration wrapper`, async t => {
    const args = (...a) => new Promise(resolve => plain.output(...a, (...got) => resolve(got)))
    const ok = await args('int', 5, '')
    t.same(ok, [null, 5], 'success: exactly (null, value)')
    t.ok(ok[0] === null, 'err is null, not undefined')
    const failed = await args('error', 0, 'no')
    t.equal(failed.length, 2, 'failure: two arguments')
    t.ok(failed[0] instanceof Error && failed[1] === undefined, '(err, undefined)')
    // docs/migration.md, "The callback's arguments".
    const oldShape = (fn, ...a) => new Promise(resolve =>
      fn(...a, (err, value) => err ? resolve([err]) : resolve([undefined, value])))
    const wrappedOk = await oldShape(plain.output, 'int', 5, '')
    t.equal(wrappedOk.length, 2)
    t.ok(wrappedOk[0] === undefined && wrappedOk[1] === 5, 'wrapped success: (undefined, value)')
    const wrappedErr = await oldShape(plain.output, 'error', 0, 'no')
    t.ok(wrappedErr.length === 1 && wrappedErr[0] instanceof Error, 'wrapped failure: (err)')
    await ledger(t, common)
  })

  t.test(`cpp_output_errors (${label}): error outputs and failing complete callables`, async t => {
    const uncaught = []
    const onUncaught = e => uncaught.push(e)
    process.on('uncaughtException', onUncaught)
    t.teardown(() => process.off('uncaughtException', onUncaught))
    for (const r of await both(plain.output, 'error', 0, 'x%sy')) {
      t.equal(r.value, undefined)
      t.ok(r.err instanceof Error)
      t.same([r.err.code, r.err.message], ['ETEST_CODE', 'x%sy'], 'napi_task::error: the message is not a format')
    }
    const [noCode] = await both(plain.output, 'errorNoCode', 0, 'just a message')
    t.equal(noCode.err.message, 'just a message')
    t.notOk('code' in noCode.err, 'no code for a NULL code')
    const [uv] = await both(plain.output, 'errorUv', -2, '/no/such')
    t.same([uv.err.message, uv.err.errno, uv.err.code, uv.err.syscall, uv.err.path],
      ["ENOENT: no such file or directory, open '/no/such'", -2, 'ENOENT', 'open', '/no/such'])
    const [uvNoPath] = await both(plain.output, 'errorUvNoPath', -2, '')
    t.equal(uvNoPath.err.message, 'ENOENT: no such file or directory, read')
    t.notOk('path' in uvNoPath.err)
    const [cError] = await both(plain.output, 'cError', 5, '')
    t.same([cError.err.code, cError.err.message], ['ETEST_C', 'c helper 5'], 'a C helper output, as is')
    for (const r of await both(plain.output, 'completePending', 0, '')) {
      t.same([r.err.code, r.err.message], ['ETEST', 'complete threw'], 'complete left an exception: the task error')
    }
    const [nothing] = await both(plain.output, 'completeNull', 0, '')
    t.equal(nothing.err.code, 'ERR_NAPI_TASK_NO_VALUE')
    t.same(uncaught, [], 'no uncaught exception')
    await ledger(t, common)
  })

  t.test(`cpp_exception_in_perform (${label}): the task's error, never std::terminate`, EXC, async t => {
    const before = common.counts()
    for (const r of await both(plain.output, 'performThrows', 0, 'boom')) {
      t.ok(r.err instanceof Error)
      t.same([r.err.code, r.err.message], ['ERR_NAPI_TASK_CPP_EXCEPTION', 'boom'], 'code, and what() as the message')
    }
    const [other] = await both(plain.output, 'performThrowsOther', 0, '')
    t.same([other.err.code, other.err.message],
      ['ERR_NAPI_TASK_CPP_EXCEPTION', 'a C++ exception that is not a std::exception'])
    const mid = await ledger(t, common)
    const [unused] = await both(plain.output, 'performThrowsUnused', 0, '')
    t.equal(unused.err.message, 'before using the capture')
    const after = await ledger(t, common)
    t.equal(after.dropped - mid.dropped, 2, 'a capture the exception unwound past is destroyed once (dropped)')
    t.equal(mid.dropped - before.dropped, 0, 'the others were consumed first')
  })

  t.test(`cpp_exception_in_complete (${label}): a JS exception, the task's error`, EXC, async t => {
    const uncaught = []
    const onUncaught = e => uncaught.push(e)
    process.on('uncaughtException', onUncaught)
    t.teardown(() => process.off('uncaughtException', onUncaught))
    for (const r of await both(plain.output, 'completeThrows', 0, 'bad complete')) {
      t.same([r.err.code, r.err.message], ['ERR_NAPI_TASK_CPP_EXCEPTION', 'bad complete'])
      t.equal(r.value, undefined)
    }
    const [other] = await both(plain.output, 'completeThrowsOther', 0, '')
    t.equal(other.err.message, 'a C++ exception that is not a std::exception')
    const [first] = await both(plain.output, 'completePendingThenThrows', 0, '')
    t.same([first.err.code, first.err.message], ['EFIRST', 'pending first'],
      'a JS exception left pending wins over the C++ one')
    t.same(uncaught, [], 'no uncaught exception')
    await ledger(t, common)
  })

  t.test(`cpp_deliveries (${label}): schedule returns undefined, calls back later with (err, value); promise`, async t => {
    let called = false
    let args
    const done = new Promise(resolve => {
      const r = plain.addOne(41, function () { called = true; args = [...arguments]; resolve() })
      t.equal(r, undefined, 'schedule() returns undefined')
    })
    t.equal(called, false, 'never inside the delivery call')
    await done
    t.same(args, [null, 42], 'exactly (null, value)')
    t.equal(plain.lastStatus(), napi.ok)
    const p = plain.addOne(9)
    t.ok(p instanceof Promise, 'promise() returns a Promise')
    t.equal(await p, 10)
    await ledger(t, common)
  })

  t.test(`cpp_bad_input (${label}): the C API's TypeErrors, captures dropped once`, async t => {
    const before = common.counts()
    t.throws(() => plain.scheduleWith(42), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "callback" argument must be of type function. Received type number (42)'
    })
    t.equal(plain.lastStatus(), napi.function_expected)
    t.throws(() => plain.signalWith({}), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"signal"/ })
    t.throws(() => plain.signalWith(null, () => {}), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' },
      'null is not "no signal"')
    t.equal(plain.lastStatus(), napi.object_expected)
    t.throws(() => plain.progressWith(1), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"onProgress"/ })
    const mid = common.counts()
    t.same(delta(before, mid), { data: 4, consumed: 0, dropped: 4, copies: 0 }, 'each refused task dropped its capture once')
    t.equal(await plain.signalWith(undefined), 2, 'an undefined signal is no signal')
    t.equal(await plain.progressWith(undefined), 2, 'an undefined on_progress is none')
    await ledger(t, common)
  })

  t.test(`cpp_builder_misuse (${label}): discarded, moved, delivered twice, failed setters`, async t => {
    let before = common.counts()
    t.same(plain.builders('destroyed'), { status: napi.ok, held: true })
    t.same(delta(before, common.counts()), { data: 1, consumed: 0, dropped: 1, copies: 0 },
      'a builder destroyed undelivered: never run, its capture dropped once')
    before = common.counts()
    t.equal(await plain.builders('assigned'), 11, 'assigned over: the second task runs')
    t.same(delta(before, common.counts()), { data: 3, consumed: 2, dropped: 1, copies: 0 }, 'the first was discarded')
    before = common.counts()
    t.same(plain.builders('discard'), { status: napi.ok, held: false }, 'discard() twice: once')
    t.same(plain.builders('released'), { status: napi.ok, held: false }, 'release() hands the C handle over')
    t.same(delta(before, common.counts()), { data: 2, consumed: 0, dropped: 2, copies: 0 })
    t.equal(await plain.builders('adopted'), 3, 'a C handle adopted by a builder')
    t.throws(() => plain.builders('adoptedNull'), { code: 'ERR_INVALID_ARG_VALUE', message: /holds no task/ },
      'a NULL handle adopted: nothing to deliver')
    t.throws(() => plain.builders('movedFrom'), { code: 'ERR_INVALID_ARG_VALUE', message: /holds no task/ },
      'delivering a moved-from builder')
    t.throws(() => plain.builders('twice', () => {}), { code: 'ERR_INVALID_ARG_VALUE', message: /holds no task/ },
      'delivering twice')
    // Both delivered one task before throwing: let them settle first.
    await ledger(t, common)
    before = common.counts()
    t.same(plain.builders('nullEnv'), { status: napi.invalid_arg, held: false }, 'a NULL env: napi_invalid_arg, nothing thrown')
    t.same(delta(before, common.counts()), { data: 1, consumed: 0, dropped: 1, copies: 0 }, 'its capture dropped once')
    t.throws(() => plain.builders('nullSignal'), {
      name: 'Error', code: 'ERR_INVALID_ARG_VALUE', message: 'napi_task_set_signal failed: napi_invalid_arg (1)'
    }, 'a failure the C API throws nothing for gets an Error')
    t.throws(() => plain.builders('nullName'), { code: 'ERR_INVALID_ARG_VALUE', message: /^napi_task_set_name failed/ })
    t.throws(() => plain.builders('emptyQueue'), { code: 'ERR_INVALID_ARG_VALUE', message: /^napi_task_set_queue failed/ })
    t.throws(() => plain.builders('afterFailure', () => t.fail('never called')),
      { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"signal"/ }, 'the first failure is the one thrown')
    t.equal(plain.lastStatus(), napi.object_expected, 'and the one status() keeps')
    t.same(plain.builders('empty'), { status: napi.invalid_arg, held: false }, 'an empty builder delivers nothing')
    await ledger(t, common)
  })

  t.test(`cpp_abort_before_delivery (${label}): AbortError, perform never runs`, async t => {
    common.reset()
    const before = common.counts()
    for (const r of await both(plain.run, { value: 1, signal: AbortSignal.abort('why') })) {
      t.same([r.err.name, r.err.code, r.err.cause], ['AbortError', 'ABORT_ERR', 'why'])
    }
    t.equal(common.counts().performs, 0, 'perform never ran')
    t.same(delta(before, common.counts()), { data: 2, consumed: 0, dropped: 2, copies: 0 }, 'captures dropped once')
    await ledger(t, common)
  })

  t.test(`cpp_abort_while_queued (${label}): a task waiting in a full queue settles at once, dropped`, async t => {
    common.reset()
    common.gateDrain(G)
    const q = plain.queueCreate(1)
    const first = plain.run({ value: 0, queue: q, gate: G })
    await until(() => common.gateWaiting(G) === 1)
    const before = common.counts()
    const ac = new AbortController()
    const middle = plain.run({ value: 1, queue: q, signal: ac.signal })
    ac.abort()
    await t.rejects(middle, { name: 'AbortError' }, 'settles while the queue is still full')
    t.equal(common.gateWaiting(G), 1, 'the first still runs')
    t.equal(common.counts().performs, 1, 'the aborted one never ran')
    t.same(delta(before, common.counts()), { data: 1, consumed: 0, dropped: 1, copies: 0 }, 'its capture dropped once')
    common.gateOpen(G, 1)
    t.equal(await first, 0)
    t.equal(plain.queueRelease(q), napi.ok)
    await ledger(t, common)
  })

  t.test(`cpp_abort_while_running (${label}): ctx.cancelled() turns true, the output is dropped`, async t => {
    for (const how of ['callback', 'promise']) {
      common.reset()
      const ac = new AbortController()
      const before = common.counts()
      const opts = { value: 5, spin: true, signal: ac.signal }
      const p = how === 'callback' ? cb(plain.run, opts) : settled(plain.run(opts))
      await until(() => common.counts().spinning === 1) // perform polls ctx.cancelled()
      ac.abort()
      const { err } = await p
      t.equal(err.name, 'AbortError', how)
      const c = common.counts()
      t.same([c.cancelledSeen, c.finished], [1, 1], 'perform saw it and returned')
      t.same(delta(before, c), { data: 2, consumed: 1, dropped: 1, copies: 0 },
        'the input consumed, the complete callable perform returned dropped')
    }
    await ledger(t, common)
  })

  const progressKinds = {
    int: i => i,
    double: i => i + 0.5,
    bool: i => i % 2 === 0,
    string: i => String(i),
    cstring: () => 'step',
    buffer: i => Buffer.alloc(i, 7),
    complete: i => i,
    output: i => i
  }
  // Buffers are compared by their bytes, inside a function of their own,
  // so nothing keeps them from being collected (and their vectors freed).
  const plainValue = v => Buffer.isBuffer(v) ? { buffer: [...v] } : v
  const runWithProgress = async (how, kind) => {
    const events = []
    const opts = { value: 9, progress: 5, kind, mode: 'queue', onProgress: v => events.push(v) }
    const { atSettle, ...r } = await new Promise(resolve => {
      const done = (err, value) => resolve({ err, value, atSettle: events.length })
      if (how === 'callback') plain.run(opts, done)
      else plain.run(opts).then(value => done(null, value), done)
    })
    return { r, events: events.map(plainValue), atSettle }
  }
  for (const [kind, expect] of Object.entries(progressKinds)) {
    t.test(`cpp_progress_queue (${label}, ${kind}): every value, in order, before the task settles`, async t => {
      for (const how of ['callback', 'promise']) {
        const { r, events, atSettle } = await runWithProgress(how, kind)
        t.same(r, { err: null, value: 9 }, how)
        t.same(events, range(5, i => plainValue(expect(i + 1))), `${how}: exactly the 5 values`)
        t.equal(atSettle, 5, `${how}: all of them before the task settled`)
      }
      await ledger(t, common)
    })
  }

  t.test(`cpp_progress_error_values (${label}): an error output reaches on_progress as an Error`, async t => {
    const seen = []
    t.equal(await plain.run({ value: 7, progress: 2, kind: 'error', onProgress: e => seen.push(e) }), 7)
    t.ok(seen.every(e => e instanceof Error))
    t.same(seen.map(e => [e.code, e.message]), [['ETEST_PROGRESS', 'step 1'], ['ETEST_PROGRESS', 'step 2']])
    await ledger(t, common)
  })

  t.test(`cpp_progress_coalesce (${label}): only the newest pending value; the rest dropped once`, async t => {
    common.reset()
    common.gateDrain(G)
    const before = common.counts()
    const events = []
    const p = plain.run({
      value: 2, gateBefore: G, progress: 500, kind: 'complete', mode: 'coalesce', onProgress: v => events.push(v)
    })
    await until(() => common.gateWaiting(G) === 1)
    common.gateOpen(G, 1)
    // The JS thread stays blocked while perform reports all 500.
    t.equal(common.waitFor('finished', 1), true, 'perform reported everything and returned')
    t.equal(await p, 2)
    t.same(events, [500], 'one event: the newest value')
    t.equal(common.counts().progressOk, 500, 'ctx.progress() returned napi_ok 500 times')
    const after = await ledger(t, common)
    t.same(delta(before, after), { data: 502, consumed: 3, dropped: 499, copies: 0 },
      '499 coalesced complete callables destroyed unused, once each')
  })

  t.test(`cpp_progress_after_abort (${label}): napi_cancelled, values dropped, never delivered`, async t => {
    common.reset()
    common.gateDrain(G)
    const before = common.counts()
    const ac = new AbortController()
    const events = []
    const p = plain.run({
      value: 5, gateBefore: G, progress: 10, kind: 'complete', signal: ac.signal, onProgress: v => events.push(v)
    })
    await until(() => common.gateWaiting(G) === 1)
    ac.abort()
    common.gateOpen(G, 1)
    await t.rejects(p, { name: 'AbortError' })
    t.same(events, [])
    t.equal(common.counts().progressCancelled, 10, 'ctx.progress() returned napi_cancelled')
    t.same(delta(before, await ledger(t, common)), { data: 12, consumed: 1, dropped: 11, copies: 0 },
      'the 10 values and the output dropped once each')
  })

  const asks = {
    callback: (opts) => cb(plain.ask, opts),
    promise: (opts) => settled(plain.ask(opts))
  }
  for (const [how, ask] of Object.entries(asks)) {
    t.test(`cpp_call_js_answer (${how}, ${label}): fn's return value comes back to perform`, async t => {
      common.reset()
      const calls = []
      plain.handlers.plusOne = q => { calls.push(q); return q + 1 }
      t.same(await ask({ key: 'plusOne', question: 20 }), { err: null, value: 42 }, '(20 + 1) * 2')
      t.same(calls, [20])
      t.equal(common.counts().callStatus, napi.ok)
      t.same(await ask({ key: 'plusOne', question: 1, kind: 'void' }), { err: null, value: 4 },
        'a fn returning void writes perform\'s locals by reference')
      await ledger(t, common)
    })

    t.test(`cpp_call_js_throws (${how}, ${label}): the JS exception becomes the task's error`, async t => {
      const thrown = new RangeError('no answer')
      plain.handlers.throws = () => { throw thrown }
      common.reset()
      const before = common.counts()
      const r = await ask({ key: 'throws', question: 1 })
      t.equal(r.err, thrown, 'the very exception thrown')
      t.equal(common.counts().callStatus, napi.pending_exception, 'js_result status napi_pending_exception, no value')
      t.same(delta(before, await ledger(t, common)), { data: 2, consumed: 1, dropped: 1, copies: 0 },
        'the output perform returned instead was dropped')
      const wins = await ask({ key: 'throws', errorOutput: true })
      t.same([wins.err.code, wins.err.message], ['ETEST_PERFORM', `call_js returned ${napi.pending_exception}`],
        'an error output from perform wins')
      await ledger(t, common)
    })

    t.test(`cpp_call_js_cpp_exception (${how}, ${label}): a C++ exception in fn is a JS one`, EXC, async t => {
      common.reset()
      const r = await ask({ key: 'unused', kind: 'throw' })
      t.same([r.err.code, r.err.message], ['ERR_NAPI_TASK_CPP_EXCEPTION', 'thrown in call_js'])
      t.equal(common.counts().callStatus, napi.pending_exception)
      await ledger(t, common)
    })

    t.test(`cpp_call_js_after_abort (${how}, ${label}): napi_cancelled, fn never runs`, async t => {
      common.reset()
      common.gateDrain(G)
      let called = 0
      plain.handlers.never = () => { called++; return 1 }
      const ac = new AbortController()
      const p = ask({ key: 'never', gateBefore: G, signal: ac.signal })
      await until(() => common.gateWaiting(G) === 1)
      ac.abort()
      common.gateOpen(G, 1)
      const { err } = await p
      t.equal(err.name, 'AbortError')
      t.equal(common.counts().callStatus, napi.cancelled)
      t.equal(called, 0)
      await ledger(t, common)
    })
  }

  t.test(`cpp_call_js_status (${label}): a fn returning napi_status returns the call's status`, async t => {
    common.reset()
    plain.handlers.notANumber = () => 'forty-two'
    t.equal(await plain.ask({ key: 'notANumber', kind: 'status' }), -napi.number_expected)
    t.equal(common.counts().callStatus, napi.number_expected)
    plain.handlers.plusOne = q => q + 1
    t.equal(await plain.ask({ key: 'plusOne', question: 2, kind: 'status' }), 6)
    await ledger(t, common)
  })

  t.test(`cpp_queue_cap (${label}): never more than max_running of a queue at once`, async t => {
    t.ok(POOL >= 3, `a pool of ${POOL}`)
    common.reset()
    common.gateDrain(G)
    const q = plain.queueCreate(2)
    const all = range(8, i => plain.run({ value: i, queue: q, gate: G, lane: true }))
    await until(() => common.gateWaiting(G) === 2)
    // Let the loop turn a few more times: nothing else may start.
    for (let i = 0; i < 20; i++) await tick()
    t.equal(common.gateWaiting(G), 2, 'two running')
    t.equal(common.counts().performs, 2, 'no other perform started')
    common.gateOpen(G, 8)
    t.same(await Promise.all(all), range(8))
    t.equal(common.counts().laneMax, 2, 'the most seen running at once')
    t.equal(plain.queueRelease(q), napi.ok, 'reset(): napi_task_queue_release')
    t.equal(plain.queueRelease(q), napi.ok, 'reset() again: nothing held, napi_ok')
    t.throws(() => plain.run({ value: 1, queue: q }), { code: 'ERR_INVALID_ARG_VALUE', message: /^napi_task_set_queue failed/ },
      'a released queue')
    await ledger(t, common)
  })

  t.test(`cpp_queue_bad (${label}): a queue of 0 is an Error, not a crash`, async t => {
    t.throws(() => plain.queueCreate(0), {
      code: 'ERR_INVALID_ARG_VALUE', message: 'napi_task_queue_create failed: napi_invalid_arg (1)'
    })
    t.equal(plain.lastStatus(), napi.invalid_arg, 'status() says why')
  })

  t.test(`cpp_naa_values (${label}): Napi::Env in, Napi::Value and Napi::Promise out`, async t => {
    t.same(await cb(naa.addOne, 41), { err: null, value: 42 })
    const p = naa.addOne(1.5)
    t.ok(p instanceof Promise, 'a Napi::Promise')
    t.equal(await p, 2.5)
    for (const r of await both(naa.output, 'object')) t.same(r, { err: null, value: { a: 1, b: 'two' } })
    for (const r of await both(naa.output, 'jsonParse')) {
      t.ok(r.err instanceof SyntaxError, 'a JS exception inside complete is the task error, as it was thrown')
    }
    await ledger(t, common)
  })

  t.test(`cpp_naa_exceptions (${label}): Napi::Error and std::exception in complete`, EXC, async t => {
    for (const r of await both(naa.output, 'throwsTypeError')) {
      t.ok(r.err instanceof TypeError, 'a thrown Napi::TypeError reaches JS as the TypeError it carries')
      t.equal(r.err.message, 'thrown as a Napi::TypeError')
    }
    const [std] = await both(naa.output, 'throwsStd')
    t.same([std.err.code, std.err.message], ['ERR_NAPI_TASK_CPP_EXCEPTION', 'a std::runtime_error in complete'])
    await ledger(t, common)
  })

  t.test(`cpp_naa_bad_input (${label}): the TypeError reaches JS, captures dropped once`, async t => {
    const before = common.counts()
    t.throws(() => naa.badSignal(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"signal"/ })
    t.throws(() => naa.badCallback('x'), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "callback" argument must be of type function. Received type string (\'x\')'
    })
    t.throws(() => naa.badProgress({}), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: /"onProgress"/ })
    t.same(delta(before, common.counts()), { data: 3, consumed: 0, dropped: 3, copies: 0 })
    t.equal(await naa.badSignal(undefined), 2, 'undefined: no signal')
    await ledger(t, common)
  })

  t.test(`cpp_naa_throws_napi_error (${label}): under NAPI_CPP_EXCEPTIONS a failure throws Napi::Error`, EXC, async t => {
    const r = naa.catches(42)
    t.equal(r.caught, true, 'caught in C++')
    t.ok(r.error instanceof TypeError, 'carrying the C API\'s TypeError')
    t.equal(r.error.code, 'ERR_INVALID_ARG_TYPE')
    t.equal(r.pending, false, 'taken off the env: nothing pending')
    await ledger(t, common)
  })

  t.test(`cpp_naa_progress_and_call_js (${label}): Napi::Env lambdas for progress and call_js`, async t => {
    const events = []
    t.equal(await naa.output('progress', undefined, v => events.push(v)), 1)
    t.same(events, ['p1', 'p2', 'p3'])
    naa.handlers.triple = q => q * 3
    t.same(await cb(naa.ask, 'triple', 7), { err: null, value: 42 })
    const thrown = new Error('from the handler')
    naa.handlers.throws = () => { throw thrown }
    t.equal((await settled(naa.ask('throws', 1))).err, thrown, 'the handler\'s exception is the task error')
    t.equal(common.counts().callStatus, napi.pending_exception)
    await ledger(t, common)
  })

  t.test(`cpp_worker_teardown (${label}): a terminated worker drops every capture once`, async t => {
    // POOL tasks run (blocked on a gate that nobody opens: a gated perform
    // leaves when its task is cancelled, as at teardown), 200 wait in the
    // backlog, 10 were built and never delivered.
    common.gateDrain(G_TEARDOWN)
    const before = common.counts()
    const source = `
      const { parentPort, workerData } = require('worker_threads')
      const { plain, common } = require(workerData.addon)
      plain.leakBuilt(10)
      for (let i = 0; i < workerData.pool; i++) plain.gated(workerData.gate, i, () => {})
      for (let i = 0; i < 100; i++) plain.gated(workerData.gate, i, () => {})
      for (let i = 0; i < 100; i++) plain.gated(workerData.gate, i).then(() => {})
      const wait = () => common.gateWaiting(workerData.gate) === workerData.pool
        ? parentPort.postMessage('filled') : setImmediate(wait)
      wait()
    `
    const w = new Worker(source, { eval: true, ...bare, workerData: { addon: file, gate: G_TEARDOWN, pool: POOL } })
    await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject) })
    t.equal(common.gateWaiting(G_TEARDOWN), POOL, 'the pool is full of running tasks')
    const exited = new Promise(resolve => w.once('exit', resolve))
    await w.terminate()
    await exited
    const after = await ledger(t, common)
    t.same(delta(before, after), { data: 210 + 2 * POOL, consumed: POOL, dropped: 210 + POOL, copies: 0 },
      `the ${POOL} running performs consumed their input and their outputs were dropped; ` +
      'the 200 waiting and the 10 undelivered were dropped unrun')
    common.gateDrain(G_TEARDOWN)
  })

  t.test(`cpp_worker_natural_exit (${label}): a worker that ends by itself settles everything`, async t => {
    const source = `
      const { parentPort, workerData } = require('worker_threads')
      const { plain, naa } = require(workerData.addon)
      let n = 0
      for (let i = 0; i < 50; i++) plain.addOne(i, () => { n++ })
      for (let i = 0; i < 50; i++) naa.addOne(i).then(() => { n++ })
      process.on('exit', () => parentPort.postMessage(n))
    `
    const messages = []
    const w = new Worker(source, { eval: true, ...bare, workerData: { addon: file } })
    w.on('message', m => messages.push(m))
    const code = await new Promise((resolve, reject) => { w.on('error', reject); w.on('exit', resolve) })
    t.equal(code, 0)
    t.same(messages, [100])
    await ledger(t, common)
  })
}

t.test('cpp_examples: node examples/cpp_plain', OTHER_NAA, async t => {
  const out = execFileSync(process.execPath, [path.join(root, 'examples', 'cpp_plain')])
  t.equal(String(out), [
    'callback: count 8, mean 3.875, min 1, max 9',
    'promise: count 3, mean 0.6666666666666666, min -1, max 2.5',
    'empty: ERR_EMPTY: summarize: no numbers',
    'aborted: AbortError',
    ''
  ].join('\n'))
})

t.test('cpp_examples: node examples/cpp_naa', OTHER_NAA, async t => {
  const out = execFileSync(process.execPath, [path.join(root, 'examples', 'cpp_naa')])
  t.equal(String(out), [
    'progress: 25%',
    'progress: 50%',
    'progress: 75%',
    'progress: 100%',
    'top 3: the=4 dog=2 fox=2',
    'no words: ERR_NAPI_TASK_CPP_EXCEPTION: no words in the text',
    'bad call: TypeError: topWords(text: string, n: number)',
    'aborted: AbortError',
    ''
  ].join('\n'))
})

// The header, the test addon and the examples, warning-free with both
// compilers, in both exception modes, as node-gyp compiles C++ on Linux
// (-fno-rtti) and stricter (-pedantic -Werror).
const nodeInclude = path.join(path.dirname(process.execPath), '..', 'include', 'node')
const COMPILED = isMainThread ? {} : { skip: 'compiles: the main-thread run covers it' }
const modes = [
  ['exceptions', ['-fexceptions', '-DNAPI_CPP_EXCEPTIONS'], ['examples/cpp_plain/cpp_plain.cc', 'examples/cpp_naa/cpp_naa.cc']],
  ['no exceptions', ['-fno-exceptions', '-DNAPI_DISABLE_CPP_EXCEPTIONS'], ['examples/cpp_plain/cpp_plain.cc']]
]
for (const cxx of ['g++', 'clang++']) {
  t.test(`cpp_header_compiles (${cxx}): -std=c++17 -Wall -Wextra -pedantic -Werror, both exception modes`, COMPILED, async t => {
    if (spawnSync(cxx, ['--version']).status !== 0) return t.skip(`no ${cxx}`)
    const addonSources = fs.readdirSync(path.join(root, 'test', 'addon_cpp'))
      .filter(f => f.endsWith('.cc')).map(f => path.join('test', 'addon_cpp', f))
    const runs = modes.map(async ([mode, flags, examples]) => {
      const args = ['-std=c++17', '-Wall', '-Wextra', '-pedantic', '-Werror', '-fno-rtti', '-fsyntax-only',
        '-DNAPI_VERSION=8', ...flags, '-I', path.join(root, 'include'), '-I', nodeInclude, '-I', naaInclude,
        ...addonSources, ...examples]
      const r = await promisify(execFile)(cxx, args, { cwd: root }).catch(e => e)
      return { mode, code: r.code || 0, stderr: r.stderr }
    })
    for (const { mode, code, stderr } of await Promise.all(runs)) {
      t.equal(stderr, '', `${mode}: no diagnostics`)
      t.equal(code, 0, `${mode}: compiles`)
    }
  })
}

// glibc never unloads a module with a GNU "unique" symbol (an inline
// variable, a static local of an inline function). The header must add
// none, or every addon using it would stay mapped after the last worker
// that loaded it exits (unlike a C addon). The test addons must have none
// at all: a process whose workers loaded them (test/in-worker-<k>.test.js)
// would otherwise still have one mapped at exit, and LeakSanitizer would
// then check it (tools/lsan-scope.c) while the C test addon, unloaded,
// can no longer be symbolized for its suppression. (The examples may have
// some of libstdc++'s own, e.g. std::piecewise_construct from std::map at
// -O1: that is theirs.)
t.test('cpp_no_unique_symbols: the C++ addons can be unloaded like the C ones', process.platform === 'linux' ? {} : { skip: 'ELF only' }, async t => {
  if (spawnSync('readelf', ['--version']).status !== 0) return t.skip('no readelf')
  const unique = file => spawnSync('readelf', ['-Ws', file], { encoding: 'utf8' }).stdout
    .split('\n').filter(l => /\bUNIQUE\b/.test(l)).map(l => l.trim().split(/\s+/).pop())
  for (const [, file] of builds) t.same(unique(file), [], `${path.basename(file)}: no unique symbols`)
  for (const name of ['cpp_plain', 'cpp_naa']) {
    const ours = unique(path.join(buildDir, `${name}.node`)).filter(s => /^_ZZ?N?K?9napi_task/.test(s))
    t.same(ours, [], `${name}.node: none from napi_task.hpp`)
  }
})

// A perform returning a char pointer delivered null (GCC, a local array's
// address) or freed memory (a std::string's c_str()): its characters are
// read after perform returned. It is refused at compile time, with what to
// return instead; ctx.progress() still takes one (copied while perform
// runs), and so does napi_task::ok_string.
t.test('cpp_perform_char_pointer: a perform returning a char pointer does not compile, and the error says what to return', COMPILED, async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-hpp-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const probe = (name, body) => {
    const src = path.join(dir, name)
    fs.writeFileSync(src, [
      '#include <napi.h>',
      '#include <napi_task.hpp>',
      '#include <string>',
      'void f(napi_env env, Napi::Env naa_env);',
      'void f(napi_env env, Napi::Env naa_env) {',
      '  (void)env;',
      '  (void)naa_env;',
      body,
      '}',
      ''
    ].join('\n'))
    return spawnSync('g++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-fsyntax-only',
      '-DNAPI_VERSION=8', '-DNAPI_DISABLE_CPP_EXCEPTIONS', '-I', path.join(root, 'include'),
      '-I', nodeInclude, '-I', naaInclude, src], { encoding: 'utf8' })
  }
  const message = /static assertion failed: napi_task::build: perform returns a char pointer \(const char \*, char \* or a char array\), and what it points to may be gone once perform returns\. Return a std::string instead, or napi_task::ok_string\(p\), which copies the characters while perform still runs/
  const refused = {
    'a local char array': '  napi_task::build(env, [] { char buf[8] = "x"; return buf; }).discard();',
    "a std::string's c_str()": '  napi_task::build(env, [](napi_task::ctx) { std::string s(40, \'x\'); return s.c_str(); }).discard();',
    'a string literal': '  napi_task::build(env, []() -> const char * { return "done"; }).discard();',
    'char *, node-addon-api builder': '  napi_task::build(naa_env, []() -> char * { return nullptr; }).discard();'
  }
  let i = 0
  for (const [what, body] of Object.entries(refused)) {
    const r = probe(`refused${i++}.cc`, body)
    t.not(r.status, 0, `${what}: refused`)
    t.match(r.stderr, message, `${what}: the message says what to return`)
    // (GCC also warns about a local array's address: that one is the
    // user's line.)
    t.equal((r.stderr.match(/napi_task\.hpp:\d+:\d+: error:/g) || []).length, 1,
      `${what}: that one error from the header, nothing cascading`)
  }
  const accepted = probe('accepted.cc', [
    '  napi_task::build(env, [] { char buf[8] = "x"; return napi_task::ok_string(buf); }).discard();',
    '  napi_task::build(env, [] { char buf[8] = "x"; return std::string(buf); }).discard();',
    '  napi_task::build(env, [](napi_task::ctx ctx) { char buf[8] = "x"; ctx.progress(buf); ctx.progress("step"); }).discard();',
    '  napi_task::build(env, [] { return nullptr; }).discard();'
  ].join('\n'))
  t.equal(accepted.stderr, '', 'ok_string, std::string and progress: no diagnostics')
  t.equal(accepted.status, 0, 'they compile')
})

t.test('cpp_header_include_order: napi_task.h first is an error that says what to do', COMPILED, async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-hpp-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const probe = (name, text) => {
    const src = path.join(dir, name)
    fs.writeFileSync(src, text)
    return spawnSync('g++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-fsyntax-only',
      '-I', path.join(root, 'include'), '-I', nodeInclude, src], { encoding: 'utf8' })
  }
  const wrong = probe('wrong.cc', '#include <napi_task.h>\n#include <napi_task.hpp>\n')
  t.not(wrong.status, 0, 'refused')
  t.match(wrong.stderr, /include napi_task\.hpp before napi_task\.h, or instead of it/)
  // The other way round, the C API is all there, with the handle type
  // spelled napi_task_handle.
  const right = probe('right.cc', [
    '#include <napi_task.hpp>',
    '#include <napi_task.h>',
    'static napi_task_output perform(napi_task_ctx, void *) { return napi_task_ok_undefined(); }',
    'napi_status f(napi_env env);',
    'napi_status f(napi_env env) {',
    '  napi_task_handle task;',
    '  napi_status s = napi_task_build(env, perform, nullptr, nullptr, &task);',
    '  if (s == napi_ok) napi_task::builder(env, task).discard();',
    '  return s;',
    '}',
    ''
  ].join('\n'))
  t.equal(right.stderr, '', 'no diagnostics')
  t.equal(right.status, 0)
})
