'use strict'
// The whole suite again, each test file inside a worker thread: napi-task
// must behave the same in any env, not only the main thread's.
const t = require('tap')
const fs = require('fs')
const path = require('path')
const { Worker } = require('worker_threads')

// Files that cannot run in a worker, and why.
const notInWorker = {
  'in-worker.test.js': 'this file',
  'package.test.js': 'tests index.js with process.chdir(), which workers lack',
  // Not about envs: they compile, read files, or do all their work in
  // child processes, so a worker would only run the same processes again.
  'consumer.test.js': 'builds consumer packages with node-gyp',
  'examples-copy.test.js': 'builds copies of the examples with npm and node-gyp',
  'cmake.test.js': 'builds consumer packages with cmake-js',
  'docs.test.js': 'reads docs and the header',
  'header.test.js': 'compiles the header',
  'types.test.js': 'runs tsc',
  'soak.test.js': 'its tasks run in child processes',
  'exit.test.js': 'process.exit() in child processes',
  'badinput.test.js': 'the sweep runs in child processes',
  'control-examples.test.js': 'runs the examples as child processes'
}

const files = fs.readdirSync(__dirname)
  .filter(f => f.endsWith('.test.js') && !(f in notInWorker))
  .sort()

for (const file of files) {
  t.test(`in_worker_suite (${file}): the suite inside a worker`, { timeout: 300000 }, async t => {
    const w = new Worker(path.join(__dirname, file), { stdout: true, stderr: true })
    let out = ''
    w.stdout.setEncoding('utf8').on('data', d => { out += d })
    w.stderr.setEncoding('utf8').on('data', d => { out += d })
    const code = await new Promise((resolve, reject) => {
      w.on('error', reject)
      w.on('exit', resolve)
    })
    const failed = out.split('\n').filter(l => /^\s*not ok /.test(l) && !/# (TODO|SKIP)/.test(l))
    const passed = out.split('\n').filter(l => /^\s*ok /.test(l))
    t.equal(code, 0, `${file} exits 0 in a worker`)
    t.same(failed, [], `${file}: no failing assertion`)
    t.ok(passed.length > 0, `${file}: ran ${passed.length} assertions`)
    if (code !== 0 || failed.length) t.comment(out.slice(-4000))
  })
}
