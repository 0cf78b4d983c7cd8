'use strict'
// AbortSignal cancellation: aborted at delivery, while queued, while
// running, after perform returned; the shared listener and its removal;
// bad signals. Each scenario by callback and by promise, and balanced.
const t = require('./fixtures/tap')
const { runtime, skipOn } = require('./fixtures/runtime')
const checkBalanced = require('./fixtures/balanced')
const bare = require('./fixtures/bare')
const path = require('path')
const { getEventListeners, setMaxListeners } = require('events')
const aliveAfterGc = require('./fixtures/alive')

const addon = require(process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node'))
const { common } = addon

const POOL = common.poolSize()
const GATE = 8
const napi = { ok: 0, invalid_arg: 1, object_expected: 2 }

// Settles { err, value } by callback or by promise.
const deliveries = {
  callback: (opts) => new Promise(resolve =>
    common.run(opts, (err, value) => resolve({ err, value }))),
  promise: (opts) => common.run(opts).then(
    value => ({ err: null, value }), err => ({ err, value: undefined })),
}

const balanced = (t) => checkBalanced(t, common.counts())

const isAbortError = (t, err, signal) => {
  t.type(err, Error, 'an Error')
  t.equal(err.name, 'AbortError')
  t.equal(err.code, 'ABORT_ERR')
  t.equal(err.message, 'The operation was aborted')
  t.equal(err.cause, signal.reason, 'cause is signal.reason')
}

const tick = () => new Promise(resolve => setImmediate(resolve))
// Lets the loop turn until cond() holds (waits on counts, never on time).
const until = async (cond) => { while (!cond()) await tick() }

// Fills the pool with POOL tasks blocked on GATE and resolves once every
// one of them waits there; returns their settlements.
const fillPool = async () => {
  common.gateDrain(GATE)
  const held = Array.from({ length: POOL }, (_, i) =>
    deliveries.promise({ gate: GATE, value: 100 + i }))
  await until(() => common.gateWaiting(GATE) === POOL)
  return held
}

const reasons = {
  default: undefined,
  primitive: 'stop, please',
  error: new Error('custom reason'),
}

for (const [how, deliver] of Object.entries(deliveries)) {
  for (const [kind, reason] of Object.entries(reasons)) {
    t.test(`signal_aborted_at_delivery (${how}, ${kind} reason): perform never runs`, async t => {
      common.reset()
      const before = common.counts()
      const ac = new AbortController()
      ac.abort(reason)
      let sync = true
      const p = deliver({ value: 1, signal: ac.signal }).then(r => ({ ...r, sync }))
      sync = false
      const { err, value, sync: wasSync } = await p
      t.equal(wasSync, false, 'settles on a later turn, not inside delivery')
      isAbortError(t, err, ac.signal)
      if (kind !== 'default') t.equal(err.cause, reason)
      t.equal(value, undefined)
      t.equal(common.counters().performs, 0, 'perform never ran')
      t.equal(getEventListeners(ac.signal, 'abort').length, 0, 'no listener left')
      const c = balanced(t)
      t.equal(c.dropped - before.dropped, 1, 'the data was dropped once')
    })
  }

  t.test(`signal_aborted_while_queued (${how}): settles before a thread frees, data dropped once`, async t => {
    const held = await fillPool()
    common.reset()
    const before = common.counts()
    const ac = new AbortController()
    const p = deliver({ value: 7, signal: ac.signal })
    await tick()
    t.equal(getEventListeners(ac.signal, 'abort').length, 1, 'one listener while queued')
    ac.abort('queued')
    const { err } = await p
    t.equal(common.gateWaiting(GATE), POOL, 'settled while the pool is still full')
    isAbortError(t, err, ac.signal)
    t.equal(err.cause, 'queued')
    t.equal(common.counters().performs, 0, 'perform never ran')
    t.equal(getEventListeners(ac.signal, 'abort').length, 0, 'listener removed')
    const after = common.counts()
    t.equal(after.dropped - before.dropped, 1, 'the data was dropped once')
    t.equal(after.created - before.created, 1, 'one datum, never run')
    common.gateOpen(GATE, POOL)
    const values = (await Promise.all(held)).map(r => r.value)
    t.same(values, Array.from({ length: POOL }, (_, i) => 100 + i))
    balanced(t)
  })

  t.test(`signal_aborted_while_running (${how}): cancelled turns true, output dropped`, async t => {
    common.reset()
    const before = common.counts()
    const ac = new AbortController()
    const p = deliver({ value: 3, spin: true, output: 'string', signal: ac.signal })
    await until(() => common.counters().spinning === 1)
    ac.abort(new TypeError('running'))
    const { err, value } = await p
    isAbortError(t, err, ac.signal)
    t.equal(err.cause.message, 'running')
    t.equal(value, undefined)
    const c = common.counters()
    t.equal(c.performs, 1, 'perform ran once')
    t.equal(c.cancelledSeen, 1, 'napi_task_cancelled turned true inside perform')
    t.equal(getEventListeners(ac.signal, 'abort').length, 0, 'listener removed')
    const after = balanced(t)
    // The task's data was consumed by perform; its owned output string
    // was dropped, never converted.
    t.equal(after.created - before.created, 2, 'data + output string')
    t.equal(after.consumed - before.consumed, 1, 'perform consumed its data')
    t.equal(after.dropped - before.dropped, 1, 'the output was dropped once')
  })

  t.test(`signal_aborted_after_perform (${how}): the AbortError wins, output dropped`, async t => {
    // The task waits on a gate; once it runs, JS opens the gate and stays
    // blocked until perform has returned, then aborts: no batch can have
    // settled the task in between.
    common.gateDrain(GATE + 1)
    common.reset()
    const before = common.counts()
    const ac = new AbortController()
    const p = deliver({ value: 1, output: 'string', signal: ac.signal, gate: GATE + 1 })
    await until(() => common.gateWaiting(GATE + 1) === 1)
    common.gateOpen(GATE + 1, 1)
    t.equal(common.waitFor('finished', 1), true, 'perform returned')
    ac.abort('late')
    const { err, value } = await p
    isAbortError(t, err, ac.signal)
    t.equal(err.cause, 'late')
    t.equal(value, undefined)
    t.equal(common.counters().cancelledSeen, 0, 'perform never saw the abort')
    const after = balanced(t)
    t.equal(after.created - before.created, 2, 'data + output string')
    t.equal(after.dropped - before.dropped, 1, 'the finished output was dropped once')
  })
}

t.test('signal_shared_by_1000_tasks: one listener, no warning, removed after settle', async t => {
  // Every warning is recorded; MaxListenersExceededWarning is kept from
  // printing (the control at the end raises one on purpose). The rest go
  // on as usual.
  const warnings = []
  const onWarning = w => warnings.push(w)
  const emitWarning = process.emitWarning
  process.emitWarning = function (w, ...rest) {
    if (w && w.name === 'MaxListenersExceededWarning') return warnings.push(w)
    return emitWarning.call(this, w, ...rest)
  }
  process.on('warning', onWarning)
  t.teardown(() => {
    process.emitWarning = emitWarning
    process.off('warning', onWarning)
  })

  const held = await fillPool()
  common.reset()
  const before = common.counts()
  // Node 22.13 and later give AbortSignal no default listener limit: every
  // signal here gets Node's usual limit of 10, so that the check means the
  // same on every version.
  const ac = new AbortController()
  setMaxListeners(10, ac.signal)
  const all = []
  for (let i = 0; i < 1000; i++) {
    all.push(deliveries[i % 2 ? 'callback' : 'promise']({ value: i, signal: ac.signal }))
  }
  t.equal(getEventListeners(ac.signal, 'abort').length, 1, 'one listener for 1000 tasks')
  common.gateOpen(GATE, POOL)
  await Promise.all(held)
  const results = await Promise.all(all)
  t.ok(results.every((r, i) => r.err === null && r.value === i), 'all 1000 values')
  t.equal(getEventListeners(ac.signal, 'abort').length, 0, 'listener removed')

  // Abort with 1000 waiting: POOL are running (blocked on the gate), the
  // rest are queued and settle at once.
  const ac2 = new AbortController()
  setMaxListeners(10, ac2.signal)
  const running = []
  const queued = []
  common.gateDrain(GATE + 2)
  for (let i = 0; i < POOL; i++) {
    running.push(deliveries.promise({ value: i, signal: ac2.signal, gate: GATE + 2 }))
  }
  await until(() => common.gateWaiting(GATE + 2) === POOL)
  for (let i = 0; i < 1000 - POOL; i++) {
    queued.push(deliveries[i % 2 ? 'callback' : 'promise']({ value: i, signal: ac2.signal }))
  }
  t.equal(getEventListeners(ac2.signal, 'abort').length, 1, 'still one listener')
  const performsBefore = common.counters().performs
  ac2.abort()
  const q = await Promise.all(queued)
  t.ok(q.every(r => r.err && r.err.name === 'AbortError' && r.err.cause === ac2.signal.reason),
    'every queued task rejected with the AbortError')
  t.equal(common.gateWaiting(GATE + 2), POOL, 'while the running ones still run')
  if (runtime === 'deno') {
    // Deno runs uv_queue_work on threads of its own, not a FIFO pool of
    // UV_THREADPOOL_SIZE: a runner napi-task adds while tasks run long (up
    // to twice the pool) starts at once there, and may take queued tasks
    // in the moment before the abort (docs/setup.md). The abort still
    // stops the rest, and every queued task settled with the AbortError.
    t.ok(common.counters().performs - performsBefore < 1000 - POOL,
      'deno: the abort stopped the queued performs not yet started')
  } else {
    t.equal(common.counters().performs, performsBefore, 'no queued perform ran')
  }
  common.gateOpen(GATE + 2, POOL)
  const r = await Promise.all(running)
  t.ok(r.every(x => x.err && x.err.name === 'AbortError'), 'running ones too')
  t.equal(getEventListeners(ac2.signal, 'abort').length, 0, 'listener removed')

  await tick()
  await tick()
  t.same(warnings.filter(w => w.name === 'MaxListenersExceededWarning'), [],
    'no MaxListenersExceededWarning')
  const after = balanced(t)
  t.equal(after.dropped - before.dropped, 1000,
    'the queued tasks\' data and the running tasks\' outputs, once each')

  // The check above can fail: eleven plain listeners on one signal do warn.
  const ac3 = new AbortController()
  setMaxListeners(10, ac3.signal)
  for (let i = 0; i < 11; i++) ac3.signal.addEventListener('abort', () => {})
  await tick()
  await tick()
  if (runtime !== 'node') {
    t.comment(`${runtime}: EventTarget never raises MaxListenersExceededWarning, so the control cannot`)
  } else {
    t.ok(warnings.some(w => w.name === 'MaxListenersExceededWarning'),
      'control: 11 plain listeners raise the warning')
  }
})

t.test('signal_listener_stays: while a task remains', async t => {
  const ac = new AbortController()
  common.gateDrain(GATE + 3)
  const slow = deliveries.promise({ value: 1, signal: ac.signal, gate: GATE + 3 })
  const quick = await deliveries.promise({ value: 2, signal: ac.signal })
  t.same(quick, { err: null, value: 2 })
  t.equal(getEventListeners(ac.signal, 'abort').length, 1,
    'the listener stays for the task still in flight')
  common.gateOpen(GATE + 3, 1)
  t.same(await slow, { err: null, value: 1 })
  t.equal(getEventListeners(ac.signal, 'abort').length, 0, 'then it goes')
  // A later task on the same signal attaches afresh.
  const again = deliveries.callback({ value: 3, signal: ac.signal })
  t.equal(getEventListeners(ac.signal, 'abort').length, 1)
  t.same(await again, { err: null, value: 3 })
  t.equal(getEventListeners(ac.signal, 'abort').length, 0)
  balanced(t)
})

t.test('signal_not_an_abort_signal: TypeError ERR_INVALID_ARG_TYPE, data dropped', async t => {
  const fake = { aborted: false, reason: undefined, addEventListener () {} }
  for (const bad of [fake, {}, 1, 'signal', null, new EventTarget()]) {
    const before = common.counts()
    t.throws(() => common.run({ value: 1, signal: bad }, () => t.fail('never called')), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message: /The "signal" argument must be an instance of AbortSignal/,
    }, `rejects ${typeof bad} ${bad && bad.constructor ? bad.constructor.name : bad}`)
    t.equal(common.lastStatus(), napi.object_expected)
    const after = common.counts()
    t.equal(after.dropped - before.dropped, 1, 'the discarded task dropped its data once')
  }
  // undefined is "no signal at all" in this addon; a real AbortSignal
  // from AbortSignal.abort() is accepted.
  const { err } = await deliveries.promise({ value: 1, signal: AbortSignal.abort('x') })
  t.equal(err.name, 'AbortError')
  t.equal(err.cause, 'x')
  await tick()
  balanced(t)
})

t.test('signal_add_listener_throws: the exception propagates, the signal stays usable', async t => {
  const ac = new AbortController()
  const boom = new Error('addEventListener refused')
  ac.signal.addEventListener = () => { throw boom }
  const before = common.counts()
  t.throws(() => common.run({ value: 1, signal: ac.signal }, () => t.fail('never called')),
    boom, 'the exception thrown by addEventListener')
  t.equal(common.counts().dropped - before.dropped, 1, 'the data was dropped once')
  t.same(Object.getOwnPropertySymbols(ac.signal).filter(k => k.description === 'napi_task.signal'),
    [], 'no record left on the signal')
  delete ac.signal.addEventListener
  // The same signal, now well-behaved, works (a stale record would not).
  const p = common.run({ value: 2, spin: true, signal: ac.signal })
  await until(() => common.counters().spinning === 1)
  t.equal(getEventListeners(ac.signal, 'abort').length, 1)
  ac.abort('after')
  await t.rejects(p, { name: 'AbortError', cause: 'after' })
  t.equal(getEventListeners(ac.signal, 'abort').length, 0)
  balanced(t)
})

t.test('signal_add_listener_seals_and_throws: later tasks on the signal still work', skipOn({
  deno: 'its EventTarget cannot take a listener on a non-extensible signal: delivery fails with its TypeError'
}), async t => {
  common.reset()
  const ac = new AbortController()
  const boom = new Error('sealed and refused')
  ac.signal.addEventListener = function () {
    Object.seal(this)
    throw boom
  }
  t.throws(() => common.run({ value: 1, signal: ac.signal }, () => t.fail('never called')), boom)
  // The record is stuck on the sealed signal; its own listener never got
  // on. Restore addEventListener (the property is still writable).
  ac.signal.addEventListener = EventTarget.prototype.addEventListener
  t.equal(await common.run({ value: 2, signal: ac.signal }), 2, 'a later task works')
  const p = common.run({ value: 3, spin: true, signal: ac.signal })
  await until(() => common.counters().spinning === 1)
  ac.abort('after')
  await t.rejects(p, { name: 'AbortError', cause: 'after' }, 'and is aborted')
  balanced(t)
})

t.test('signal_remove_listener_throws: uncaught exception, the listener left behind is harmless', async t => {
  // In a worker: the exception thrown by removeEventListener is an
  // uncaught exception there. The listener stays on the signal; when the
  // signal aborts later it must find nothing to do (not freed memory).
  const { Worker } = require('worker_threads')
  const addonPath = process.env.NAPI_TASK_TEST_ADDON ||
    path.join(__dirname, '..', 'build', 'Release', 'test_addon.node')
  const result = await new Promise((resolve, reject) => {
    const w = new Worker(`
      const { parentPort, workerData } = require('worker_threads')
      const { getEventListeners } = require('events')
      const { common } = require(workerData.addon)
      const caught = []
      process.on('uncaughtException', e => caught.push(e.message))
      const ac = new AbortController()
      ac.signal.removeEventListener = () => { throw new Error('remove refused') }
      common.run({ value: 1, signal: ac.signal }, (err, value) => {
        setImmediate(() => {
          const left = getEventListeners(ac.signal, 'abort').length
          ac.abort('later')
          common.run({ value: 2, signal: ac.signal }, (err2) => {
            parentPort.postMessage({ value, caught, left, late: err2 && err2.name })
          })
        })
      })
    `, { eval: true, ...bare, workerData: { addon: addonPath } })
    w.on('message', resolve)
    w.on('error', reject)
  })
  t.same(result, { value: 1, caught: ['remove refused'], left: 1, late: 'AbortError' })
  balanced(t)
})

t.test('signal_not_extensible: sealed, frozen or non-extensible signals work', skipOn({
  deno: 'its EventTarget cannot take a listener on a non-extensible signal: delivery fails with its TypeError'
}), async t => {
  // Non-extensible before any task: no record can be stored on it, so each
  // task listens by itself.
  common.reset()
  const closed = new AbortController()
  Object.preventExtensions(closed.signal)
  t.equal(await common.run({ value: 1, signal: closed.signal }), 1, 'delivered and settled')
  t.equal(getEventListeners(closed.signal, 'abort').length, 0, 'no listener left')
  const p1 = common.run({ value: 2, spin: true, signal: closed.signal })
  const p2 = common.run({ value: 3, spin: true, signal: closed.signal })
  await until(() => common.counters().spinning === 2)
  t.equal(getEventListeners(closed.signal, 'abort').length, 2, 'one listener per task')
  closed.abort('closed')
  // Both handlers attach before either promise can reject, so no rejection
  // is ever unhandled, however the loop is scheduled.
  await Promise.all([
    t.rejects(p1, { name: 'AbortError', cause: 'closed' }),
    t.rejects(p2, { name: 'AbortError', cause: 'closed' })
  ])
  t.equal(getEventListeners(closed.signal, 'abort').length, 0, 'no listener left')

  // Sealed after a task stored its record: the record cannot come off, so
  // it stays (idle, its listener too) and later tasks share it.
  common.reset()
  common.gateDrain(GATE + 4)
  const sealed = new AbortController()
  const held = common.run({ value: 4, signal: sealed.signal, gate: GATE + 4 })
  Object.seal(sealed.signal) // while the task (and its record) is attached
  common.gateOpen(GATE + 4, 1)
  t.equal(await held, 4)
  t.equal(getEventListeners(sealed.signal, 'abort').length, 1,
    'the record could not come off: it stays, idle, with its listener')
  t.equal(await common.run({ value: 5, signal: sealed.signal }), 5, 'a later task reuses it')
  const p3 = common.run({ value: 6, spin: true, signal: sealed.signal })
  t.equal(getEventListeners(sealed.signal, 'abort').length, 1, 'still one listener')
  await until(() => common.counters().spinning === 1)
  sealed.abort('sealed')
  await t.rejects(p3, { name: 'AbortError', cause: 'sealed' })

  // Frozen (Node itself can no longer abort such a signal): tasks still
  // deliver and settle, before and after the freeze.
  const frozen = new AbortController()
  t.equal(await common.run({ value: 7, signal: frozen.signal }), 7)
  Object.freeze(frozen.signal)
  t.equal(await common.run({ value: 8, signal: frozen.signal }), 8)
  const cold = new AbortController()
  Object.freeze(cold.signal)
  t.equal(await common.run({ value: 9, signal: cold.signal }), 9)
  balanced(t)
})

t.test('signal_timeout_and_any: AbortSignal.timeout() and AbortSignal.any() work too', async t => {
  common.reset()
  const timeout = AbortSignal.timeout(10)
  await t.rejects(common.run({ value: 1, spin: true, signal: timeout }), {
    name: 'AbortError', code: 'ABORT_ERR', cause: { name: 'TimeoutError' },
  }, 'a task stopped by a timeout signal')
  // Whether the 10 ms ran out before a thread started the perform is the
  // machine's: on a loaded one it may not have started. Either way, a
  // perform that started saw the cancel.
  const first = common.counters()
  t.equal(first.cancelledSeen, first.performs, 'the perform, if it started, saw the cancel')
  const ac = new AbortController()
  const any = AbortSignal.any([ac.signal, AbortSignal.timeout(60000)])
  const p = common.run({ value: 2, spin: true, signal: any })
  await until(() => common.counters().spinning === 1)
  ac.abort('from any')
  await t.rejects(p, { name: 'AbortError', cause: 'from any' })
  t.equal(common.counters().cancelledSeen, first.cancelledSeen + 1, 'the running perform saw the cancel')
  t.equal(getEventListeners(any, 'abort').length, 0)
  balanced(t)
})

t.test('signal_abort_from_the_task_callback: other tasks in the same batch', async t => {
  // A callback aborts the signal that later tasks of the same batch share.
  const ac = new AbortController()
  const results = []
  await new Promise(resolve => {
    let n = 0
    for (let i = 0; i < 20; i++) {
      common.run({ value: i, signal: ac.signal }, (err, value) => {
        results.push(err ? 'abort' : value)
        if (n === 0) ac.abort()
        if (++n === 20) resolve()
      })
    }
  })
  t.equal(results.length, 20, 'every task settled once')
  t.not(results[0], 'abort', 'the first one finished')
  const values = results.filter(r => r !== 'abort')
  t.equal(new Set(values).size, values.length, 'no value twice: ' + results.join(','))
  t.ok(values.every(v => v >= 0 && v < 20))
  t.equal(getEventListeners(ac.signal, 'abort').length, 0)
  balanced(t)
})

t.test('signal_failed_delivery_lets_go: a failed delivery lets go of its callback, even with an exception pending', async t => {
  // addEventListener throws: delivery fails after the callback was stored,
  // with the exception pending. The callback must not stay reachable.
  const ac = new AbortController()
  ac.signal.addEventListener = () => { throw new Error('refused') }
  const refs = []
  const thrown = []
  let called = 0
  // In a function of its own: a suspended async function keeps stale
  // registers, which would keep the last callback alive. And not
  // t.throws: tap keeps the function it is given, and so the callback.
  const attempt = i => {
    const big = new Array(1000).fill(i)
    const callback = () => { called += big.length }
    refs.push(new WeakRef(callback))
    try {
      common.run({ value: i, signal: ac.signal }, callback)
    } catch (e) {
      thrown.push(e.message)
    }
  }
  for (let i = 0; i < 20; i++) attempt(i)
  t.same(thrown, new Array(20).fill('refused'), 'every delivery threw addEventListener\'s error')
  const alive = await aliveAfterGc(refs)
  t.equal(alive, 0, `no callback of a failed delivery is kept (${alive} of 20 alive)`)
  t.equal(called, 0, 'none was called')
  balanced(t)
})

t.test('signal_abort_error_setter_throws: a throwing setter on Error.prototype cannot stop the callback', async t => {
  // The AbortError's code and name are defined, not assigned.
  const desc = Object.getOwnPropertyDescriptor(Error.prototype, 'code')
  Object.defineProperty(Error.prototype, 'code', {
    configurable: true, set () { throw new Error('trap') }, get () { return undefined }
  })
  t.teardown(() => {
    if (desc) Object.defineProperty(Error.prototype, 'code', desc)
    else delete Error.prototype.code
  })
  const { err, value } = await deliveries.callback({ value: 1, signal: AbortSignal.abort('why') })
  t.equal(value, undefined)
  t.equal(err.name, 'AbortError')
  t.equal(err.code, 'ABORT_ERR')
  t.equal(err.cause, 'why')
  t.same(Object.keys(err), ['code', 'name'], 'code and name enumerable, cause not, as Node\'s')
  balanced(t)
})
