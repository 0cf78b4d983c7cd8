'use strict'
// CMake consumer proof: a fresh addon package uses napi-task exactly as
// docs/setup.md says for cmake-js (its CMakeLists.txt verbatim, the README's
// C), installed from the packed tarball and linked as a `file:` directory
// dependency; it builds with cmake-js (this package's devDependency) in
// Node-API mode and runs a task. Nothing may be downloaded: nodejs.org and
// every proxy point at a closed port, and HOME is empty, so a header
// download would fail the build and leave ~/.cmake-js behind. The build
// must stay inside the consumer's build/ and leave the library untouched.
const t = require('tap')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { createRequire } = require('module')
const { execFileSync, spawnSync } = require('child_process')
const { strays, places } = require('./fixtures/strays')

const root = path.join(__dirname, '..')
const block = (file, lang) => fs.readFileSync(path.join(root, file), 'utf8')
  .match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'))[1]
const cmakeText = block('docs/setup.md', 'cmake')
const cText = block('README.md', 'c')
const version = require('../package.json').version

const cmakeJs = require.resolve('cmake-js/bin/cmake-js')
const napiHeaders = createRequire(cmakeJs)('node-api-headers').include_dir
const nodeInclude = path.join(path.dirname(process.execPath), '..', 'include', 'node')

const closed = 'http://127.0.0.1:9'
const offlineEnv = home => {
  const env = { ...process.env }
  for (const k of Object.keys(env)) {
    if (/^npm_config_nodedir$|_proxy$/i.test(k)) delete env[k]
  }
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    NVM_NODEJS_ORG_MIRROR: closed + '/dist',
    ELECTRON_MIRROR: closed + '/electron',
    HTTP_PROXY: closed,
    HTTPS_PROXY: closed,
    http_proxy: closed,
    https_proxy: closed,
    // the snippet's `node -p`, and napi-task's uv.h lookup, use this node
    PATH: path.dirname(process.execPath) + path.delimiter + env.PATH
  }
}

const tmp = (t, name) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), name))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

// Files and directories a CMake build writes, anywhere below dir, newer
// than `since` (every CMake artifact when since is 0).
const cmakeOutput = /\.(o|a|d|so|node|ninja|make|cmake)$|^(Makefile|CMakeCache\.txt|CMakeFiles|compile_commands\.json|\.ninja_log|\.ninja_deps)$/
const buildOutputs = (dir, since, skip = []) => {
  const found = []
  const walk = d => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (skip.some(s => p === s || p.startsWith(s + path.sep))) continue
      if (cmakeOutput.test(e.name) && fs.statSync(p).mtimeMs >= since) found.push(p)
      else if (e.isDirectory()) walk(p)
    }
  }
  walk(dir)
  return found
}

const consumer = (t, dependency) => {
  const dir = tmp(t, 'napi-task-cmake-')
  fs.mkdirSync(path.join(dir, 'src'))
  fs.writeFileSync(path.join(dir, 'CMakeLists.txt'), cmakeText)
  fs.writeFileSync(path.join(dir, 'src', 'my_addon.c'), cText)
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'my-addon', version: '1.0.0', private: true,
    binary: { napi_versions: [8] },
    dependencies: { 'napi-task': dependency }
  }))
  execFileSync('npm',
    ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    { cwd: dir, stdio: 'pipe' })
  return dir
}

const cmakeJsRun = (cwd, home, args) => spawnSync(process.execPath,
  [cmakeJs, ...args], { cwd, env: offlineEnv(home), encoding: 'utf8' })

const cacheValue = (dir, name) => {
  const cache = fs.readFileSync(path.join(dir, 'build', 'CMakeCache.txt'), 'utf8')
  const m = cache.match(new RegExp('^' + name + ':[A-Z]+=(.*)$', 'm'))
  return m && m[1]
}

const run = dir => String(execFileSync(process.execPath, ['-e',
  "require('./build/Release/my_addon.node').addOne(41).then(v => console.log(v))"],
{ cwd: dir })).trim()

// Builds the consumer offline and checks the build; `lib` is the napi-task
// directory it compiles (the real path).
const buildAndCheck = (t, dir, lib) => {
  const home = tmp(t, 'napi-task-home-')
  const since = Date.now() - 1000
  const r = cmakeJsRun(dir, home, ['rebuild', '--CDCMAKE_EXPORT_COMPILE_COMMANDS=ON'])
  const out = r.stdout + r.stderr
  t.equal(r.status, 0, 'cmake-js rebuild succeeds offline', { out })
  t.notMatch(out, /warning/i, 'no CMake or compiler warning')
  t.same(fs.readdirSync(home), [], 'nothing downloaded or cached in HOME (no ~/.cmake-js)')
  t.equal(cacheValue(dir, 'CMAKE_JS_INC'), napiHeaders,
    'Node-API mode: the headers come from the node-api-headers package')
  t.equal(cacheValue(dir, 'NAPI_TASK_UV_INCLUDE_DIR'), path.resolve(nodeInclude),
    'uv.h from the headers installed next to node')

  const commands = JSON.parse(fs.readFileSync(path.join(dir, 'build', 'compile_commands.json'), 'utf8'))
  const libUnits = commands.filter(c => c.file.startsWith(path.join(lib, 'src') + path.sep))
  t.same(libUnits.map(c => c.file).sort(),
    fs.readdirSync(path.join(lib, 'src')).filter(f => f.endsWith('.c')).sort()
      .map(f => path.join(lib, 'src', f)), 'every src/*.c of napi-task is compiled')
  for (const c of libUnits) {
    const flags = c.command.split(/\s+/)
    for (const f of ['-std=c11', '-Wall', '-Wextra', '-fvisibility=hidden', '-fPIC']) {
      t.ok(flags.includes(f), `${path.basename(c.file)} gets ${f}`)
    }
    const object = path.resolve(c.directory, flags[flags.indexOf('-o') + 1])
    t.ok(object.startsWith(path.join(dir, 'build', 'napi-task') + path.sep),
      `${path.basename(c.file)} compiles into build/napi-task/`)
  }
  t.ok(fs.existsSync(path.join(dir, 'build', 'napi-task', 'libnapi_task.a')),
    'the archive is in the consumer\'s build/napi-task/')

  const addon = path.join(dir, 'build', 'Release', 'my_addon.node')
  const exported = String(execFileSync('nm', ['-D', '--defined-only', addon]))
    .split('\n').filter(Boolean).map(l => l.split(/\s+/).pop())
    .filter(s => !/^(napi_register_module_v1|node_api_module_get_api_version_v1)$/.test(s))
  t.same(exported, [], 'the addon exports none of napi-task\'s symbols')
  t.equal(run(dir), '42')

  t.same(buildOutputs(dir, since, [path.join(dir, 'build')]), [],
    'every build output is under build/')
  // Next to the library's real path (test/fixtures/strays.js: only where
  // this run's build could put it, never another run's directories).
  t.same(strays({
    consumer: fs.realpathSync(dir),
    lib: fs.realpathSync(lib),
    names: ['libnapi_task.a'],
    since
  }), [], 'no libnapi_task.a next to the library')
}

t.test('cmake_setup_snippet: the setup.md CMake snippet is the documented one', async t => {
  t.match(cmakeText, /execute_process\(COMMAND node -p "require\('napi-task'\)\.cmake_dir"/)
  t.match(cmakeText, /add_subdirectory\(\$\{NAPI_TASK_DIR\} napi-task\)/)
  t.match(cmakeText, /target_link_libraries\(my_addon PRIVATE napi_task \$\{CMAKE_JS_LIB\}\)/)
  t.match(cText, /napi_task_build/)
  t.equal(require('cmake-js/package.json').version.split('.')[0], '7', 'cmake-js 7')
})

t.test('cmake_strays: the stray check finds an archive next to the library, and only this run\'s', async t => {
  const base = fs.realpathSync(tmp(t, 'napi-task-strays-'))
  const put = (...p) => {
    fs.mkdirSync(path.join(base, ...p.slice(0, -1)), { recursive: true })
    fs.writeFileSync(path.join(base, ...p), '')
    return path.join(base, ...p)
  }
  const consumerDir = path.join(base, 'tmp', 'napi-task-cmake-a')
  const lib = path.join(base, 'src', 'napi-task')
  const own = [
    put('src', 'napi-task', 'libnapi_task.a'), // next to the library
    put('src', 'napi-task', 'napi-task', 'libnapi_task.a'), // a binary dir below it
    put('tmp', 'src', 'napi-task', 'libnapi_task.a') // its path re-rooted from the consumer's build/
  ]
  put('tmp', 'napi-task-cmake-a', 'build', 'napi-task', 'libnapi_task.a') // where it belongs
  put('tmp', 'napi-task-cmake-b', 'libnapi_task.a') // another run's, stray or not
  put('tmp', 'napi-task-cmake-b', 'node_modules', 'napi-task', 'libnapi_task.a')
  t.same(places(consumerDir, lib), [lib, path.join(base, 'tmp', 'src', 'napi-task')])
  t.same(strays({ consumer: consumerDir, lib, names: ['libnapi_task.a'], since: 0 }).sort(), own.sort())
  const installed = path.join(consumerDir, 'node_modules', 'napi-task')
  const inInstalled = put('tmp', 'napi-task-cmake-a', 'node_modules', 'napi-task', 'libnapi_task.a')
  t.same(strays({ consumer: consumerDir, lib: installed, names: ['libnapi_task.a'], since: 0 }),
    [inInstalled], 'installed: the package directory only')
})

t.test('cmake_offline_check: the check would catch a download: cmake-js outside Node-API mode fails offline', async t => {
  const dir = tmp(t, 'napi-task-cmake-dl-')
  const home = tmp(t, 'napi-task-home-')
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"x","version":"1.0.0"}')
  fs.writeFileSync(path.join(dir, 'CMakeLists.txt'), cmakeText)
  const r = cmakeJsRun(dir, home, ['install'])
  t.not(r.status, 0, 'the header download fails')
  t.match(r.stdout + r.stderr, /127\.0\.0\.1:9\/dist\/v/, 'it tried the (closed) nodejs.org mirror')
  t.same(fs.readdirSync(home), ['.cmake-js'], 'and left ~/.cmake-js')
})

t.test('cmake_tarball: installed from the packed tarball', async t => {
  const packDir = tmp(t, 'napi-task-pack-')
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir,
    '--loglevel=error'], { cwd: root, stdio: 'pipe' })
  const tarball = path.join(packDir, `napi-task-${version}.tgz`)
  t.ok(fs.existsSync(tarball))
  const dir = consumer(t, `file:${tarball}`)
  const installed = path.join(dir, 'node_modules', 'napi-task')
  t.notOk(fs.lstatSync(installed).isSymbolicLink(), 'a real copy')
  t.ok(fs.existsSync(path.join(installed, 'CMakeLists.txt')), 'CMakeLists.txt is shipped')
  buildAndCheck(t, dir, installed)
  t.same(buildOutputs(installed, 0), [], 'no build file in the installed package')
})

t.test('cmake_linked: linked as a file: directory dependency', async t => {
  const dir = consumer(t, `file:${root}`)
  t.ok(fs.lstatSync(path.join(dir, 'node_modules', 'napi-task')).isSymbolicLink(),
    'npm linked the library')
  buildAndCheck(t, dir, root)
  // The library's own tree (its build*/ dirs are node-gyp's and the
  // sanitizers'): no CMake artifact at all.
  const skip = fs.readdirSync(root).filter(f =>
    /^(build.*|node_modules|\.git|\.tap|bench)$/.test(f)).map(f => path.join(root, f))
  t.same(buildOutputs(root, 0, skip), [], 'the library\'s directory got no build file')
})
