'use strict'
// Soak: 1,000,000 tasks through each delivery mode (callback,
// schedule_task, promise) in a child process, 1,000 in flight at a time.
// Memory, never time: the RSS after a warm-up (the first tenth) and at the
// end differ by under 10%, every value is right, and every datum was
// consumed or dropped. The warm-up is a tenth of the count through every
// mode first; each mode's RSS is then compared with the RSS after it. The child fixes V8's young-generation size
// (--min/--max-semi-space-size): left to itself, V8 grows it from 1 to 16
// MB in steps while the tasks run, which moves the RSS by ~20% without any
// leak (heapUsed and external memory stay flat); fixed, the RSS of a
// leak-free run stays within ~3%.
//
// SOAK_TASKS overrides the count per mode. Under the sanitizers
// (NAPI_TASK_SANITIZE, set by tools/sanitize.js: asan or tsan) the
// default is 100,000 and the RSS is not compared: ASan's quarantine and
// TSan's shadow memory grow by design; LeakSanitizer checks leaks there.
const t = require('./fixtures/tap')
const path = require('path')
const { spawn } = require('child_process')

const sanitized = !!process.env.NAPI_TASK_SANITIZE
const TASKS = Number(process.env.SOAK_TASKS || (sanitized ? 1e5 : 1e6))
const RSS_LIMIT = 1024 * 1024 * 1024 // generous: 1 GiB at any point measured

t.test(`soak_delivery_modes: ${TASKS} tasks per delivery mode`, { timeout: 0 }, async t => {
  const child = spawn(process.execPath, [
    '--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16',
    path.join(__dirname, 'fixtures', 'torture', 'soak.js'), String(TASKS), '1000'
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', d => { out += d })
  child.stderr.setEncoding('utf8').on('data', d => { err += d })
  const code = await new Promise(resolve => child.on('exit', resolve))
  t.equal(code, 0, 'the soak process exits 0', code === 0 ? {} : { stderr: err.slice(-3000) })
  const line = out.split('\n').find(l => l.startsWith('SOAK '))
  t.ok(line, 'the soak reported')
  if (!line) return
  const { warm, warmWrong, modes, light } = JSON.parse(line.slice(5))
  t.equal(modes.length, 3, 'three delivery modes')
  t.equal(warmWrong, 0, `warm-up: ${warm} tasks per mode, every result right`)
  for (const m of modes) {
    const mb = n => (n / 1048576).toFixed(1)
    const growth = (m.rssEnd - m.rssWarm) / m.rssWarm
    t.comment(`${m.mode}: ${m.tasks} tasks in ${(m.ms / 1000).toFixed(1)} s, ` +
      `RSS ${mb(m.rssWarm)} MiB after the warm-up, ${mb(m.rssEnd)} MiB after this mode (${(growth * 100).toFixed(1)}%)`)
    t.equal(m.wrong, 0, `${m.mode}: every result is input + 1`)
    t.ok(m.rssEnd < RSS_LIMIT, `${m.mode}: RSS under ${mb(RSS_LIMIT)} MiB`)
    if (!sanitized) {
      t.ok(Math.abs(growth) < 0.10, `${m.mode}: RSS within 10% of the RSS after the warm-up`)
    }
  }
  t.equal(light.lightCreated, 2 * 3 * (TASKS + warm), 'each task created its input and its output')
  t.equal(light.lightConsumed + light.lightDropped, light.lightCreated,
    `created ${light.lightCreated} == consumed ${light.lightConsumed} + dropped ${light.lightDropped}`)
  t.equal(light.lightDropped, 0, 'nothing was dropped: every task ran and settled')
})
