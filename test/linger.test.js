'use strict'
// Lingering runners (src/runner.c; docs/decisions.md, D4): a runner that
// empties the backlog waits up to
// NAPI_TASK_LINGER_US (50 µs unless set) for the next task. Whether a
// linger catches a task is timing, so no test depends on that; npm run
// bench measures what it buys. What is tested here: the env-level test
// files pass again, each in a child process, with lingering off (0) and
// with the longest lingers (5000, which the library caps at 1000 µs), so
// everything they check (exactly-once, teardown, process.exit, fairness,
// queues, call_js, signals) holds whichever way a runner goes. The rest of
// the suite runs with the default.
const t = require('./fixtures/tap')
const path = require('path')
const { spawn } = require('child_process')

const FILES = ['core', 'signal', 'progress', 'queue', 'calljs', 'worker',
  'fairness', 'torture', 'exit']
const SETTINGS = ['0', '5000']
const PARALLEL = 2

// Runs one test file under mini-tap (test/fixtures/mini-tap.js) with the
// setting; resolves with its exit code, its summary and its failures.
const run = (file, linger) => new Promise((resolve, reject) => {
  const child = spawn(process.execPath,
    [path.join(__dirname, `${file}.test.js`)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NAPI_TASK_MINI_TAP: '1', NAPI_TASK_LINGER_US: linger }
    })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', d => { out += d })
  child.stderr.setEncoding('utf8').on('data', d => { out += d })
  child.on('error', reject)
  child.on('close', code => {
    const lines = out.split('\n')
    const m = /^# (\d+) passed, (\d+) failed$/m.exec(out)
    resolve({
      code,
      passed: m ? Number(m[1]) : 0,
      failed: lines.filter(l => /^\s*not ok /.test(l)),
      tail: out.slice(-4000)
    })
  })
})

// Every file under every setting, PARALLEL children at a time (each file
// uses the pool and a CPU or two itself).
const jobs = []
for (const linger of SETTINGS) for (const file of FILES) jobs.push({ file, linger })
const results = new Map()
const runAll = (async () => {
  let next = 0
  const lane = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]
      results.set(`${job.linger}/${job.file}`, await run(job.file, job.linger))
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, lane))
})()

for (const { file, linger } of jobs) {
  t.test(`linger_${linger}: test/${file}.test.js passes with NAPI_TASK_LINGER_US=${linger}`, { timeout: 600000 }, async t => {
    await runAll
    const r = results.get(`${linger}/${file}`)
    t.equal(r.code, 0, 'exit code 0')
    t.same(r.failed, [], 'no failing assertion')
    t.ok(r.passed > 0, `${r.passed} assertions passed`)
    if (r.code !== 0 || r.failed.length) t.comment(r.tail)
  })
}
