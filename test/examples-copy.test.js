'use strict'
// Every example, copied alone, is a package a user can build and run: its
// folder is copied into an empty directory, its napi-task dependency
// pointed at this repository's `npm pack` output (and cpp_naa's
// node-addon-api at a pack of the installed one: there is no registry in a
// test), then `npm install` builds it through node-gyp as npm does for any
// package with a binding.gyp, and `node .` must print exactly what the
// example's README says. Nothing may be downloaded: node-gyp gets the
// headers installed next to this node (npm_config_nodedir), npm runs
// --offline, HOME is empty and every proxy points at a closed port, so a
// header download would fail the build and leave ~/.cache/node-gyp behind.
//
// Seven node-gyp builds, two at a time: this file asks tap for 600 s
// instead of the 300 s of package.json.
const t = require('tap')
const crypto = require('crypto')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFile, execFileSync } = require('child_process')

t.setTimeout(600000)

const root = path.join(__dirname, '..')
const version = require('../package.json').version
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
const gypText = readme.match(/```python\n([\s\S]*?)```/)[1]
const naaDir = path.dirname(require.resolve('node-addon-api/package.json'))
const naaVersion = require('node-addon-api/package.json').version
const prefix = path.dirname(path.dirname(process.execPath))
const localHeaders = fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))

const closed = 'http://127.0.0.1:9'
// A fresh shell's environment: no npm settings inherited from `npm test`,
// no way out to the network, the headers next to this node.
const offlineEnv = home => {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_|_proxy$/i.test(k)) env[k] = v
  }
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    npm_config_nodedir: prefix,
    npm_config_update_notifier: 'false',
    NVM_NODEJS_ORG_MIRROR: closed + '/dist',
    HTTP_PROXY: closed,
    HTTPS_PROXY: closed,
    http_proxy: closed,
    https_proxy: closed,
    // binding.gyp's `node -p` uses this node
    PATH: path.dirname(process.execPath) + path.delimiter + env.PATH
  }
}

const progressLines = stderr => {
  const lines = stderr.trim().split('\n')
  return lines.every(l => /^progress \d+%$/.test(l)) && lines[lines.length - 1] === 'progress 100%'
}

// What `node .` (with args, in the copy) must print: README.md of each
// example shows the same.
const EXAMPLES = {
  add_one: {
    stdout: 'callback: 41 + 1 = 42\npromise: 1.5 + 1 = 2.5\n'
  },
  ask_js: {
    stdout: 'x^3 - 2x - 5 = 0 at x = 2.094551481542 (53 calls into JS)\n' +
      'f threw: RangeError: cannot evaluate at 0\n'
  },
  hash_file: {
    args: ['package.json', 'no-such-file'],
    stdout: dir => `${crypto.createHash('sha256')
      .update(fs.readFileSync(path.join(dir, 'package.json'))).digest('hex')}  package.json\n`,
    stderr: "hash_file: ENOENT: no such file or directory, open 'no-such-file' (ENOENT)\n",
    code: 1
  },
  legacy_task: {
    stdout: [
      'old style: primes below 100000 = 9592',
      'builder:   primes below 100000 = 9592',
      'old style: ERR_OUT_OF_RANGE: n must be at most 100000000, got 200000000',
      'builder:   ERR_OUT_OF_RANGE: n must be at most 100000000, got 200000000',
      'builder, promise: primes below 1000 = 168',
      'builder, aborted: AbortError ABORT_ERR',
      ''
    ].join('\n')
  },
  primes: {
    args: ['2000000'],
    stdout: '148933 primes below 2000000\n',
    stderr: progressLines
  },
  cpp_plain: {
    stdout: [
      'callback: count 8, mean 3.875, min 1, max 9',
      'promise: count 3, mean 0.6666666666666666, min -1, max 2.5',
      'empty: ERR_EMPTY: summarize: no numbers',
      'aborted: AbortError',
      ''
    ].join('\n')
  },
  cpp_naa: {
    stdout: [
      'progress: 25%',
      'progress: 50%',
      'progress: 75%',
      'progress: 100%',
      'top 3: the=4 dog=2 fox=2',
      'no words: ERR_NAPI_TASK_CPP_EXCEPTION: no words in the text',
      'bad call: TypeError: topWords(text: string, n: number)',
      'aborted: AbortError',
      ''
    ].join('\n')
  }
}

const names = fs.readdirSync(path.join(root, 'examples'), { withFileTypes: true })
  .filter(d => d.isDirectory()).map(d => d.name).sort()

t.test('examples_copy_listed: every example is listed here', async t => {
  t.same(names, Object.keys(EXAMPLES).sort())
})

t.test('examples_copy_package: each example is a package: package.json and the README\'s binding.gyp', async t => {
  for (const name of names) {
    const dir = path.join(root, 'examples', name)
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
    t.equal(pkg.private, true, `${name}: private`)
    t.equal(pkg.main, 'index.js', `${name}: main`)
    t.same(pkg.scripts, undefined, `${name}: no scripts: npm runs node-gyp rebuild for a binding.gyp`)
    t.same(pkg.dependencies, {
      'napi-task': `^${version}`,
      // The range docs/cpp.md states (tools/naa-range.js tests its ends).
      ...(name === 'cpp_naa' ? { 'node-addon-api': '^7.0.0 || ^8.0.0' } : {})
    }, `${name}: depends on napi-task ^${version} as a user writes it`)
    const source = fs.readdirSync(dir).filter(f => /\.(c|cc)$/.test(f))
    t.same(source, [name + (name.startsWith('cpp_') ? '.cc' : '.c')], `${name}: one source file`)
    const gyp = fs.readFileSync(path.join(dir, 'binding.gyp'), 'utf8')
    const fromReadme = gypText.replace('"my_addon"', `"${name}"`)
      .replace('"src/my_addon.c"', `"${source[0]}"`)
    if (name === 'cpp_naa') {
      // The README's lines, and node-addon-api's own dependency line for
      // C++ exceptions, as its setup guide gives it.
      t.equal(gyp, fromReadme.replace(/"dependencies": \[(.*)\]/, '"dependencies": [\n' +
        '      $1,\n' +
        '      "<!(node -p \\"require(\'node-addon-api\').targets\\"):node_addon_api_except"\n' +
        '    ]'), `${name}: the README's binding.gyp, plus node-addon-api`)
    } else {
      t.equal(gyp, fromReadme, `${name}: the README's binding.gyp`)
    }
    const js = fs.readFileSync(path.join(dir, 'index.js'), 'utf8')
    t.ok(js.includes(`require('./build/Release/${name}.node')`), `${name}: index.js loads its own build`)
  }
})

t.test('examples_copy_run: built and run from a copy of the folder alone', { skip: localHeaders ? false
  : `no Node headers at ${path.join(prefix, 'include', 'node')}: node-gyp would download them` }, async t => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-examples-'))
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }))
  const packDir = path.join(tmp, 'pack')
  fs.mkdirSync(packDir)
  for (const what of [root, naaDir]) {
    execFileSync('npm', ['pack', what, '--ignore-scripts', '--pack-destination', packDir,
      '--loglevel=error'], { cwd: root, stdio: 'pipe' })
  }
  const tarball = path.join(packDir, `napi-task-${version}.tgz`)
  const naaTarball = path.join(packDir, `node-addon-api-${naaVersion}.tgz`)
  t.ok(fs.existsSync(tarball) && fs.existsSync(naaTarball), 'packed')

  // The copy sits at <tmp>/copies/<name>: its ../../build (the repository
  // fallback in index.js) is <tmp>/build, which does not exist, so the copy
  // can only run on its own build.
  const copy = name => {
    const dir = path.join(tmp, 'copies', name)
    fs.cpSync(path.join(root, 'examples', name), dir, {
      recursive: true,
      // A build or an install made inside the repository is not the folder.
      filter: src => !['build', 'node_modules', 'package-lock.json'].includes(path.basename(src))
    })
    const pkgFile = path.join(dir, 'package.json')
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'))
    pkg.dependencies['napi-task'] = `file:${tarball}`
    if (pkg.dependencies['node-addon-api']) pkg.dependencies['node-addon-api'] = `file:${naaTarball}`
    fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n')
    return dir
  }

  const run = (file, args, options) => new Promise(resolve => {
    const t0 = Date.now()
    execFile(file, args, { maxBuffer: 64 << 20, encoding: 'utf8', ...options }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr, ms: Date.now() - t0 }))
  })

  // Copy, `npm install`, `node .`: never rejects, the subtest judges.
  const build = async name => {
    const dir = copy(name)
    const home = path.join(tmp, 'home', name)
    fs.mkdirSync(home, { recursive: true })
    const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund',
      '--foreground-scripts'], { cwd: dir, env: offlineEnv(home) })
    const ex = EXAMPLES[name]
    const node = install.code === 0
      ? await run(process.execPath, ['.', ...(ex.args || [])], { cwd: dir })
      : null
    return { dir, home, install, node }
  }

  // Two builds at a time, all started now; each subtest awaits its own.
  let running = 0
  const waiting = []
  const slot = async fn => {
    while (running >= 2) await new Promise(resolve => waiting.push(resolve))
    running++
    try { return await fn() } finally {
      running--
      if (waiting.length) waiting.shift()()
    }
  }
  const builds = new Map(names.map(name => [name, slot(() => build(name))]))

  for (const name of names) {
    t.test(`examples_copy_${name}: npm install && node .${(EXAMPLES[name].args || []).map(a => ' ' + a).join('')}`, async t => {
      const { dir, home, install, node } = await builds.get(name)
      const log = (install.stdout + install.stderr).slice(-6000)
      t.equal(install.code, 0, `npm install succeeds offline (${install.ms} ms)`, install.code ? { log } : {})
      t.match(install.stdout, /> node-gyp rebuild\n[\s\S]*COPY Release\/\w+\.node\n/,
        'npm ran node-gyp rebuild, which linked the addon', { log })
      t.notMatch(install.stdout + install.stderr, /warning:/, 'no compiler warning')
      t.notOk(fs.existsSync(path.join(home, '.cache', 'node-gyp')), 'no headers downloaded')
      const installed = path.join(dir, 'node_modules', 'napi-task')
      t.notOk(fs.lstatSync(installed).isSymbolicLink(), 'napi-task installed from the tarball, a real copy')
      t.ok(fs.existsSync(path.join(dir, 'build', 'Release', `${name}.node`)), `build/Release/${name}.node`)
      if (!node) return
      const ex = EXAMPLES[name]
      const wantOut = typeof ex.stdout === 'function' ? ex.stdout(dir) : ex.stdout
      t.equal(node.stdout, wantOut, 'stdout as its README shows')
      if (typeof ex.stderr === 'function') t.ok(ex.stderr(node.stderr), 'stderr', { stderr: node.stderr })
      else t.equal(node.stderr, ex.stderr || '', 'stderr')
      t.equal(node.code, ex.code || 0, 'exit code')
    })
  }
})
