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
const run = (scenario, hangMs = HANG_MS) => new Promise(resolve => {
  const child = spawn(process.execPath, [fixture, scenario],
    { stdio: ['ignore', 'ignore', 'pipe'], env: process.env })
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
    resolve({ code, signal, hung, hangMs, exit, atExit, ms, stderr: err })
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
