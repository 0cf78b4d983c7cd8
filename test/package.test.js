'use strict'
// The package surface an addon author's binding.gyp uses.
const t = require('tap')
const fs = require('fs')
const path = require('path')

t.test('package_include_dir: index.js gives include_dir and the gyp target, relative to cwd', async t => {
  const pkg = require('..')
  const root = path.join(__dirname, '..')
  t.equal(pkg.version, require('../package.json').version)
  t.equal(path.resolve(pkg.include_dir), path.join(root, 'include'))
  t.ok(fs.existsSync(path.join(pkg.include_dir, 'napi_task.h')))
  t.match(pkg.gyp, /napi_task\.gyp:napi_task$/)
  t.equal(path.resolve(pkg.gyp.replace(/:napi_task$/, '')),
    path.join(root, 'napi_task.gyp'))
  t.notOk(path.isAbsolute(pkg.include_dir), 'relative, as gyp wants')
  t.equal(pkg.gyp_dependency(), pkg.gyp, 'inside the current directory: the package\'s own target')
})

t.test('package_cmake_dir: index.js gives cmake_dir: the absolute real path, forward slashes', async t => {
  const pkg = require('..')
  const root = fs.realpathSync(path.join(__dirname, '..'))
  t.equal(pkg.cmake_dir, root.split(path.sep).join('/'))
  t.ok(path.isAbsolute(pkg.cmake_dir))
  t.notOk(pkg.cmake_dir.includes('\\'), 'no backslash for CMake to unescape')
  t.ok(fs.existsSync(path.join(pkg.cmake_dir, 'CMakeLists.txt')))
})

t.test('package_types: index.d.ts declares exactly what index.js exports', async t => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const pkg = require('..')
  const consts = [...dts.matchAll(/^export declare const (\w+): string$/gm)].map(m => m[1])
  const fns = [...dts.matchAll(/^export declare function (\w+) \(\): string$/gm)].map(m => m[1])
  t.same([...consts, ...fns].sort(), Object.keys(pkg).sort())
  for (const k of consts) t.equal(typeof pkg[k], 'string', `${k} is a string`)
  for (const k of fns) t.equal(typeof pkg[k], 'function', `${k} is a function`)
  for (const k of Object.keys(pkg)) {
    t.ok(Object.getOwnPropertyDescriptor(pkg, k).get === undefined, `${k} is a plain property, not a getter`)
  }
})

t.test('package_self: index.js from the package directory itself', async t => {
  const cwd = process.cwd()
  process.chdir(path.join(__dirname, '..'))
  t.teardown(() => process.chdir(cwd))
  delete require.cache[require.resolve('..')]
  const pkg = require('..')
  t.equal(pkg.include_dir, 'include')
  t.equal(pkg.gyp, 'napi_task.gyp:napi_task')
  t.equal(pkg.gyp_dependency(), 'napi_task.gyp:napi_task')
  t.notOk(fs.existsSync(path.join('build', 'napi-task')), 'nothing copied')
})

t.test('package_linked: linked (real path outside the consumer): reading writes nothing, gyp_dependency() copies into build/', async t => {
  const os = require('os')
  const consumer = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-linked-'))
  const cwd = process.cwd()
  process.chdir(consumer)
  t.teardown(() => {
    process.chdir(cwd)
    fs.rmSync(consumer, { recursive: true, force: true })
  })
  delete require.cache[require.resolve('..')]
  const pkg = require('..')
  for (const k of Object.keys(pkg)) t.ok(pkg[k], `${k} read`)
  t.same(fs.readdirSync(consumer), [], 'requiring and reading every property wrote nothing')
  t.equal(path.resolve(pkg.gyp.replace(/:napi_task$/, '')), path.join(__dirname, '..', 'napi_task.gyp'),
    'gyp: the package\'s own target, as a plain value')
  const dep = path.join('build', 'napi-task', 'napi_task.gyp') + ':napi_task'
  t.equal(pkg.gyp_dependency(), dep)
  const copy = path.join(consumer, 'build', 'napi-task')
  t.ok(fs.existsSync(path.join(copy, 'napi_task.gyp')))
  t.ok(fs.existsSync(path.join(copy, 'include', 'napi_task.h')))
  t.ok(fs.existsSync(path.join(copy, 'src', 'task.c')))
  fs.writeFileSync(path.join(copy, 'src', 'stale.c'), '')
  t.equal(pkg.gyp_dependency(), dep)
  t.notOk(fs.existsSync(path.join(copy, 'src', 'stale.c')), 'each call copies afresh')
  t.equal(path.resolve(pkg.include_dir), path.join(__dirname, '..', 'include'))
})

t.test('package_json: package.json builds nothing on install and ships the sources', async t => {
  const pkg = require('../package.json')
  t.equal(pkg.gypfile, false)
  t.notOk(pkg.scripts.install, 'no install script runs in consumers')
  for (const f of ['index.js', 'index.d.ts', 'napi_task.gyp', 'CMakeLists.txt', 'include/', 'src/']) {
    t.ok(pkg.files.includes(f), `files lists ${f}`)
  }
  const gyp = fs.readFileSync(path.join(__dirname, '..', 'napi_task.gyp'), 'utf8')
  const cmake = fs.readFileSync(path.join(__dirname, '..', 'CMakeLists.txt'), 'utf8')
  for (const f of fs.readdirSync(path.join(__dirname, '..', 'src'))) {
    if (f.endsWith('.c')) t.ok(gyp.includes(`'src/${f}'`), `napi_task.gyp builds src/${f}`)
    if (f.endsWith('.c')) t.match(cmake, new RegExp(`^  src/${f.replace(/\./g, '\\.')}$`, 'm'), `CMakeLists.txt builds src/${f}`)
  }
})

const REPO = 'https://github.com/napi-task/napi-task'

// npm, as a shell would run it (npm.cmd on Windows needs a shell).
const npmSync = (args, options) => require('child_process').spawnSync('npm', args,
  { encoding: 'utf8', maxBuffer: 1 << 26, shell: process.platform === 'win32', ...options })

t.test('package_registry_fields: repository, homepage and bugs name one repository', async t => {
  const pkg = require('../package.json')
  t.same(pkg.repository, { type: 'git', url: `git+${REPO}.git` })
  t.equal(pkg.homepage, `${REPO}#readme`)
  t.same(pkg.bugs, { url: `${REPO}/issues` })
  t.ok(pkg.description && pkg.license && pkg.keywords.length > 0, 'description, license, keywords')
})

// The file list of the tarball `npm pack` would write, without writing it
// (once for the tests that read it).
let packed
const packedFiles = () => packed || (packed = packList())
const packList = () => {
  const r = npmSync(['pack', '--dry-run', '--json', '--ignore-scripts', '--loglevel=error'],
    { cwd: path.join(__dirname, '..') })
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed: ${r.stderr}`)
  return JSON.parse(r.stdout)[0].files.map(f => f.path).sort()
}

t.test('package_examples: the tarball ships every example folder as it is in git, no build output', async t => {
  const root = path.join(__dirname, '..')
  const files = packedFiles()
  // What a user copies: everything in the folder but what building or
  // installing it there would add.
  const onDisk = []
  const walk = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (['build', 'node_modules', 'package-lock.json'].includes(e.name)) continue
      if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}/${e.name}`)
      else onDisk.push(`${rel}/${e.name}`)
    }
  }
  walk(path.join(root, 'examples'), 'examples')
  t.ok(onDisk.length >= 7 * 5, `${onDisk.length} files in the example folders`)
  t.same(files.filter(f => f.startsWith('examples/')), onDisk.sort(), 'exactly the example folders\' files')
  t.same(files.filter(f => /(^|\/)(build|node_modules|test)\/|package-lock\.json$|\.(node|o|a|tgz)$/.test(f)), [],
    'no build output, install, lock file or test')
})

// Every relative link of the packed README.md and docs/*.md: the path it
// names, from the linking file's folder, is a file of the tarball or a
// folder holding some. (docs.test.js checks the same links against the
// repository, where more exists than is shipped.)
t.test('package_links: every relative link in the packed README.md and docs/ resolves inside the tarball', async t => {
  const root = path.join(__dirname, '..')
  const files = packedFiles()
  const docs = files.filter(f => f === 'README.md' || /^docs\/[^/]+\.md$/.test(f))
  t.ok(docs.includes('README.md') && docs.length >= 10, `${docs.length} markdown files packed`)
  let links = 0
  for (const doc of docs) {
    const text = fs.readFileSync(path.join(root, doc), 'utf8')
    for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(m[1])) continue // https:, mailto:
      links++
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(doc), m[1])).replace(/\/$/, '')
      const found = !target.startsWith('../') &&
        (files.includes(target) || files.some(f => f.startsWith(target + '/')))
      t.ok(found, `${doc} -> ${m[1]} (${target}) is in the tarball`)
    }
  }
  t.ok(links >= 50, `${links} relative links checked`)
})

// The README's build commands, as a newcomer runs them on a machine with
// only node and npm, offline: the consumer package of the quick start
// (its binding.gyp, C, package.json script and JS, verbatim), napi-task
// from the packed tarball, no node-gyp of its own, npm --offline, an empty
// HOME (no npm cache, no node-gyp headers cache) and every proxy at a
// closed port. `npm install` and `npm run build` must build it with npm's
// own node-gyp; `npx node-gyp rebuild`, which the README used to say,
// fails there. The headers come from npm_config_nodedir, as the README
// says for offline builds. Plain builds: not under the sanitizers.
t.test('package_readme_build: the README\'s npm install and npm run build work offline with npm\'s node-gyp', {
  skip: process.env.NAPI_TASK_SANITIZE
    ? 'builds a consumer with npm and node-gyp, uninstrumented: npm test runs it'
    : false
}, async t => {
  const os = require('os')
  const { spawnSync } = require('child_process')
  const root = path.join(__dirname, '..')
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  const block = lang => readme.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'))[1]
  const scripts = JSON.parse(`{${block('json')}}`).scripts
  t.same(scripts, { build: 'node-gyp rebuild' }, 'the README\'s script: node-gyp, not npx')
  t.equal(readme.split('npx node-gyp').length, 2, 'the README names npx node-gyp once')
  t.match(readme, /\(Not `npx node-gyp`: npx looks\s+node-gyp up in the registry, and\s+offline it fails\.\)/,
    '... only to say not to use it')
  for (const f of [...fs.readdirSync(path.join(root, 'docs')).map(f => path.join('docs', f)),
    ...fs.readdirSync(path.join(root, 'examples')).map(e => path.join('examples', e, 'README.md'))]) {
    t.notMatch(fs.readFileSync(path.join(root, f), 'utf8'), /npx node-gyp|npm exec[^`]*node-gyp/, `${f}: no npx node-gyp`)
  }

  const prefix = path.dirname(path.dirname(process.execPath))
  if (!fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    t.skip(`no Node headers at ${path.join(prefix, 'include', 'node')}: node-gyp would download them`)
    return
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-newcomer-'))
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }))
  const home = path.join(tmp, 'home')
  const dir = path.join(tmp, 'my-addon')
  fs.mkdirSync(home)
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true })
  t.equal(npmSync(['pack', '--ignore-scripts', '--pack-destination', tmp, '--loglevel=error'],
    { cwd: root }).status, 0, 'npm pack')
  const version = require('../package.json').version
  fs.writeFileSync(path.join(dir, 'binding.gyp'), block('python'))
  fs.writeFileSync(path.join(dir, 'src', 'my_addon.c'), block('c'))
  fs.writeFileSync(path.join(dir, 'quick.js'), block('js'))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'my-addon',
    version: '1.0.0',
    private: true,
    scripts,
    dependencies: { 'napi-task': `file:${path.join(tmp, `napi-task-${version}.tgz`)}` }
  }, null, 2))

  const closed = 'http://127.0.0.1:9'
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_|_proxy$/i.test(k)) env[k] = v // nothing inherited from npm test
  }
  Object.assign(env, {
    HOME: home,
    USERPROFILE: home,
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_nodedir: prefix,
    HTTP_PROXY: closed,
    HTTPS_PROXY: closed,
    http_proxy: closed,
    https_proxy: closed,
    // A shell's PATH: not the one npm test runs tap with, which has this
    // repository's node_modules/.bin (node-gyp is a dev dependency) and
    // npm's node-gyp-bin.
    PATH: [path.dirname(process.execPath), ...process.env.PATH.split(path.delimiter)
      .filter(p => !/node_modules[\\/]\.bin$|node-gyp-bin$/.test(p))].join(path.delimiter)
  })
  const npm = args => {
    const r = npmSync(args, { cwd: dir, env })
    return { code: r.status, out: `${r.stdout}${r.stderr}` }
  }
  const built = path.join(dir, 'build', 'Release', 'my_addon.node')
  const quick = () => spawnSync(process.execPath, ['quick.js'], { cwd: dir, encoding: 'utf8' }).stdout.trim()

  const install = npm(['install', '--no-audit', '--no-fund', '--foreground-scripts'])
  t.equal(install.code, 0, 'npm install succeeds offline', install.code ? { log: install.out.slice(-6000) } : {})
  t.match(install.out, /> node-gyp rebuild\n[\s\S]*COPY Release\/my_addon\.node\n/, 'npm ran node-gyp rebuild')
  t.notOk(fs.existsSync(path.join(dir, 'node_modules', '.bin', 'node-gyp')) ||
    fs.existsSync(path.join(dir, 'node_modules', 'node-gyp')), 'no node-gyp installed in the package: npm\'s own ran')
  t.equal(quick(), '42', 'the README\'s JS prints 42')

  fs.rmSync(path.join(dir, 'build'), { recursive: true })
  const build = npm(['run', 'build'])
  t.equal(build.code, 0, 'npm run build succeeds offline', build.code ? { log: build.out.slice(-6000) } : {})
  t.ok(fs.existsSync(built), 'npm run build wrote build/Release/my_addon.node')
  t.equal(quick(), '42', 'the rebuilt addon prints 42')

  const npx = npm(['--yes', 'exec', '--', 'node-gyp', 'rebuild'])
  t.not(npx.code, 0, 'npx node-gyp rebuild fails offline: it looks node-gyp up in the registry')
  t.match(npx.out, /ENOTCACHED|missing packages/, 'npm says it could not fetch node-gyp', { log: npx.out.slice(-2000) })
  t.notOk(fs.existsSync(path.join(home, '.cache', 'node-gyp')), 'no headers downloaded')
})

// npm run test:sanitize, test:tsan and test:faults on a fresh clone, right
// after `npm install`: each must build all that the files it runs load.
// They once built only their own sanitized copies, and seven test files
// (legacy, examples, control-examples, cpp, three in-worker shards) found
// the examples in build/Release missing: only npm test's pretest made
// them. Checked without building: each script's tool, run with
// NAPI_TASK_PLAN=1, prints the directories it would build, in order, the
// files it would run and the variables naming its own addons. A file
// needs the plain build/ when it loads an addon from the repository's
// build/Release other than as the fallback of one of those variables, or
// uses an example folder (node examples/<name>: its index.js falls back to
// ../../build/Release; a file that only reads the folder counts too). Files that a test file runs in a worker or a child
// are not followed: the shards' files are in the suite themselves.
t.test('package_scripts_fresh_clone: each sanitizer script builds what its tests load', {
  skip: process.platform === 'linux' ? false : 'the sanitizer scripts run on Linux only'
}, async t => {
  const { execFileSync } = require('child_process')
  const root = path.join(__dirname, '..')
  const pkg = require('../package.json')
  const gyp = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8')
  const targets = [...gyp.matchAll(/'target_name': '(\w+)'/g)].map(m => m[1])
  t.equal(pkg.scripts.build, 'node tools/gyp.js build', 'npm run build: the plain build')

  const needs = (file, sets) => {
    const text = fs.readFileSync(path.join(root, file), 'utf8')
    const why = []
    const fromRoot = /path\.join\((?:root|__dirname(?:, '\.\.')+), 'build', 'Release'(?:, '(\w+)\.node')?/g
    for (const m of text.matchAll(fromRoot)) {
      const before = text.slice(Math.max(0, m.index - 120), m.index)
      const fallback = /process\.env\.(\w+)\s*\|\|\s*(?:require\('path'\)\.)?$/.exec(before)
      if (fallback && sets.includes(fallback[1])) continue
      why.push(`loads ${m[1] ? m[1] + '.node' : 'an addon'} from build/Release`)
    }
    if (/path\.join\(root, 'examples', /.test(text)) why.push('uses an example folder')
    return why.length ? [`${file} (${[...new Set(why)].join(', ')})`] : []
  }

  for (const script of ['test:sanitize', 'test:tsan', 'test:faults']) {
    const [cmd, tool, ...args] = pkg.scripts[script].split(' ')
    t.equal(cmd, 'node', `${script}: a node tool`)
    const out = execFileSync(process.execPath, [path.join(root, tool), ...args],
      { cwd: root, env: { ...process.env, NAPI_TASK_PLAN: '1' }, encoding: 'utf8' })
    const line = out.split('\n').find(l => l.startsWith('PLAN '))
    t.ok(line, `${script}: prints its plan`)
    if (!line) continue
    const plan = JSON.parse(line.slice(5))
    t.ok(plan.files.length > 0 && plan.builds.length > 0, `${script}: ${plan.builds.length} builds, ${plan.files.length} files`)
    const needing = plan.files.flatMap(f => needs(f, plan.sets))
    if (plan.builds.includes('build/Release')) {
      t.equal(plan.builds[0], 'build/Release', `${script}: the plain build first, for ${needing.length} files`, { needing })
    } else {
      t.same(needing, [], `${script}: builds no build/Release, and no file it runs needs one`)
    }
    if (script === 'test:sanitize') {
      // The files a fresh clone found without their addons: the check sees them.
      for (const f of ['legacy', 'examples', 'control-examples', 'cpp']) {
        t.ok(needing.some(n => n.startsWith(`test/${f}.test.js `)), `test/${f}.test.js needs the plain build`)
      }
    }
  }

  // What an example falls back to is a target of the plain build.
  for (const name of fs.readdirSync(path.join(root, 'examples'))) {
    const js = fs.readFileSync(path.join(root, 'examples', name, 'index.js'), 'utf8')
    t.ok(js.includes(`require('../../build/Release/${name}.node')`), `examples/${name} falls back to build/Release/${name}.node`)
    t.ok(targets.includes(name), `binding.gyp builds ${name}`)
  }
})
