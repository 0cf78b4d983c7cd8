'use strict'
// node tools/naa-range.js [version ...]
//
// The C++ header (include/napi_task.hpp) with node-addon-api versions
// other than the locked one (package-lock.json), which `npm test` uses.
// By default: the oldest supported, 7.0.0, and the newest 8.x when it is
// not the locked version (asked of the registry with npm view). docs/cpp.md
// states the range.
//
// For each version:
// - npm pack fetches it from the registry into build-naa/<version>/;
// - a staging directory (build-naa/<version>/stage: the two gyp files,
//   the source directories symlinked, as tools/sanitize.js does, so the
//   repository's build/ is never touched, and no test file is in it for
//   tap to find) builds, with node-gyp through
//   tools/gyp.js (warnings are errors), the C++ test addon in both
//   exception modes and the two C++ examples, with binding.gyp's
//   naa_include set to that version's headers (-Dnaa_include);
// - test/cpp.test.js runs against those builds (NAPI_TASK_BUILD_DIR) and
//   compiles its snippets with those headers (NAPI_TASK_NAA_INCLUDE);
// - examples/cpp_naa, built with that version, runs from a copy of its
//   folder and must print exactly what the repository's build prints.
//
// Prints each step's duration; exits 1 on the first failure.
const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const root = path.resolve(__dirname, '..')
const out = path.join(root, 'build-naa')
const OLDEST = '7.0.0'
// Not test/ itself: tap would find its test files here too.
const sanitize = require('./sanitize')
// What cpp.test.js loads: the C++ test addon twice, and the examples it
// checks for unique symbols.
const TARGETS = ['test_addon_cpp', 'test_addon_cpp_noexcept', 'cpp_plain', 'cpp_naa']

const log = msg => console.error(`naa-range: ${msg}`)
const die = msg => {
  log(msg)
  process.exit(1)
}

function run (cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })
  if (r.error) die(`${cmd}: ${r.error.message}`)
  if (r.status !== 0) {
    if (r.stdout) process.stderr.write(r.stdout)
    if (r.stderr) process.stderr.write(r.stderr)
    die(`${cmd} ${args.join(' ')} failed (exit ${r.status}${r.signal ? ', ' + r.signal : ''})`)
  }
  return r
}

function timed (label, fn) {
  const t0 = Date.now()
  const r = fn()
  log(`${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  return r
}

const lockedVersion = () =>
  require(require.resolve('node-addon-api/package.json', { paths: [root] })).version

const byVersion = (a, b) => {
  const [x, y] = [a, b].map(v => v.split('.').map(Number))
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i]
  return 0
}

// The newest 8.x the registry has (releases only).
function newest8 () {
  const r = run('npm', ['view', 'node-addon-api@8', 'version', '--json'])
  const list = [].concat(JSON.parse(r.stdout)).filter(v => /^8\.\d+\.\d+$/.test(v))
  if (list.length === 0) die('npm view found no node-addon-api 8.x')
  return list.sort(byVersion).pop()
}

// npm pack, then unpack: the package's own include dir (index.js's
// include_dir is the package folder itself).
function fetch (version, dir) {
  const pkg = path.join(dir, 'package')
  if (fs.existsSync(path.join(pkg, 'napi.h')) &&
      require(path.join(pkg, 'package.json')).version === version) return pkg
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const r = run('npm', ['pack', `node-addon-api@${version}`, '--pack-destination', dir,
    '--json', '--no-fund', '--no-audit'])
  const file = JSON.parse(r.stdout)[0].filename
  run('tar', ['-xzf', path.join(dir, file), '-C', dir])
  if (!fs.existsSync(path.join(pkg, 'napi.h'))) die(`no napi.h in ${pkg}`)
  return pkg
}

// The sanitizer runs' staging (tools/sanitize.js), over a `test` that an
// older staging may have left as a symlink.
function stage (dir) {
  const test = path.join(dir, 'test')
  if (fs.existsSync(test) && fs.lstatSync(test).isSymbolicLink()) fs.rmSync(test)
  sanitize.stage(dir)
}

// configure + build, through tools/gyp.js (this node's own headers, as
// there; set here so that gyp.js adds nothing after the `--`, which passes
// the rest to gyp itself).
function build (dir, include) {
  const env = { ...process.env }
  const prefix = path.resolve(path.dirname(process.execPath), '..')
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    env.npm_config_nodedir = prefix
  }
  const gyp = path.join(root, 'tools', 'gyp.js')
  run(process.execPath, [gyp, 'configure', '--jobs=max', '--',
    `-Dnaa_include=${include}`, ...TARGETS.map(t => `-R${t}`)], { cwd: dir, env })
  run(process.execPath, [gyp, 'build', '--jobs=max'], { cwd: dir, env })
  const release = path.join(dir, 'build', 'Release')
  for (const t of TARGETS) {
    if (!fs.existsSync(path.join(release, `${t}.node`))) die(`${t}.node was not built in ${release}`)
  }
  // The headers really were this version's (gyp's variable reached the
  // compile lines).
  const mk = fs.readFileSync(path.join(dir, 'build', 'test_addon_cpp.target.mk'), 'utf8')
  if (!mk.includes(include)) die(`test_addon_cpp was not compiled with -I${include}`)
  return release
}

function tap (release, include) {
  const tapPkg = require.resolve('tap/package.json', { paths: [root] })
  const tapBin = path.join(path.dirname(tapPkg), require(tapPkg).bin.tap)
  const r = spawnSync(process.execPath, [tapBin, '--disable-coverage', 'test/cpp.test.js'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NAPI_TASK_BUILD_DIR: release, NAPI_TASK_NAA_INCLUDE: include }
  })
  if (r.status !== 0) die(`test/cpp.test.js failed with node-addon-api at ${include}`)
}

// examples/cpp_naa from a copy of its folder: index.js loads its own
// build/Release/cpp_naa.node when there is one.
function example (release, dir, expected) {
  const copy = path.join(dir, 'cpp_naa')
  fs.rmSync(copy, { recursive: true, force: true })
  fs.mkdirSync(path.join(copy, 'build', 'Release'), { recursive: true })
  fs.copyFileSync(path.join(root, 'examples', 'cpp_naa', 'index.js'), path.join(copy, 'index.js'))
  fs.copyFileSync(path.join(release, 'cpp_naa.node'), path.join(copy, 'build', 'Release', 'cpp_naa.node'))
  const got = run(process.execPath, [copy]).stdout
  if (got !== expected) {
    die(`examples/cpp_naa built with this version printed\n${got}\ninstead of\n${expected}`)
  }
}

function main () {
  const locked = lockedVersion()
  let versions = process.argv.slice(2)
  if (versions.length === 0) {
    const newest = timed('npm view', newest8)
    versions = [OLDEST]
    if (newest === locked) {
      log(`the newest 8.x, ${newest}, is the locked version: npm test ran it`)
    } else {
      versions.push(newest)
    }
  }
  // What the example prints built as the repository builds it.
  const reference = path.join(root, 'build', 'Release', 'cpp_naa.node')
  if (!fs.existsSync(reference)) die(`no ${path.relative(root, reference)}: npm run build first`)
  const expected = run(process.execPath, [path.join(root, 'examples', 'cpp_naa')]).stdout

  for (const version of versions) {
    const dir = path.join(out, version)
    const include = timed(`${version}: npm pack`, () => fetch(version, dir))
    const stageDir = path.join(dir, 'stage')
    stage(stageDir)
    const release = timed(`${version}: build`, () => build(stageDir, include))
    timed(`${version}: test/cpp.test.js`, () => tap(release, include))
    timed(`${version}: examples/cpp_naa`, () => example(release, dir, expected))
    log(`node-addon-api ${version}: passed`)
  }
  log(`passed with node-addon-api ${versions.join(', ')} (and ${locked}, locked, in npm test)`)
}

main()
