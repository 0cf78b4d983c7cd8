'use strict'
// Consumer proof: a fresh addon package uses napi-task exactly as the README
// says (its binding.gyp and C, verbatim), installed from the packed tarball
// and linked as a `file:` directory dependency; it builds with node-gyp and
// runs a task. The build must stay inside the consumer's build/ and leave
// the library's directory untouched.
const t = require('tap')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')
const { strays } = require('./fixtures/strays')

const root = path.join(__dirname, '..')
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
const block = lang => readme.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'))[1]
const gypText = block('python')
const cText = block('c')
const jsText = block('js')
const version = require('../package.json').version

// Files a build writes, anywhere below dir, newer than `since`.
const buildOutputs = (dir, since, skip = []) => {
  const found = []
  const walk = d => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (skip.some(s => p === s || p.startsWith(s + path.sep))) continue
      if (e.isDirectory()) walk(p)
      else if (/\.(o|a|mk|d|node)$|^Makefile$/.test(e.name) &&
        fs.statSync(p).mtimeMs >= since) found.push(p)
    }
  }
  walk(dir)
  return found
}

const consumer = (t, dependency) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-consumer-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, 'src'))
  fs.writeFileSync(path.join(dir, 'binding.gyp'), gypText)
  fs.writeFileSync(path.join(dir, 'src', 'my_addon.c'), cText)
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'my-addon', version: '1.0.0', private: true,
    dependencies: { 'napi-task': dependency(dir) }
  }))
  return dir
}

const install = dir => execFileSync('npm',
  ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
  { cwd: dir, stdio: 'pipe' })

const build = dir => execFileSync(process.execPath,
  [path.join(root, 'tools', 'gyp.js'), 'rebuild'], { cwd: dir, stdio: 'pipe' })

// Requires napi-task in the consumer's directory and reads every property
// (the function included, without calling it): nothing may be written.
const readAll = (t, dir) => {
  const before = fs.readdirSync(dir).sort()
  const keys = String(execFileSync(process.execPath, ['-e',
    "const p = require('napi-task'); for (const k of Object.keys(p)) String(p[k]); console.log(Object.keys(p).join())"],
  { cwd: dir })).trim()
  t.match(keys, /include_dir.*gyp/, 'every property read')
  t.same(fs.readdirSync(dir).sort(), before, 'requiring napi-task and reading its properties wrote nothing')
}

// The README's JS, verbatim, as a script file of the consumer package.
const run = dir => {
  fs.writeFileSync(path.join(dir, 'quick.js'), jsText)
  return String(execFileSync(process.execPath, ['quick.js'], { cwd: dir })).trim()
}

t.test('consumer_quick_start: the README quick start compiles warning-free as written', async t => {
  t.match(gypText, /"include_dirs": \["<!\(node -p \\"require\('napi-task'\)\.include_dir\\"\)"\]/)
  t.match(gypText, /"dependencies": \["<!\(node -p \\"require\('napi-task'\)\.gyp_dependency\(\)\\"\)"\]/)
  t.match(cText, /napi_task_build/)
})

t.test('consumer_tarball: installed from the packed tarball', async t => {
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-pack-'))
  t.teardown(() => fs.rmSync(packDir, { recursive: true, force: true }))
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir,
    '--loglevel=error'], { cwd: root, stdio: 'pipe' })
  const tarball = path.join(packDir, `napi-task-${version}.tgz`)
  t.ok(fs.existsSync(tarball))
  const dir = consumer(t, () => `file:${tarball}`)
  install(dir)
  const installed = path.join(dir, 'node_modules', 'napi-task')
  t.notOk(fs.lstatSync(installed).isSymbolicLink(), 'a real copy')
  t.notOk(fs.existsSync(path.join(installed, 'test')), 'tests are not shipped')
  t.notOk(fs.existsSync(path.join(installed, 'build')), 'installing built nothing')
  readAll(t, dir)
  const since = Date.now() - 1000
  const out = String(build(dir))
  t.notMatch(out, /warning:/, 'no compiler warning')
  t.equal(run(dir), '42')
  t.same(buildOutputs(dir, since, [path.join(dir, 'build')]), [],
    'every build output is under build/')
})

t.test('consumer_linked: linked as a file: directory dependency', async t => {
  const dir = consumer(t, () => `file:${root}`)
  install(dir)
  t.ok(fs.lstatSync(path.join(dir, 'node_modules', 'napi-task')).isSymbolicLink(),
    'npm linked the library')
  readAll(t, dir)
  const since = Date.now() - 1000
  build(dir)
  t.equal(run(dir), '42')
  t.same(buildOutputs(dir, since, [path.join(dir, 'build')]), [],
    'every build output is under the consumer\'s build/')
  // (its build*/ dirs are its own node-gyp and sanitizer builds)
  const skip = fs.readdirSync(root).filter(f =>
    /^(build.*|node_modules|\.git|\.tap|bench)$/.test(f)).map(f => path.join(root, f))
  t.same(buildOutputs(root, since, skip), [], 'the library\'s directory got no build file')
  // Where gyp put the library's makefile and archive when it followed the
  // symlink: paths relative to the real location, outside any build/
  // (test/fixtures/strays.js: only where this run's build could put them).
  t.same(strays({
    consumer: fs.realpathSync(dir),
    lib: fs.realpathSync(root),
    names: ['napi_task.target.mk', 'napi_task.a', 'napi_task.a.ar-file-list'],
    since,
    skipDirs: ['build']
  }), [], 'no napi_task makefile or archive outside a build/ dir')
})
