'use strict'
// examples/add_one and examples/hash_file: run as a user would, and checked
// against Node's own crypto and fs.
const t = require('./fixtures/tap')
const { runtime, skipOn } = require('./fixtures/runtime')
const crypto = require('crypto')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')

const root = path.join(__dirname, '..')
const { hashFile } = require(path.join(process.env.NAPI_TASK_BUILD_DIR || path.join(root, 'build', 'Release'), 'hash_file.node'))

t.test('examples_add_one: node examples/add_one', skipOn({
  deno: 'runs the example as a child process with node\'s command line'
}), async t => {
  const out = execFileSync(process.execPath, [path.join(root, 'examples', 'add_one')])
  t.equal(String(out), 'callback: 41 + 1 = 42\npromise: 1.5 + 1 = 2.5\n')
})

t.test('examples_hash_file_digest: the same digest as crypto, for sizes around the block edges', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-hash-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  for (const size of [0, 1, 55, 56, 63, 64, 65, 65536, 65537, 1 << 20]) {
    const file = path.join(dir, `f${size}`)
    fs.writeFileSync(file, crypto.randomBytes(size))
    const expected = crypto.createHash('sha256').update(fs.readFileSync(file)).digest()
    const digest = await hashFile(file)
    t.ok(Buffer.isBuffer(digest))
    t.equal(digest.toString('hex'), expected.toString('hex'), `${size} bytes`)
    const viaCb = await new Promise(resolve => hashFile(file, (err, d) => resolve({ err, d })))
    t.equal(viaCb.err, null)
    t.equal(viaCb.d.toString('hex'), expected.toString('hex'))
  }
})

t.test('examples_hash_file_errors: errors are fs errors, field by field', async t => {
  // Missing for sure: below this run's own empty directory, not a fixed
  // name in the shared temporary directory.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-missing-'))
  t.teardown(() => fs.rmSync(scratch, { recursive: true, force: true }))
  const missing = path.join(scratch, 'no-such-dir', 'x')
  const expected = await fs.promises.readFile(missing).catch(e => e)
  const err = await hashFile(missing).catch(e => e)
  t.equal(err.message, `ENOENT: no such file or directory, open '${missing}'`)
  t.same([err.errno, err.code, err.syscall, err.path], [-os.constants.errno.ENOENT, 'ENOENT', 'open', missing])
  t.same(Object.keys(err), ['errno', 'code', 'syscall', 'path'])
  if (runtime === 'node') {
    for (const k of ['message', 'errno', 'code', 'syscall', 'path']) t.equal(err[k], expected[k], k)
  }

  // A read error names the path, as fs does from Node 26.8 on; older
  // versions leave the path out of fs's error (the rest is the same).
  const dir = os.tmpdir()
  const dirExpected = await fs.promises.readFile(dir).catch(e => e)
  const dirErr = await hashFile(dir).catch(e => e)
  t.same([dirErr.errno, dirErr.code, dirErr.syscall], [-os.constants.errno.EISDIR, 'EISDIR', 'read'])
  if (runtime === 'node') {
    for (const k of ['errno', 'code', 'syscall']) t.equal(dirErr[k], dirExpected[k], k)
  }
  t.equal(dirErr.message, `EISDIR: illegal operation on a directory, read '${dir}'`)
  t.equal(dirErr.path, dir)
  t.same(Object.keys(dirErr), ['errno', 'code', 'syscall', 'path'])
  if (runtime !== 'node') {
    t.comment(`${runtime}: its own fs errors differ from Node's; napi-task's are Node's`)
  } else if ('path' in dirExpected) {
    t.equal(dirErr.message, dirExpected.message, 'the same message as fs')
    t.same(Object.keys(dirErr), Object.keys(dirExpected), 'the same fields as fs')
  }

  t.throws(() => hashFile(42), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => hashFile('x', 'not a function'), {
    name: 'TypeError',
    code: 'ERR_INVALID_ARG_TYPE',
    message: 'The "callback" argument must be of type function. Received type string (\'not a function\')'
  })
})

t.test('examples_hash_file: node examples/hash_file', skipOn({
  deno: 'runs the example as a child process with node\'s command line'
}), async t => {
  const r = spawnSync(process.execPath, [path.join(root, 'examples', 'hash_file'),
    path.join(root, 'package.json'), path.join(root, 'no-such-file')])
  const digest = crypto.createHash('sha256')
    .update(fs.readFileSync(path.join(root, 'package.json'))).digest('hex')
  t.equal(String(r.stdout), `${digest}  ${path.join(root, 'package.json')}\n`)
  t.equal(String(r.stderr),
    `hash_file: ENOENT: no such file or directory, open '${path.join(root, 'no-such-file')}' (ENOENT)\n`)
  t.equal(r.status, 1)
})
