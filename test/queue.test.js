'use strict'
// Queues (lanes): at most max_running of a queue's tasks run at once, FIFO
// within a queue; a full queue holds back nobody else; release while tasks
// wait; bad input.
const t = require('./fixtures/tap')
const { skipOn } = require('./fixtures/runtime')
const checkBalanced = require('./fixtures/balanced')
const bare = require('./fixtures/bare')
const path = require('path')
const { Worker } = require('worker_threads')

const addonPath = process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node')
const { queue, common } = require(addonPath)

const POOL = common.poolSize()
const G1 = 12
const G2 = 13
const napi = { ok: 0, invalid_arg: 1 }

const tick = () => new Promise(resolve => setImmediate(resolve))
const until = async (cond) => { while (!cond()) await tick() }
const range = (n, f = x => x) => Array.from({ length: n }, (_, i) => f(i))

const balanced = (t) => checkBalanced(t, common.counts())

t.test('queue_max_running: the most seen running at once is exactly the cap', POOL < 4 ? skipOn({
  bun: `its threadpool has one thread per CPU (${POOL} here) whatever UV_THREADPOOL_SIZE says; this needs 4`
}) : {}, async t => {
  t.ok(POOL >= 4, 'needs a pool of 4')
  common.reset()
  common.gateDrain(G1)
  common.gateDrain(G2)
  const one = common.queueCreate(1)
  const three = common.queueCreate(3)
  const all = []
  for (let i = 0; i < 30; i++) {
    all.push(common.run({ value: i, queue: one, lane: 0, gate: G1 }))
    all.push(common.run({ value: i, queue: three, lane: 1, gate: G2 }))
  }
  await until(() => common.gateWaiting(G1) === 1 && common.gateWaiting(G2) === 3)
  // Let the loop turn a few more times: nothing else may start.
  for (let i = 0; i < 20; i++) await tick()
  t.equal(common.gateWaiting(G1), 1, 'queue of 1: one running')
  t.equal(common.gateWaiting(G2), 3, 'queue of 3: three running')
  t.equal(common.counters().performs, 4, 'no other perform started')
  common.gateOpen(G1, 30)
  common.gateOpen(G2, 30)
  const values = await Promise.all(all)
  t.same(values, range(30).flatMap(i => [i, i]))
  t.same(common.counters().laneMax.slice(0, 2), [1, 3], 'max concurrency seen inside perform')
  t.equal(common.queueRelease(one), napi.ok)
  t.equal(common.queueRelease(three), napi.ok)
  balanced(t)
})

t.test('queue_max_running_busy: never above the cap with short CPU tasks', async t => {
  common.reset()
  const q = common.queueCreate(2)
  const all = range(300, i => common.run({ value: i, queue: q, lane: 2, busyUs: 200 }))
  const free = range(100, i => common.run({ value: i, busyUs: 200 }))
  await Promise.all([...all, ...free])
  const max = common.counters().laneMax[2]
  t.ok(max >= 1 && max <= 2, `max running seen: ${max}`)
  t.equal(common.queueRelease(q), napi.ok)
  balanced(t)
})

t.test('queue_fifo: a queue of 1 starts its tasks in delivery order', async t => {
  common.reset()
  common.gateDrain(G1)
  const q = common.queueCreate(1)
  const settled = []
  const all = range(100, i => new Promise(resolve =>
    common.run({ value: i, queue: q, gate: G1 }, (err, v) => {
      settled.push(v)
      resolve(err)
    })))
  await until(() => common.gateWaiting(G1) === 1)
  common.gateOpen(G1, 100)
  t.same(await Promise.all(all), range(100, () => null))
  t.same(common.counters().order, range(100), 'started in FIFO order')
  t.same(settled, range(100), 'and settled in it')
  t.equal(common.queueRelease(q), napi.ok)
  balanced(t)
})

t.test('queue_fifo_with_abort: an aborted waiting task leaves, the rest keep order', async t => {
  common.reset()
  common.gateDrain(G1)
  const q = common.queueCreate(1)
  const ac = new AbortController()
  const before = common.counts()
  const first = common.run({ value: 0, queue: q, gate: G1 })
  await until(() => common.gateWaiting(G1) === 1)
  const middle = common.run({ value: 1, queue: q, signal: ac.signal })
  const last = common.run({ value: 2, queue: q })
  ac.abort()
  await t.rejects(middle, { name: 'AbortError' }, 'settles while the queue is full')
  t.equal(common.gateWaiting(G1), 1, 'the first still runs')
  t.equal(common.counts().dropped - before.dropped, 1, 'its data dropped once')
  common.gateOpen(G1, 1)
  t.same(await Promise.all([first, last]), [0, 2])
  t.same(common.counters().order, [0, 2])
  t.equal(common.queueRelease(q), napi.ok)
  balanced(t)
})

t.test('queue_abort_ready: aborting a task that holds a slot frees the slot', async t => {
  // The pool is full, so the queue's first two tasks wait in the backlog
  // holding both slots of the queue; the third waits in the queue. Aborting
  // the first must hand its slot to the third.
  common.reset()
  common.gateDrain(G1)
  const fillers = range(POOL, i => common.run({ value: 100 + i, gate: G1 }))
  await until(() => common.gateWaiting(G1) === POOL)
  const q = common.queueCreate(2)
  const ac = new AbortController()
  const a = common.run({ value: 1, queue: q, lane: 3, signal: ac.signal })
  const b = common.run({ value: 2, queue: q, lane: 3 })
  const c = common.run({ value: 3, queue: q, lane: 3 })
  ac.abort()
  await t.rejects(a, { name: 'AbortError' })
  common.gateOpen(G1, POOL)
  t.same(await Promise.all([b, c]), [2, 3], 'both others ran')
  await Promise.all(fillers)
  t.ok(common.counters().laneMax[3] <= 2)
  t.equal(common.queueRelease(q), napi.ok)
  balanced(t)
})

t.test('queue_full_holds_back_nobody_else: other queues and queue-less tasks run', async t => {
  common.reset()
  common.gateDrain(G1)
  const full = common.queueCreate(1)
  const other = common.queueCreate(2)
  const blocked = range(10, i => common.run({ value: i, queue: full, gate: G1 }))
  await until(() => common.gateWaiting(G1) === 1)
  const free = range(20, i => common.run({ value: 100 + i }))
  const lane = range(20, i => common.run({ value: 200 + i, queue: other }))
  t.same(await Promise.all(free), range(20, i => 100 + i), 'queue-less tasks settled')
  t.same(await Promise.all(lane), range(20, i => 200 + i), 'the other queue\'s tasks settled')
  t.equal(common.gateWaiting(G1), 1, 'while the full queue still runs its first task')
  t.equal(common.counters().performs, 41, 'and its other 9 never started')
  common.gateOpen(G1, 10)
  t.same(await Promise.all(blocked), range(10))
  t.equal(common.queueRelease(full), napi.ok)
  t.equal(common.queueRelease(other), napi.ok)
  balanced(t)
})

t.test('queue_release_with_tasks: they still run and settle; the handle refuses new tasks', async t => {
  common.reset()
  common.gateDrain(G1)
  const q = common.queueCreate(1)
  const all = range(10, i => common.run({ value: i, queue: q, gate: G1 }))
  await until(() => common.gateWaiting(G1) === 1)
  t.equal(common.queueRelease(q), napi.ok, 'released with 10 tasks in it')
  // The queue lives on while its tasks hold it: set_queue refuses it.
  const before = common.counts()
  t.equal(common.run({ value: 99, queue: q }, () => t.fail('never called')), undefined)
  t.equal(common.lastStatus(), napi.invalid_arg, 'set_queue on a released queue')
  t.equal(common.counts().dropped - before.dropped, 1, 'that task\'s data dropped once')
  common.gateOpen(G1, 10)
  t.same(await Promise.all(all), range(10), 'all ten settled, in order')
  t.same(common.counters().order, range(10))
  balanced(t)
})

t.test('queue_bad_input: 0, NULL, another env', async t => {
  t.same(queue.createZero(), { status: napi.invalid_arg, cleared: true },
    'max_running 0: napi_invalid_arg, *result set to NULL')
  t.equal(common.queueCreate(0), null)
  t.equal(common.lastStatus(), napi.invalid_arg)
  t.equal(common.queueRelease(undefined), napi.invalid_arg, 'release(NULL)')

  // A queue of the main thread's env, carried into a worker.
  const q = common.queueCreate(1)
  const status = await new Promise((resolve, reject) => {
    const w = new Worker(`
      const { parentPort, workerData } = require('worker_threads')
      const { queue, common } = require(workerData.addon)
      const q = queue.fromAddress(workerData.address)
      common.run({ value: 1, queue: q }, () => {})
      parentPort.postMessage(common.lastStatus())
    `, { eval: true, ...bare, workerData: { addon: addonPath, address: queue.address(q) } })
    w.on('message', resolve)
    w.on('error', reject)
  })
  t.equal(status, napi.invalid_arg, 'set_queue with a queue of another env')
  // The queue still works where it belongs.
  t.equal(await common.run({ value: 5, queue: q }), 5)
  t.equal(common.queueRelease(q), napi.ok)
  balanced(t)
})
