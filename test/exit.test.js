'use strict'
// process.exit() with a backlog, in a child process: the exit is prompt (it
// does not wait for the backlog), only what was already running finishes,
// nothing is consumed or dropped twice, and nothing hangs, also when the
// exit happens while performs wait in call_js or from inside a callback,
// on_progress or a call_js fn. The child is test/fixtures/torture/exit.js;
// its counters come from the test addon's atexit handler, which runs after
// Node has joined the threadpool (so they are final).
const t = require('./fixtures/tap')
const path = require('path')
const { spawn } = require('child_process')

// Some 75 child processes: more than tap's default 300 s per file under
// the sanitizers on a loaded machine (mini-tap, under linger.test.js, has
// no file timeout).
if (t.setTimeout) t.setTimeout(900000)

const fixture = path.join(__dirname, 'fixtures', 'torture', 'exit.js')
const POOL = Number(process.env.UV_THREADPOOL_SIZE || 4)
// How long a child may take from its process.exit() call to its end.
const HANG_MS = Number(process.env.EXIT_HANG_MS || 20000)

// Runs the child; resolves with its exit, the two counter lines and the
// wall time from the exit call to the atexit handler. A child that has not
// exited hangMs after its exit call (or 120 s after it started, for a
// child that never gets there) is killed (SIGKILL) and reported as hung.
// The clock starts at the exit call because start-up is slow under the
// sanitizers (seconds under TSan with tap's hooks).
const run = (scenario, hangMs = HANG_MS, file = fixture, args = [scenario], env = process.env) => new Promise(resolve => {
  const child = spawn(process.execPath, [file, ...args],
    { stdio: ['ignore', 'ignore', 'pipe'], env })
  let err = ''
  let hung = false
  const kill = () => { hung = true; child.kill('SIGKILL') }
  let timer = setTimeout(kill, 120000)
  child.stderr.setEncoding('utf8').on('data', d => {
    const before = err
    err += d
    if (!before.includes('NAPI_TASK_EXIT') && err.includes('NAPI_TASK_EXIT')) {
      clearTimeout(timer)
      timer = setTimeout(kill, hangMs)
    }
  })
  child.on('exit', (code, signal) => {
    clearTimeout(timer)
    const line = tag => {
      const m = err.match(new RegExp(`^${tag} (.*)$`, 'm'))
      return m ? JSON.parse(m[1]) : null
    }
    const exit = line('NAPI_TASK_EXIT')
    const atExit = line('NAPI_TASK_ATEXIT')
    const ms = exit && atExit ? Number(BigInt(atExit.ns) - BigInt(exit.ns)) / 1e6 : NaN
    const worker = err.match(/^NAPI_TASK_WORKER_EXIT (\d+)$/m)
    resolve({ code, signal, hung, hangMs, exit, atExit, ms, stderr: err, workerCode: worker ? Number(worker[1]) : null })
  })
})

const check = (t, r, label, todo) => {
  const o = todo ? { todo } : {}
  t.notOk(r.hung, `${label}: the process exits (not killed ${r.hangMs} ms after its exit call)`, o)
  // On a failure the child's stderr says why (a sanitizer report, an
  // uncaught exception).
  t.equal(r.code, 0, `${label}: exit code 0`,
    r.code === 0 ? o : { ...o, signal: r.signal, stderr: r.stderr.slice(-6000) })
  t.ok(r.exit && r.atExit, `${label}: both counter lines printed`,
    r.exit && r.atExit ? o : { ...o, stderr: r.stderr.slice(-3000) })
  if (!r.exit || !r.atExit) return
  t.comment(`${label}: exit took ${r.ms.toFixed(1)} ms from process.exit() to the atexit handler; ` +
    `${r.atExit.started} of 20,000+ tasks started`)
  // At process.exit() the runners already in libuv's queue still run: each
  // finishes its task and takes at most one more (a 2 ms task exceeds the
  // runner's 1 ms budget), so at most POOL more start; the rest of the
  // backlog costs nothing.
  t.ok(r.atExit.started - r.exit.started <= 2 * POOL,
    `${label}: ${r.atExit.started - r.exit.started} tasks started after the exit call (bound ${2 * POOL})`)
  t.equal(r.atExit.finished, r.atExit.started, `${label}: every perform that started finished before exit`)
  t.equal(r.atExit.callJsOther, 0, `${label}: call_js never returned an unexpected status`)
  ledger(t, r, label)
}

// Every datum handed to napi-task was consumed or dropped exactly once by
// the time the process ended (the atexit line), also on the main thread,
// where no cleanup hook runs; but for the bytes of buffer outputs already
// delivered, which belong to their JS Buffer (the child counts them).
const ledger = (t, r, label) => {
  const a = r.atExit
  const inJs = (r.exit && r.exit.buffersInJs) || 0
  t.equal(a.created, a.consumed + a.dropped + inJs,
    `${label}: ledger balanced at exit (${a.created} created = ${a.consumed} consumed + ${a.dropped} dropped + ${inJs} Buffers in JS)`)
  t.equal(a.twice, 0, `${label}: nothing consumed or dropped twice`)
}

t.test('exit_backlog: process.exit() with a long backlog is prompt', async t => {
  check(t, await run('backlog'), 'backlog')
})

t.test('exit_from_callback: process.exit() from a task callback, inside the batch', async t => {
  check(t, await run('inCallback'), 'in a callback')
})

t.test('exit_from_on_progress: process.exit() from on_progress, inside the batch', async t => {
  check(t, await run('inProgress'), 'in on_progress')
})

// At process.exit() Node joins the threadpool without running any env
// cleanup hook: a perform blocked in napi_task_call_js() used to wait for
// an answer that never came, and the process never exited (fixed in
// 797d9e6: an 'exit' listener per env answers waiting requests). The
// child is killed 10 s after its exit call if it hangs again.
t.test('exit_call_js_waiting: process.exit() while performs wait in call_js', async t => {
  check(t, await run('calljs', 10000), 'call_js waiting')
})

t.test('exit_from_call_js_fn: process.exit() from inside a call_js fn', async t => {
  check(t, await run('inCallJs', 10000), 'in a call_js fn')
})

// The exit matrix (docs/reliability.md, "Ending the process"): every way JS
// ends the process, from every place the library calls JS (and a timer),
// while tasks are in every state. test/fixtures/torture/exit-matrix.js
// sets the states up; see its header. An exception thrown by a call_js fn
// does not end the process (it becomes the task's error), so that cell
// is not one.
const matrix = path.join(__dirname, 'fixtures', 'torture', 'exit-matrix.js')
// Without tap's NODE_OPTIONS (its loaders make each child start several
// times slower; these children need none of them).
const MATRIX_ENV = { ...process.env, UV_THREADPOOL_SIZE: '16' }
delete MATRIX_ENV.NODE_OPTIONS
const WAYS = ['exit', 'throw', 'reject']
const PLACES = ['timer', 'callback', 'promise', 'progress', 'calljs']
const runCell = (way, place, where = 'main', hangMs = HANG_MS) =>
  run(null, hangMs, matrix, where === 'worker' ? [way, place, 'worker'] : [way, place], MATRIX_ENV)

const checkCell = (t, r, way, place, where) => {
  const label = `${way} from ${place} (${where})`
  t.notOk(r.hung, `${label}: the process exits`)
  const code = way === 'exit' ? 0 : 1
  if (where === 'main') {
    t.equal(r.code, code, `${label}: exit code ${code}`, r.code === code ? {} : { signal: r.signal, stderr: r.stderr.slice(-6000) })
  } else {
    t.equal(r.code, 0, `${label}: the process exits 0`, r.code === 0 ? {} : { signal: r.signal, stderr: r.stderr.slice(-6000) })
    t.equal(r.workerCode, code, `${label}: the worker exits ${code}`)
  }
  t.ok(r.exit && r.atExit, `${label}: both counter lines printed`, r.exit && r.atExit ? {} : { stderr: r.stderr.slice(-3000) })
  if (!r.exit || !r.atExit) return
  // Every state held something when the process ended.
  const h = r.exit.held
  t.equal(h.built, 3, `${label}: 3 built, never delivered`)
  t.equal(h.queued, 2, `${label}: 2 waiting in a full queue`)
  t.ok(h.backlog > 0, `${label}: ${h.backlog} ready in the backlog`)
  t.ok(h.running > 0, `${label}: ${h.running} running`)
  t.ok(h.callJsWaiting >= 2, `${label}: ${h.callJsWaiting} waiting in call_js`)
  t.ok(h.progressPending >= 4, `${label}: ${h.progressPending} progress values not delivered`)
  t.ok(h.doneNotSettled >= 2, `${label}: ${h.doneNotSettled} done, not settled`)
  ledger(t, r, label)
  t.equal(r.atExit.callJsOther, 0, `${label}: call_js never returned an unexpected status`)
  t.equal(r.atExit.callJsDataGone, 0, `${label}: no call_js fn ran on after its perform was answered`)
}

for (const where of ['main', 'worker']) {
  t.test(`exit_matrix (${where}): every way of ending, from every place, with tasks in every state`, async t => {
    const cells = WAYS.flatMap(way => PLACES.map(place => [way, place]))
      .filter(([way, place]) => !(way === 'throw' && place === 'calljs'))
    for (let i = 0; i < cells.length; i += 2) { // two children at a time
      const pair = cells.slice(i, i + 2)
      const rs = await Promise.all(pair.map(([way, place]) => runCell(way, place, where)))
      rs.forEach((r, j) => checkCell(t, r, pair[j][0], pair[j][1], where))
    }
  })
}

// Regression: process.exit() (or an uncaught exception) from on_progress or
// a call_js fn while the same batch had taken other performs' call_js
// requests: nothing answered them, and Node's join of the threadpool hung
// for ever (8 runs in 20). The exit matrix builds that batch on purpose;
// here it runs EXIT_REPEAT times (10 by default, 4 under the sanitizers)
// per case, and every child
// must exit within 10 s of its exit call.
const REPEAT = Number(process.env.EXIT_REPEAT || (process.env.NAPI_TASK_SANITIZE ? 4 : 10))
t.test(`exit_call_js_taken_no_hang: ${REPEAT} children per case, each exits`, async t => {
  for (const [way, place] of [['exit', 'progress'], ['throw', 'progress'], ['exit', 'calljs']]) {
    let exited = 0
    let balanced = 0
    const failures = []
    for (let i = 0; i < REPEAT; i += 2) {
      const rs = await Promise.all([runCell(way, place, 'main', 10000), runCell(way, place, 'main', 10000)].slice(0, Math.min(2, REPEAT - i)))
      for (const r of rs) {
        if (!r.hung && r.atExit) exited++
        else if (failures.length < 2) {
          failures.push(r.stderr.slice(-2000))
          t.comment(`${way} from ${place}: a child did not exit cleanly (hung ${r.hung}, code ${r.code}, signal ${r.signal}): ${r.stderr.slice(-1500)}`)
        }
        if (r.atExit && r.atExit.created === r.atExit.consumed + r.atExit.dropped && r.atExit.twice === 0) balanced++
      }
    }
    t.equal(exited, REPEAT, `${way} from ${place}: ${exited} of ${REPEAT} exited`, failures.length ? { failures } : {})
    t.equal(balanced, REPEAT, `${way} from ${place}: ${balanced} of ${REPEAT} balanced the ledger`)
  }
})

// The edges of a main-thread exit (test/fixtures/torture/exit-edges.js):
// JS that runs after napi-task's 'exit' listener (a signal aborted by a
// later listener), a process that goes on after 'exit' was emitted (it must
// still end on its own), an exit from inside a delivery, and napi-task
// first used inside an 'exit' listener. Each: no crash, no hang, balanced.
const edges = path.join(__dirname, 'fixtures', 'torture', 'exit-edges.js')
const EDGE_ENV = { ...process.env, UV_THREADPOOL_SIZE: '1' }
delete EDGE_ENV.NODE_OPTIONS
for (const edge of ['abortAfterExit', 'emitExit', 'exitListenerThrows', 'exitInDelivery', 'firstUseInExit']) {
  t.test(`exit_edge_${edge}`, async t => {
    const r = await run(null, 10000, edges, [edge], EDGE_ENV)
    t.notOk(r.hung, `${edge}: the process ends on its own`)
    t.equal(r.code, 0, `${edge}: exit code 0`, r.code === 0 ? {} : { signal: r.signal, stderr: r.stderr.slice(-4000) })
    t.ok(r.exit && r.atExit, `${edge}: both counter lines printed`, r.exit && r.atExit ? {} : { stderr: r.stderr.slice(-3000) })
    if (r.atExit) ledger(t, r, edge)
  })
}
