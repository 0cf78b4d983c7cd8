'use strict'
// The core: building, the three deliveries, every output constructor,
// errors, bad input, and exactly-once accounting of every data pointer.
const t = require('./fixtures/tap')
const { runtime, skipOn, NO_ASYNC_CONTEXT } = require('./fixtures/runtime')
const checkBalanced = require('./fixtures/balanced')
const fs = require('fs')
const path = require('path')
const { AsyncLocalStorage, createHook } = require('async_hooks')
const aliveAfterGc = require('./fixtures/alive')

const addon = require(process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node'))
const { core, common } = addon

const { gc } = aliveAfterGc

// napi_status values (js_native_api_types.h).
const napi = { ok: 0, invalid_arg: 1, object_expected: 2, function_expected: 5 }

const cb = (fn, ...args) =>
  new Promise((resolve, reject) => {
    fn(...args, (err, value) => resolve({ err, value }))
  })

// Every scenario ends balanced: created == consumed + dropped, never twice.
const balanced = async (t) => {
  // Zero-copy Buffers drop their bytes when collected, and when V8 gets to
  // it (later under sanitizers or load): collect until balanced, a bounded
  // number of times, then assert.
  for (let i = 0; i < 200; i++) {
    gc()
    await new Promise(resolve => setImmediate(resolve))
    const c = common.counts()
    if (c.created === c.consumed + c.dropped) break
  }
  return checkBalanced(t, common.counts())
}

t.test('core_schedule: callback(null, value), returns undefined, never synchronously', async t => {
  let called = false
  let done
  const p = new Promise(resolve => { done = resolve })
  const r = common.addOne(41, (err, value) => {
    called = true
    done({ err, value, args: arguments.length })
  })
  t.equal(r, undefined, 'schedule returns undefined')
  t.equal(called, false, 'the callback does not run inside the delivery call')
  const { err, value } = await p
  t.equal(err, null)
  t.equal(value, 42)
  await balanced(t)
})

t.test('core_schedule_callback_args: the callback gets exactly (err, value), called as a plain function', async t => {
  // This file is strict; the Function constructor makes a sloppy function.
  // eslint-disable-next-line no-new-func
  const sloppyFn = new Function('resolve', 'return function () { resolve({ self: this, args: [...arguments] }) }')
  const sloppy = await new Promise(resolve => common.addOne(1, sloppyFn(resolve)))
  t.equal(sloppy.self, globalThis, 'a sloppy function sees the global, as any plain call')
  t.same(sloppy.args, [null, 2])
  const strict = await new Promise(resolve => {
    common.addOne(2, function () { 'use strict'; resolve({ self: this, args: [...arguments] }) })
  })
  t.equal(strict.self, undefined, 'no receiver: a strict function sees undefined')
  t.same(strict.args, [null, 3])
  const failed = await new Promise(resolve => {
    core.output('error', -12, 'x', function () { resolve([...arguments]) })
  })
  t.equal(failed.length, 2, 'an error: (err, undefined)')
  t.ok(failed[0] instanceof Error)
  t.equal(failed[0].message, 'failed with -12 and x')
  t.equal(failed[1], undefined)
  await balanced(t)
})

t.test('core_schedule_lets_go: a settled task keeps no hold on its callback', async t => {
  // Callbacks are kept in an env-owned array while in flight; settling
  // must let them go, or every closure ever passed would stay reachable.
  const refs = []
  await Promise.all(Array.from({ length: 100 }, (_, i) => new Promise(resolve => {
    const big = new Array(1000).fill(i)
    const callback = (err, value) => resolve(value + big.length)
    refs.push(new WeakRef(callback))
    common.addOne(i, callback)
  })))
  const alive = await aliveAfterGc(refs)
  t.equal(alive, 0, 'every callback collected after its task settled')
  await balanced(t)
})

t.test('core_schedule_prototype_accessors: accessors on Array.prototype and Object.prototype see no callback', async t => {
  // Callbacks are kept in a store without a prototype: indexed accessors
  // installed by user code can neither read them nor divert them. In a
  // child process, since such accessors break any code that fills arrays.
  const { execFileSync } = require('child_process')
  const addonPath = process.env.NAPI_TASK_TEST_ADDON ||
    path.join(__dirname, '..', 'build', 'Release', 'test_addon.node')
  const script = `
    const { common } = require(${JSON.stringify(addonPath)})
    // Node's own internals may fill holey arrays meanwhile (the nextTick
    // queue), which runs these accessors too: what must not happen is that
    // one of them is handed a callback.
    let diverted = 0
    const trap = {
      configurable: true,
      get () { return undefined },
      set (v) { if (typeof v === 'function') diverted++ }
    }
    for (let i = 0; i < 64; i++) {
      Object.defineProperty(Array.prototype, i, trap)
      Object.defineProperty(Object.prototype, i, trap)
    }
    let left = 64
    let good = 0
    for (let i = 0; i < 64; i++) {
      common.addOne(i, (err, value) => {
        if (err === null && value === i + 1) good++
        if (--left === 0) process.stdout.write(JSON.stringify({ good, diverted }))
      })
    }`
  // A script file, not -e (Node's own eval path, under tap, fills arrays),
  // and without tap's hooks (NODE_OPTIONS, _TAPJS_*), whose code does too;
  // the sanitizer build's preload and options stay.
  const env = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => k === 'PATH' || k === 'LD_PRELOAD' || /SAN_OPTIONS$/.test(k)))
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'napi-task-proto-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, 'traps.js'), script)
  const out = JSON.parse(String(execFileSync(process.execPath, [path.join(dir, 'traps.js')], { env })))
  t.same(out, { good: 64, diverted: 0 }, 'every callback called with its value, none handed to an accessor')
})

t.test('core_schedule_task: napi_ok and callback(null, value)', async t => {
  const got = await new Promise(resolve => {
    const status = core.addOneTask(1.5, (err, value) => resolve({ err, value, status }))
  })
  t.same(got, { err: null, value: 2.5, status: napi.ok })
  await balanced(t)
})

t.test('core_promise_resolves: resolves with the value', async t => {
  const p = common.addOne(9)
  t.ok(p instanceof Promise)
  t.equal(await p, 10)
  await balanced(t)
})

t.test('core_promise_rejects: rejects with the error', async t => {
  await t.rejects(core.output('error', 7, 'seven'), {
    message: 'failed with 7 and seven',
    code: 'ETEST_CODE'
  })
  await balanced(t)
})

t.test('core_outputs: every output constructor, exact values, callback and promise', async t => {
  const cases = [
    ['undefined', 0, '', undefined],
    ['true', 0, '', true],
    ['false', 0, '', false],
    ['double', -0.25, '', -0.25],
    ['double', Infinity, '', Infinity],
    ['int64', 2 ** 53, '', 2 ** 53],
    ['int64', -(2 ** 53), '', -(2 ** 53)],
    ['int64', -7, '', -7],
    ['int64max', 0, '', 9223372036854775807],
    ['string', 0, 'h\u00e9llo \u{1F600} world', 'h\u00e9llo \u{1F600} world'],
    ['string', 0, '', ''],
    ['nullString', 0, '', null],
    ['complete', 123.5, '', 123.5]
  ]
  for (const [kind, num, text, expected] of cases) {
    const viaCb = await cb(core.output, kind, num, text)
    t.same(viaCb, { err: null, value: expected }, `${kind} ${num} by callback`)
    t.equal(Object.is(viaCb.value, expected), true, `${kind} is exactly ${String(expected)}`)
    const viaPromise = await core.output(kind, num, text)
    t.equal(Object.is(viaPromise, expected), true, `${kind} by promise`)
  }
  const dbl = await core.output('double', NaN, '')
  t.ok(Number.isNaN(dbl), 'NaN survives')
  await balanced(t)
})

t.test('core_buffer_output: bytes intact, zero-copy bytes dropped once when collected', async t => {
  // Each Buffer lives only inside check(), so nothing in this frame keeps
  // one alive when balanced() collects.
  const check = async len => {
    const buf = await core.output('buffer', len, '')
    let ok = true
    for (let i = 0; i < len; i++) {
      if (buf[i] !== ((i * 7 + 3) & 0xff)) { ok = false; break }
    }
    return { isBuffer: Buffer.isBuffer(buf), length: buf.length, ok }
  }
  for (const len of [1, 10, 4096, 1 << 20]) {
    t.same(await check(len), { isBuffer: true, length: len, ok: true }, `${len} bytes intact`)
  }
  const empty = await core.output('emptyBuffer', 0, '')
  t.ok(Buffer.isBuffer(empty))
  t.equal(empty.length, 0)
  await balanced(t)
})

t.test('core_error: napi_task_error, code and formatted message', async t => {
  const { err, value } = await cb(core.output, 'error', -12, 'x%sy')
  t.equal(value, undefined)
  t.ok(err instanceof Error)
  t.equal(err.message, 'failed with -12 and x%sy')
  t.equal(err.code, 'ETEST_CODE')
  const noCode = await cb(core.output, 'errorNoCode', 0, 'just a message')
  t.equal(noCode.err.message, 'just a message')
  t.notOk('code' in noCode.err, 'no code property when code is NULL')
  await balanced(t)
})

t.test('core_error_uv: napi_task_error_uv, shaped exactly like fs errors', async t => {
  const missing = path.join(__dirname, 'no such dir', 'missing.txt')
  let expected
  try {
    fs.openSync(missing, 'r')
  } catch (e) {
    expected = e
  }
  const ENOENT = expected.errno
  const { err } = await cb(core.output, 'errorUv', ENOENT, missing)
  t.equal(err.message, expected.message)
  t.same(Object.keys(err), ['errno', 'code', 'syscall', 'path'], 'Node\'s fields, in its order')
  if (runtime !== 'node') {
    t.comment(`${runtime}: its own fs errors order their fields otherwise; napi-task keeps Node's order`)
  } else {
    t.same(Object.keys(err), Object.keys(expected), 'same own enumerable keys, same order')
  }
  for (const k of ['errno', 'code', 'syscall', 'path']) {
    t.equal(err[k], expected[k], k)
  }
  t.equal(err.constructor, Error)
  t.equal(err.name, 'Error')

  const noPath = await cb(core.output, 'errorUvNoPath', ENOENT, '')
  t.equal(noPath.err.message, 'ENOENT: no such file or directory, read')
  t.same(Object.keys(noPath.err), ['errno', 'code', 'syscall'])
  t.notOk('path' in noPath.err)

  // Names and messages come from uv.h's table at compile time (Bun and
  // Deno have no uv_err_name): every code libuv knows reads as Node's
  // util.getSystemErrorName says, and an unknown one as libuv's does.
  const { getSystemErrorMap } = require('util')
  if (typeof getSystemErrorMap === 'function' && runtime === 'node') {
    const wrong = []
    for (const [errno, [name, text]] of getSystemErrorMap()) {
      const r = await cb(core.output, 'errorUvNoPath', errno, '')
      if (r.err.code !== name || r.err.message !== `${name}: ${text}, read`) wrong.push([errno, r.err.message])
    }
    t.same(wrong, [], `all ${getSystemErrorMap().size} libuv codes: Node's names and messages`)
  }
  const unknown = await cb(core.output, 'errorUvNoPath', -123456, '')
  t.equal(unknown.err.message, 'Unknown system error -123456: Unknown system error -123456, read')
  t.equal(unknown.err.code, 'Unknown system error -123456')

  const bad = await cb(core.output, 'errorUv', 2, 'x')
  t.equal(bad.err.code, 'ERR_INVALID_ARG_VALUE', 'a non-negative uv code is refused')
  t.equal(bad.err.message,
    'napi_task_error_uv: uv_err must be a negative libuv error code, got 2')
  await balanced(t)
})

t.test('core_complete_throws: reaches the callback / rejection, never uncaughtException', async t => {
  const uncaught = []
  const onUncaught = e => uncaught.push(e)
  process.on('uncaughtException', onUncaught)
  t.teardown(() => process.off('uncaughtException', onUncaught))

  const thrown = await cb(core.output, 'completeThrow', 0, '')
  t.equal(thrown.err.message, 'complete threw')
  t.equal(thrown.err.code, 'ETEST')
  t.equal(thrown.value, undefined)
  await t.rejects(core.output('completeThrow', 0, ''), { message: 'complete threw' })

  const primitive = await cb(core.output, 'completeThrowPrimitive', 0, '')
  t.equal(primitive.err, 'boom', 'a thrown primitive arrives as is')
  await t.rejects(core.output('completeThrowPrimitive', 0, ''), 'boom')

  const nothing = await cb(core.output, 'completeNull', 0, '')
  t.equal(nothing.err.code, 'ERR_NAPI_TASK_NO_VALUE')
  t.equal(nothing.err.message, 'complete returned NULL without throwing')

  const nullFn = await cb(core.output, 'completeNullFn', 0, '')
  t.equal(nullFn.err.code, 'ERR_INVALID_ARG_VALUE')

  t.same(uncaught, [], 'no uncaught exception')
  await balanced(t)
})

t.test('core_callback_throws: an exception thrown by the callback itself is uncaught, as in Node', async t => {
  const err = await new Promise(resolve => {
    const listeners = process.listeners('uncaughtException')
    process.removeAllListeners('uncaughtException')
    process.once('uncaughtException', e => {
      for (const l of listeners) process.on('uncaughtException', l)
      resolve(e)
    })
    common.addOne(1, () => { throw new Error('from the callback') })
  })
  t.equal(err.message, 'from the callback')
  await balanced(t)
})

t.test('core_bad_callback: callback not a function -> TypeError, data dropped once', async t => {
  const before = common.counts()
  const wrong = [
    [undefined, 'Received undefined'],
    [null, 'Received null'],
    [42, 'Received type number (42)'],
    ['fn', "Received type string ('fn')"],
    ['a'.repeat(30), "Received type string ('aaaaaaaaaaaaaaaaaaaaaaaaa...')"],
    [true, 'Received type boolean (true)'],
    [10n, 'Received type bigint (10n)'],
    [Symbol('s'), 'Received type symbol (Symbol(s))'],
    [{}, 'Received an instance of Object'],
    [[], 'Received an instance of Array'],
    [new (class Foo {})(), 'Received an instance of Foo'],
    [Object.create(null), 'Received an instance of Object']
  ]
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  wrong.push([proxy, 'Received an instance of Object'])

  for (const [value, received] of wrong) {
    for (const fn of [core.scheduleWith, core.scheduleTaskWith]) {
      t.throws(() => fn(value), {
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message: `The "callback" argument must be of type function. ${received}`
      }, `${fn.name} ${String(typeof value)}`)
      t.equal(common.lastStatus(), napi.function_expected)
    }
  }
  const after = await balanced(t)
  t.equal(after.dropped - before.dropped, wrong.length * 2, 'each datum dropped')
  t.equal(after.consumed, before.consumed, 'no perform ran')
})

t.test('core_null_args: napi_invalid_arg, no crash, data dropped once', async t => {
  const before = common.counts()
  const s = core.nullArgs()
  t.same(s, {
    buildNullEnv: napi.invalid_arg,
    buildNullPerform: napi.invalid_arg,
    buildNullResult: napi.invalid_arg,
    buildNullDrop: napi.invalid_arg,
    scheduleNullTask: napi.invalid_arg,
    scheduleTaskNullTask: napi.invalid_arg,
    promiseNullTask: napi.invalid_arg,
    promiseNullResult: napi.invalid_arg,
    scheduleNullCallback: napi.invalid_arg,
    setNameNullTask: napi.invalid_arg,
    setNameNullName: napi.invalid_arg
  })
  const after = await balanced(t)
  t.equal(after.created - before.created, 6)
  t.equal(after.dropped - before.dropped, 6, 'the 3 failed builds, 2 failed deliveries, 1 discard')
})

t.test('core_delivered_twice: napi_invalid_arg and ERR_NAPI_TASK_DELIVERED thrown, runs once', async t => {
  const before = common.counts()
  let calls = 0
  let done
  const settled = new Promise(resolve => { done = resolve })
  const s = core.deliverTwice((err, value) => {
    calls++
    done({ err, value })
  })
  t.same(s, {
    schedule: napi.invalid_arg,
    scheduleCode: 'ERR_NAPI_TASK_DELIVERED',
    scheduleTask: napi.invalid_arg,
    scheduleTaskCode: 'ERR_NAPI_TASK_DELIVERED',
    promise: napi.invalid_arg,
    promiseCode: 'ERR_NAPI_TASK_DELIVERED',
    setName: napi.invalid_arg,
    setNameCode: null
  })
  t.same(await settled, { err: null, value: 2 })
  await new Promise(resolve => setTimeout(resolve, 20))
  t.equal(calls, 1)
  const after = await balanced(t)
  t.equal(after.consumed - before.consumed, 2, 'input consumed by perform, output by complete')
})

t.test('core_discard: drops, never runs', async t => {
  const before = common.counts()
  core.discarded(100)
  const after = await balanced(t)
  t.equal(after.dropped - before.dropped, 100)
  t.equal(after.consumed - before.consumed, 0)
})

t.test('core_async_context: AsyncLocalStorage, the store at schedule time, in the callback and after await', NO_ASYNC_CONTEXT, async t => {
  const als = new AsyncLocalStorage()
  const seen = await als.run({ id: 'cb' }, () => new Promise(resolve => {
    common.addOne(1, () => resolve(als.getStore()))
  }))
  t.same(seen, { id: 'cb' })

  const results = await Promise.all([1, 2, 3].map(i =>
    als.run({ id: i }, async () => {
      const v = await common.addOne(i)
      return { v, store: als.getStore() }
    })))
  t.same(results, [1, 2, 3].map(i => ({ v: i + 1, store: { id: i } })))

  const nested = await als.run('outer', () => new Promise(resolve => {
    common.addOne(1, () => {
      als.run('inner', () => common.addOne(2, () => resolve(als.getStore())))
    })
  }))
  t.equal(nested, 'inner')
  await balanced(t)
})

t.test('core_async_context_shared_callback: one callback shared by tasks scheduled in different stores', NO_ASYNC_CONTEXT, async t => {
  // The same function serves tasks scheduled in different contexts: each
  // call sees the store of its own schedule call.
  const als = new AsyncLocalStorage()
  const seen = []
  let left = 3
  let done
  const all = new Promise(resolve => { done = resolve })
  const shared = (err, value) => {
    seen.push([value, als.getStore()])
    if (--left === 0) done()
  }
  for (const id of ['a', 'b', 'c']) als.run(id, () => common.addOne(id.charCodeAt(0), shared))
  await all
  t.same(seen.sort((x, y) => x[0] - y[0]), [[98, 'a'], [99, 'b'], [100, 'c']])
  await balanced(t)
})

t.test('core_set_name: the async_hooks resource type; callback runs in its context', skipOn({
  bun: 'async_hooks.createHook sees no resource of a native addon (napi_async_init makes none)'
}), async t => {
  const types = new Map()
  const hook = createHook({
    init (id, type, triggerId) { types.set(id, type) }
  }).enable()
  t.teardown(() => hook.disable())
  const { executionAsyncId } = require('async_hooks')
  const [inside, value] = await new Promise(resolve => {
    core.named('my_addon:resize', 4, (err, v) => resolve([types.get(executionAsyncId()), v]))
  })
  t.equal(value, 5)
  t.equal(inside, 'my_addon:resize')
  const plain = await new Promise(resolve => {
    common.addOne(1, () => resolve(types.get(executionAsyncId())))
  })
  t.equal(plain, 'napi_task', 'the default resource type')
  await balanced(t)
})

t.test('core_many_tasks: all settle, in any order, balanced', async t => {
  const n = 5000
  const values = await Promise.all(Array.from({ length: n }, (_, i) => common.addOne(i)))
  t.equal(values.length, n)
  t.ok(values.every((v, i) => v === i + 1))
  const viaCb = await Promise.all(Array.from({ length: n }, (_, i) => cb(common.addOne, i)))
  t.ok(viaCb.every(({ err, value }, i) => err === null && value === i + 1))
  await balanced(t)
})

t.test('core_one_in_flight: each task delivered when the last settles (a runner may linger for it), exact values, balanced', async t => {
  // The case a lingering runner is for (src/runner.c, "Lingering"): the
  // next task comes from the last one's callback or after its await.
  // Whether a linger catches it is timing; the values and the ledger are
  // the same either way.
  const n = 2000
  const viaCb = await new Promise(resolve => {
    const got = []
    const next = (err, value) => {
      got.push(err === null ? value : err)
      if (got.length === n) resolve(got)
      else common.addOne(got.length, next)
    }
    common.addOne(0, next)
  })
  t.same(viaCb, Array.from({ length: n }, (_, i) => i + 1), 'callbacks: 1 .. n, in order')
  const awaited = []
  for (let i = 0; i < n; i++) awaited.push(await common.addOne(i))
  t.same(awaited, Array.from({ length: n }, (_, i) => i + 1), 'await loop: 1 .. n, in order')
  await balanced(t)
})

t.test('core_instance_data: the addon keeps its instance-data slot', async t => {
  t.equal(addon.instanceDataOk(), true)
})
