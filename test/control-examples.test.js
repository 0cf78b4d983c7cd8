'use strict'
// examples/primes and examples/ask_js, run as a user would: child
// processes, asserting on their output and exit codes.
const t = require('./fixtures/tap')
const path = require('path')
const { spawn } = require('child_process')
const { Worker } = require('worker_threads')
const bare = require('./fixtures/bare')

const root = path.join(__dirname, '..')

// Runs `node examples/<name> ...args`; onStderr(text, child) sees stderr as
// it arrives.
const run = (name, args = [], onStderr = () => {}) => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [path.join(root, 'examples', name), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', d => { stdout += d })
  child.stderr.setEncoding('utf8').on('data', d => {
    stderr += d
    onStderr(stderr, child)
  })
  child.on('error', reject)
  child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
})

t.test('control_examples_primes: counts, reports progress, exits 0', async t => {
  const r = await run('primes', ['2000000'])
  t.equal(r.code, 0)
  t.equal(r.stdout, '148933 primes below 2000000\n')
  const lines = r.stderr.trim().split('\n')
  t.ok(lines.every(l => /^progress \d+%$/.test(l)), 'only progress lines on stderr')
  t.equal(lines[lines.length - 1], 'progress 100%', 'ends at 100%')
  const percents = lines.map(l => parseInt(l.slice(9), 10))
  t.ok(percents.every((p, i) => i === 0 || p > percents[i - 1]), 'increasing')
})

t.test('control_examples_primes_limits: small and bad limits', async t => {
  t.equal((await run('primes', ['0'])).stdout, '0 primes below 0\n')
  t.equal((await run('primes', ['3'])).stdout, '1 prime below 3\n')
  t.equal((await run('primes', ['1000'])).stdout, '168 primes below 1000\n')
  const bad = await run('primes', ['-5'])
  t.not(bad.code, 0)
  t.match(bad.stderr, /ERR_OUT_OF_RANGE/)
})

t.test('control_examples_primes_sigint: SIGINT aborts the running job with an AbortError', async t => {
  // 1e11 would take minutes: interrupt it once the first progress shows.
  let sent = false
  const r = await run('primes', ['100000000000'], (stderr, child) => {
    if (!sent && /progress \d+%/.test(stderr)) {
      sent = true
      child.kill('SIGINT')
    }
  })
  t.equal(sent, true, 'SIGINT sent while it ran')
  t.equal(r.signal, null, 'not killed by the signal: handled')
  t.equal(r.code, 130, 'exit code 130')
  t.equal(r.stdout, '', 'no result printed')
  t.match(r.stderr, /\ncancelled: The operation was aborted\n$/)
})

t.test('control_examples_primes_options: the primes addon, options checked like Node\'s own', async t => {
  const { countPrimes } = require(path.join(root, 'build', 'Release', 'primes.node'))
  t.throws(() => countPrimes(10, { signal: {} }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => countPrimes(10, { onProgress: 5 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => countPrimes(1.5), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
  // Options that throw when read: a coded TypeError, the original as cause.
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  const revoked = t.throws(() => countPrimes(10, proxy), {
    name: 'TypeError',
    code: 'ERR_INVALID_ARG_VALUE',
    message: 'The "options.signal" property could not be read'
  })
  t.match(revoked.cause, { name: 'TypeError', message: /revoked/ })
  const boom = new Error('boom')
  const getter = { signal: undefined, get onProgress () { throw boom } }
  const thrown = t.throws(() => countPrimes(10, getter), {
    code: 'ERR_INVALID_ARG_VALUE',
    message: 'The "options.onProgress" property could not be read'
  })
  t.equal(thrown.cause, boom)
  t.equal(await countPrimes(100, {}), 25)
  t.equal(await countPrimes(100, null), 25)
  await t.rejects(countPrimes(100, { signal: AbortSignal.abort('x') }), { name: 'AbortError', cause: 'x' })
})

t.test('control_examples_primes_in_workers: per-env queue released at teardown, idle or busy', async t => {
  // The addon keeps its queue in instance data and releases it from the
  // finalizer: once with the queue idle, once with a task still running.
  const source = `
    const { parentPort, workerData } = require('worker_threads')
    const { countPrimes } = require(workerData.addon)
    countPrimes(workerData.limit, { onProgress: () => {} }).then(n => parentPort.postMessage(n))
    if (workerData.busy) parentPort.postMessage('running')
  `
  const addon = path.join(root, 'build', 'Release', 'primes.node')
  const idle = new Worker(source, { eval: true, ...bare, workerData: { addon, limit: 1000 } })
  const [n] = await Promise.all([
    new Promise(resolve => idle.once('message', resolve)),
    new Promise(resolve => idle.once('exit', resolve)),
  ])
  t.equal(n, 168, 'the idle worker counted and exited')

  const busy = new Worker(source, { eval: true, ...bare, workerData: { addon, limit: 1e11, busy: true } })
  await new Promise(resolve => busy.once('message', resolve))
  const code = await busy.terminate()
  t.equal(code, 1, 'terminated while its sieve ran: no crash, no hang')
})

t.test('control_examples_ask_js: the solver asks JS and uses the answers', async t => {
  const r = await run('ask_js')
  t.equal(r.code, 0)
  t.equal(r.stderr, '')
  t.equal(r.stdout,
    'x^3 - 2x - 5 = 0 at x = 2.094551481542 (53 calls into JS)\n' +
    'f threw: RangeError: cannot evaluate at 0\n')
})
