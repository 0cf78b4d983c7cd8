'use strict'
// node tools/windows.js
//
// The Windows job, run on Linux: cross-compiles napi-task, every example
// (C and C++) and the C and C++ test addons with mingw-w64 (warnings are
// errors), then
// loads some of them into the official Windows node.exe under Wine. No
// MSVC can run here, so this is what proves the _WIN32 branches of the
// library (src/platform.h: SRWLOCK, CONDITION_VARIABLE, InitOnce) compile
// cleanly and work against a real Windows Node.
//
// Everything lands in build-win/ (never build/): the import library, the
// objects, the .node files, the Wine prefix (made once, reused) and the
// small scripts node.exe runs. /work/shared/windows-on-linux.md has the
// hand-run recipe this automates.
//
// Debian packages: gcc-mingw-w64-x86-64, g++-mingw-w64-x86-64,
// mingw-w64-tools, wine, wine64.
//
// If the cross-compile fails, or a Wine run prints anything but what it
// must, the exit status is 1. If Wine cannot start node.exe at all (no
// working Wine on the machine), the smoke runs are skipped with a message
// and the exit status is 0, unless NAPI_TASK_WINDOWS_STRICT=1.
//
// Debian 12's Wine (8.0) cannot run the V8 of Node 26 as it is; the runs
// then use a copy of node.exe with one byte changed, in build-win/node-wine/
// (see patchedNodeExe for what and why). The script says when it does.
//
// NAPI_TASK_WINDOWS_DIAG=1 links tools/windows-diag.c into the test addon:
// it says whose uv_async_send hit a closing handle when node.exe asserts.
const { spawnSync, execFile } = require('child_process')
const crypto = require('crypto')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { promisify } = require('util')
const runtimes = require('./runtimes')

const root = path.resolve(__dirname, '..')
const out = path.join(root, 'build-win')
const CC = 'x86_64-w64-mingw32-gcc'
// The posix-threads g++: GCC 12's win32-threads libstdc++ has no
// std::mutex, which node-addon-api and the C++ test addon use. Linked
// with -static, so no libstdc++ or winpthread DLL is imported (checked).
const CXX = 'x86_64-w64-mingw32-g++-posix'
const AR = 'x86_64-w64-mingw32-ar'
const DLLTOOL = 'x86_64-w64-mingw32-dlltool'
const OBJDUMP = 'x86_64-w64-mingw32-objdump'

// NAPI_VERSION=8 is the floor the library promises (README.md): a newer
// default in the headers must not let a later Node-API call slip in.
// NAPI_TASK_WINDOWS_CFLAGS adds C flags: tools/msvc-check.js runs this job
// with -DNT_INTERLOCKED_ATOMICS=1, the atomics cl.exe gets (src/platform.h).
const CFLAGS = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2',
  '-DBUILDING_NODE_EXTENSION', '-DNAPI_VERSION=8',
  ...(process.env.NAPI_TASK_WINDOWS_CFLAGS || '').split(/\s+/).filter(Boolean)]
const CXXFLAGS = ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-O2',
  '-DBUILDING_NODE_EXTENSION', '-DNAPI_VERSION=8']
// As binding.gyp builds them: node-gyp's default (no C++ exceptions), or
// exceptions on with node-addon-api's NAPI_CPP_EXCEPTIONS.
const NO_EXCEPTIONS = ['-fno-exceptions', '-fno-rtti']
const NAA_EXCEPTIONS = ['-DNAPI_CPP_EXCEPTIONS']
const NAA_NO_EXCEPTIONS = ['-fno-exceptions', '-DNAPI_DISABLE_CPP_EXCEPTIONS']

const log = msg => console.error(`windows: ${msg}`)
const die = msg => {
  log(msg)
  process.exit(1)
}
const rel = p => path.relative(root, p)

// Phase timings, printed as each phase ends and again as a summary, so a
// slow CI run shows where the time went.
const timings = []
function timed (label, fn) {
  const t0 = Date.now()
  const finish = () => {
    const s = (Date.now() - t0) / 1000
    timings.push([label, s])
    log(`${label}: ${s.toFixed(1)} s`)
  }
  const r = fn()
  if (r && typeof r.then === 'function') return r.finally(finish)
  finish()
  return r
}

// ---- tools ----

function onPath (name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue
    const file = path.join(dir, name)
    try {
      fs.accessSync(file, fs.constants.X_OK)
      return file
    } catch {}
  }
  return null
}

// Debian's wine package puts the 64-bit loader in /usr/lib/wine/wine64
// without a wine64 on PATH, and its /usr/bin/wine wrapper falls back to
// that loader when wine32 is absent (warning about wine32 unless WINEDEBUG
// is -all). Either runs 64-bit node.exe.
function findWine () {
  return onPath('wine64') || onPath('wine')
}

function checkTools () {
  const need = [
    [CC, 'gcc-mingw-w64-x86-64'],
    [CXX, 'g++-mingw-w64-x86-64'],
    [AR, 'binutils-mingw-w64-x86-64 (comes with gcc-mingw-w64-x86-64)'],
    [DLLTOOL, 'binutils-mingw-w64-x86-64 (comes with gcc-mingw-w64-x86-64)'],
    // dlltool runs the assembler by this name; without it, it says only
    // "execvp".
    ['x86_64-w64-mingw32-as', 'binutils-mingw-w64-x86-64 (comes with gcc-mingw-w64-x86-64)'],
    [OBJDUMP, 'binutils-mingw-w64-x86-64 (comes with gcc-mingw-w64-x86-64)'],
    ['gendef', 'mingw-w64-tools']
  ]
  const missing = need.filter(([tool]) => !onPath(tool))
  if (!findWine()) missing.push(['wine64 or wine', 'wine wine64'])
  if (!onPath('wineserver')) missing.push(['wineserver', 'wine wine64'])
  if (missing.length > 0) {
    for (const [tool, pkg] of missing) log(`missing ${tool}: Debian package ${pkg}`)
    const pkgs = 'gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 mingw-w64-tools wine wine64'
    die(`install the cross toolchain and Wine first: apt-get install ${pkgs}`)
  }
}

// Runs a tool to completion; on failure prints its stderr and stops.
function run (cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })
  if (r.error) die(`${cmd}: ${r.error.message}`)
  if (r.status !== 0) {
    if (r.stderr) process.stderr.write(r.stderr)
    die(`${cmd} ${args.join(' ')} failed (exit ${r.status}${r.signal ? ', ' + r.signal : ''})`)
  }
  return r
}

// ---- import library ----

// MinGW links a DLL's callers against an import library. An addon imports
// Node-API and libuv from node.exe itself, the executable, and gendef lists all of its thousands of exports, most of them V8's and
// OpenSSL's; an addon built with this library may only use the C ones, so
// only those go into node.def: a stray C++ import would then fail the
// link (-Wl,--no-undefined) instead of tying the addon to one Node build.
function importLibrary (nodeExe) {
  // gendef chatters about data types it cannot classify on stderr.
  const r = run('gendef', ['-', nodeExe], { stdio: ['ignore', 'pipe', 'ignore'] })
  const names = r.stdout.split('\n').map(l => l.trim())
    .filter(l => /^(napi_|node_api_|uv_)/.test(l))
  if (!names.some(l => l.startsWith('napi_create_function'))) {
    die(`gendef found no Node-API exports in ${nodeExe}`)
  }
  const def = path.join(out, 'node.def')
  fs.writeFileSync(def, ['LIBRARY "node.exe"', 'EXPORTS', ...names, ''].join('\n'))
  const lib = path.join(out, 'libnode.a')
  run(DLLTOOL, ['-d', def, '-l', lib])
  log(`${rel(lib)}: ${names.length} exports of node.exe`)
}

// ---- compile ----

// The headers of the Linux build of node.exe's major version: Node's
// headers are the same on every platform (uv.h includes uv/win.h under
// _WIN32), so no Windows headers need fetching, and with the same major
// version uv.h's error table, which napi_task_error_uv compiles in,
// matches the libuv inside node.exe.
function nodeHeaders () {
  const major = runtimes.RUNTIMES['node-win'].version.split('.')[0]
  const dir = path.resolve(runtimes.ensure(`node${major}`), '..', 'include', 'node')
  if (!fs.existsSync(path.join(dir, 'node_api.h'))) {
    die(`no Node headers at ${dir} (node_api.h)`)
  }
  return dir
}

const filesOf = (dir, ext) => fs.readdirSync(path.join(root, dir)).filter(f => f.endsWith(ext)).sort()
  .map(f => path.join(root, dir, f))
const cFiles = dir => filesOf(dir, '.c')
const naaInclude = () => require(require.resolve('node-addon-api', { paths: [root] })).include_dir

// What to build: the library's sources and every addon, from the
// directories themselves (as tools/glob.js does for binding.gyp), so a new
// example or test file needs no edit here.
// C++ addons (an example with a .cc, the C++ test addon in both of
// binding.gyp's builds) get `cxx`: their flags, and g++ for the link.
function targets () {
  const dirs = fs.readdirSync(path.join(root, 'examples'), { withFileTypes: true })
    .filter(d => d.isDirectory()).map(d => d.name).sort()
  const example = name => path.join(root, 'examples', name, name)
  const naa = ['-I', naaInclude()]
  const cppTest = [...filesOf('test/addon_cpp', '.cc'), path.join(root, 'test', 'addon', 'helpers.c')]
  return {
    library: cFiles('src'),
    addons: [
      ...dirs.filter(n => fs.existsSync(example(n) + '.c'))
        .map(name => ({ name, sources: [example(name) + '.c'] })),
      ...dirs.filter(n => fs.existsSync(example(n) + '.cc')).map(name => ({
        name,
        sources: [example(name) + '.cc'],
        cxx: name === 'cpp_naa' ? [...naa, ...NAA_EXCEPTIONS] : NO_EXCEPTIONS
      })),
      {
        name: 'test_addon',
        sources: [...cFiles('test/addon'),
          ...(process.env.NAPI_TASK_WINDOWS_DIAG === '1' ? [path.join(root, 'tools', 'windows-diag.c')] : [])]
      },
      { name: 'test_addon_cpp', sources: cppTest, cxx: [...naa, ...NAA_EXCEPTIONS] },
      { name: 'test_addon_cpp_noexcept', sources: cppTest, cxx: [...naa, ...NAA_NO_EXCEPTIONS] }
    ]
  }
}

// Compiles in parallel; returns the failures (file and compiler output)
// so that all of them are reported, not only the first.
async function compileAll (jobs) {
  const exec = promisify(execFile)
  const failures = []
  const queue = jobs.slice()
  const worker = async () => {
    for (let job; (job = queue.shift());) {
      fs.mkdirSync(path.dirname(job.obj), { recursive: true })
      try {
        const { stderr } = await exec(job.compiler || CC, [...job.flags, '-c', job.src, '-o', job.obj],
          { cwd: root, maxBuffer: 16 << 20 })
        // -Werror makes any warning a failure; anything printed on success
        // is a note, still worth failing on so it is seen.
        if (stderr.trim()) failures.push({ src: job.src, text: stderr })
      } catch (e) {
        failures.push({ src: job.src, text: e.stderr || e.message })
      }
    }
  }
  const n = Math.max(1, Math.min(jobs.length, (os.availableParallelism || (() => os.cpus().length))()))
  await Promise.all(Array.from({ length: n }, worker))
  return failures
}

// A .node that imports a MinGW runtime DLL (libgcc_s, libwinpthread: a
// posix-threads mingw-w64 gcc pulls them in for _Thread_local) loads under
// a Wine that happens to have them and on no user's Windows. Only node.exe
// and DLLs every Windows has are allowed.
const SYSTEM_DLL = /^(node\.exe|kernel32\.dll|msvcrt\.dll|ucrtbase\.dll|api-ms-win-[a-z0-9-]+\.dll|advapi32\.dll|user32\.dll|ws2_32\.dll|ntdll\.dll|bcrypt\.dll)$/i

function checkImports (file) {
  const r = run(OBJDUMP, ['-p', file])
  const dlls = [...r.stdout.matchAll(/DLL Name: (\S+)/g)].map(m => m[1])
  const bad = dlls.filter(d => !SYSTEM_DLL.test(d))
  if (bad.length > 0) {
    die(`${rel(file)} imports ${bad.join(', ')}: it would not load on Windows. ` +
      `${CC} is the posix-threads gcc; use the win32 one: ` +
      `update-alternatives --set ${CC} /usr/bin/${CC}-win32`)
  }
  return dlls
}

async function compile () {
  const inc = ['-I', path.join(root, 'include'), '-I', nodeHeaders()]
  const { library, addons } = targets()
  const obj = (group, src) => path.join(out, 'obj', group, path.basename(src).replace(/\.(c|cc)$/, '') + '.o')
  const jobs = [
    ...library.map(src => ({ src, obj: obj('napi_task', src), flags: [...CFLAGS, ...inc] })),
    ...addons.flatMap(a => a.sources.map(src => {
      const cc = src.endsWith('.cc')
      return {
        src,
        obj: obj(a.name, src),
        compiler: cc ? CXX : CC,
        flags: [...(cc ? [...CXXFLAGS, ...a.cxx] : CFLAGS), ...inc, `-DNODE_GYP_MODULE_NAME=${a.name}`]
      }
    }))
  ]
  // Stale objects from a file since removed must not end up in a link.
  fs.rmSync(path.join(out, 'obj'), { recursive: true, force: true })
  const failures = await compileAll(jobs)
  if (failures.length > 0) {
    for (const f of failures) {
      log(`${rel(f.src)}:`)
      process.stderr.write(f.text.endsWith('\n') ? f.text : f.text + '\n')
    }
    die(`${failures.length} file(s) did not compile cleanly for Windows (-Werror)`)
  }

  const archive = path.join(out, 'libnapi_task.a')
  fs.rmSync(archive, { force: true })
  run(AR, ['rcs', archive, ...library.map(src => obj('napi_task', src))])

  for (const a of addons) {
    const file = path.join(out, `${a.name}.node`)
    // -static-libgcc: no libgcc_s DLL next to the addon. --no-undefined:
    // a symbol node.exe does not export fails here, not at load time.
    const r = spawnSync(a.cxx ? CXX : CC, ['-shared', ...(a.cxx ? ['-static'] : []), '-static-libgcc',
      '-Wl,--no-undefined', '-o', file,
      ...a.sources.map(src => obj(a.name, src)), archive, `-L${out}`, '-lnode'],
    { encoding: 'utf8' })
    if (r.status !== 0 || r.stderr.trim()) {
      process.stderr.write(r.stderr || '')
      die(`linking ${rel(file)} ${r.status !== 0 ? 'failed' : 'printed warnings'}`)
    }
    log(`${rel(file)} (imports ${checkImports(file).join(', ')})`)
  }
  return addons.map(a => a.name)
}

// ---- Wine ----

const prefix = path.join(out, 'wineprefix')

function wineEnv () {
  return {
    ...process.env,
    WINEPREFIX: prefix,
    WINEARCH: 'win64',
    WINEDEBUG: '-all',
    // No Mono or Gecko: wineboot would otherwise look for them and offer
    // to download them, and node.exe needs neither.
    WINEDLLOVERRIDES: 'mscoree=;mshtml=',
    // The worker check counts on a pool of exactly this many threads.
    UV_THREADPOOL_SIZE: '4',
    // Wine passes the Unix environment on to node.exe: a NODE_OPTIONS of
    // the calling shell (tap's --import hooks, say) must not reach it.
    NODE_OPTIONS: ''
  }
}

// Only one wineserver per prefix, and it lingers a few seconds after the
// last process: waiting for it keeps a second run (or a rm -rf build-win)
// from meeting a half-shut-down prefix.
function wineserverWait () {
  spawnSync('wineserver', ['-w'], { env: wineEnv(), stdio: 'ignore', timeout: 60000 })
}

// Makes the prefix once. The marker is written only after every step
// succeeded, so an interrupted first run starts over instead of reusing a
// half-made prefix.
function winePrefix (wine) {
  const marker = path.join(prefix, '.napi-task-ready')
  if (fs.existsSync(marker)) {
    log(`reusing ${rel(prefix)}`)
    return null
  }
  fs.rmSync(prefix, { recursive: true, force: true })
  fs.mkdirSync(prefix, { recursive: true })
  const env = wineEnv()
  const steps = [
    ['wineboot', '-i'],
    // A new Wine 8 prefix says Windows 7, and node.exe then refuses to
    // start ("Node.js is only supported on Windows 10, ...", exit 216).
    ['reg', 'add', 'HKCU\\Software\\Wine', '/v', 'Version', '/d', 'win10', '/f']
  ]
  for (const args of steps) {
    const r = spawnSync(wine, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300000 })
    if (r.error || r.status !== 0) {
      return `${path.basename(wine)} ${args.join(' ')}: ` +
        (r.error ? r.error.message : `exit ${r.status}${r.signal ? ' ' + r.signal : ''}`) +
        (r.stderr ? `\n${r.stderr.trim()}` : '')
    }
  }
  // The registry is written to disk by wineserver when it exits; the next
  // node.exe must see Version=win10.
  wineserverWait()
  fs.writeFileSync(marker, '')
  return null
}

// Runs node.exe on a script in build-win/ and returns its status and what
// it printed. Under Wine, node.exe's stdout and stderr must be files:
// Node opens a pipe there as a net.Socket, and under Wine 8 that throws
// "Error: open EBADF" at the first console.log or console.error. Paths handed to node.exe are
// relative to build-win/ (the working directory, Z:\...\build-win in
// Windows terms), so no Unix path has to be translated.
function wineNode (wine, nodeExe, args, label, timeoutMs = 120000, env = {}) {
  // One pair of files per run, kept: what CI shows after a failure.
  const stdoutFile = path.join(out, `${label}.stdout`)
  const stderrFile = path.join(out, `${label}.stderr`)
  const o = fs.openSync(stdoutFile, 'w')
  const e = fs.openSync(stderrFile, 'w')
  let r
  try {
    r = spawnSync(wine, [nodeExe, ...args], {
      cwd: out, env: { ...wineEnv(), ...env }, stdio: ['ignore', o, e], timeout: timeoutMs, killSignal: 'SIGKILL'
    })
  } finally {
    fs.closeSync(o)
    fs.closeSync(e)
  }
  // A hung node.exe would have left its wineserver and threads behind.
  if (r.error && r.error.code === 'ETIMEDOUT') {
    spawnSync('wineserver', ['-k'], { env: wineEnv(), stdio: 'ignore' })
  }
  return {
    status: r.status,
    signal: r.signal,
    timedOut: Boolean(r.error && r.error.code === 'ETIMEDOUT'),
    error: r.error && r.error.code !== 'ETIMEDOUT' ? r.error.message : null,
    stdout: fs.readFileSync(stdoutFile, 'utf8'),
    stderr: fs.readFileSync(stderrFile, 'utf8')
  }
}

// ---- the smoke scripts (run by node.exe, written into build-win/) ----

// examples/add_one/index.js itself, with its loader (its own build, or
// the repository's) pointed at the cross-built addon: the example as users
// read it, not a copy that could drift from it.
function exampleScript (name) {
  const file = path.join(root, 'examples', name, 'index.js')
  const from = "fs.existsSync(path.join(__dirname, 'build'))\n" +
    `  ? require('./build/Release/${name}.node')\n` +
    `  : require('../../build/Release/${name}.node')`
  const src = fs.readFileSync(file, 'utf8')
  if (!src.includes(from)) die(`${rel(file)} no longer loads the addon with ${from}: update tools/windows.js`)
  return `// Written by tools/windows.js from examples/${name}/index.js.\n` +
    src.replace(from, `require('./${name}.node')`)
}

// The C++ examples must print under Wine exactly what they print on
// Linux, with the repository's own build (npm run build makes it).
function linuxOutput (name) {
  const r = spawnSync(process.execPath, [path.join(root, 'examples', name)], { encoding: 'utf8' })
  if (r.status !== 0 || r.stderr) {
    die(`node examples/${name} on Linux: exit ${r.status}${r.stderr ? '\n' + r.stderr : ''} (run npm run build first)`)
  }
  return r.stdout
}
const ADD_ONE_OUT = 'callback: 41 + 1 = 42\npromise: 1.5 + 1 = 2.5\n'

// examples/hash_file: a digest (checked against crypto in node.exe, and
// against the expected line computed here on Linux) and a missing file,
// which must be Node's ENOENT system error: on Windows the errno to libuv
// code mapping is hash_file.c's own, not an identity.
const HASH_JS = `'use strict'
// Written by tools/windows.js: examples/hash_file on the cross-built addon.
const crypto = require('crypto')
const fs = require('fs')
const path = require('path')
const { hashFile } = require('./hash_file.node')

async function main () {
  const file = path.join(__dirname, 'hash-data.bin')
  const digest = (await hashFile(file)).toString('hex')
  const expected = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
  console.log(\`digest: \${digest}\${digest === expected ? '' : \` (crypto says \${expected})\`}\`)
  try {
    await hashFile(path.join(__dirname, 'no-such-file.bin'))
    console.log('missing: no error')
  } catch (err) {
    console.log(\`missing: \${err.code} \${err.syscall} \${path.basename(err.path || '')}\`)
  }
}

main().catch(e => {
  console.log(\`error: \${e.stack}\`)
  process.exitCode = 1
})
`

function hashData () {
  // Three and a half read buffers (hash_file.c reads 64 KiB at a time),
  // so the loop and the final partial block both run.
  const data = Buffer.alloc(224 * 1024 + 5)
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff
  fs.writeFileSync(path.join(out, 'hash-data.bin'), data)
  fs.rmSync(path.join(out, 'no-such-file.bin'), { force: true })
  const digest = crypto.createHash('sha256').update(data).digest('hex')
  return `digest: ${digest}\nmissing: ENOENT open no-such-file.bin\n`
}

// Compares exactly: Node's console.log writes \n on Windows too (no
// text-mode translation of its writes to a file).
function check (label, r, expected) {
  if (r.timedOut) return `${label}: node.exe did not finish within the time limit\n${r.stdout}${r.stderr}`
  if (r.error) return `${label}: ${r.error}`
  if (r.status === 0 && r.signal === null && r.stdout === expected) return null
  return `${label}: exit ${r.status}${r.signal ? ' ' + r.signal : ''}\n` +
    `  expected stdout: ${JSON.stringify(expected)}\n` +
    `  got stdout:      ${JSON.stringify(r.stdout)}` +
    (r.stderr ? `\n  stderr:\n${r.stderr}` : '')
}

// Debian 12's Wine (8.0) exports VirtualAlloc2 from kernelbase but
// rejects its MEM_RESERVE_PLACEHOLDER flag (ERROR_INVALID_PARAMETER). The
// V8 of Node 26 takes the export as the sign that placeholders work and
// reserves its pointer tables as placeholder subspaces, so every node.exe
// that starts V8 dies at once: "Fatal process out of memory:
// SegmentedTable::InitializeTable (subspace allocation)" (--version still
// works: it never starts V8). V8 has a path for Windows without
// VirtualAlloc2 (10 before 1803): a fully reserved, emulated subspace. A
// copy of node.exe in which V8's GetProcAddress("VirtualAlloc2") cannot
// succeed takes that path: the name's first letter is changed. Only V8's
// reservation of address space differs; Node-API and libuv, what the
// addons use, are the same code. Used only when the original node.exe
// fails that way, so a Wine with placeholders runs the real one.
const V8_CRASH = 'SegmentedTable::InitializeTable'

function patchedNodeExe (nodeExe) {
  const buf = fs.readFileSync(nodeExe)
  // The NUL on each side: the whole string literal, not a longer name
  // ending in it; and the first letter, which no tail-merged shorter
  // string shares. Exactly one such string, or no patch. (node.exe
  // imports no VirtualAlloc2; had it, the loader would refuse the copy,
  // and the probe after this would say so.)
  const name = Buffer.from('\0VirtualAlloc2\0', 'latin1')
  const at = buf.indexOf(name)
  if (at < 0 || buf.indexOf(name, at + 1) >= 0) return null
  buf[at + 1] = 'X'.charCodeAt(0)
  const file = path.join(out, 'node-wine', 'node.exe')
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, buf)
  return file
}

// Windows path of a file on Wine's Z: drive (the Unix root).
const winPath = file => 'Z:' + file.replace(/\//g, '\\')

// Starts V8 in node.exe (unlike --version) and checks what it reports.
function probe (wine, exe, version, label) {
  const r = wineNode(wine, winPath(exe), ['-p', '`${process.version} ${process.platform} ${process.arch}`'],
    label, 180000)
  const expected = `v${version} win32 x64\n`
  return { ok: r.status === 0 && r.stdout === expected, r, expected }
}

const describe = r => `exit ${r.status}${r.signal ? ' ' + r.signal : ''}${r.timedOut ? ' (timed out)' : ''}` +
  `${r.error ? ', ' + r.error : ''}, stdout ${JSON.stringify(r.stdout)}` +
  (r.stderr.trim() ? `\n${r.stderr.trim().split('\n').slice(0, 8).join('\n')}` : '')

// The node.exe to run under this Wine, or the reason there is none.
function wineNodeExe (wine, nodeExe, version) {
  const first = timed('run: probe node.exe', () => probe(wine, nodeExe, version, 'probe'))
  if (first.ok) return { exe: nodeExe }
  if (!first.r.stderr.includes(V8_CRASH)) return { problem: `node.exe -p: ${describe(first.r)}` }
  log(`node.exe dies in V8's address-space reservation (${V8_CRASH}): this Wine rejects ` +
    'VirtualAlloc2 placeholders; using a copy of node.exe that does not look VirtualAlloc2 up')
  const patched = patchedNodeExe(nodeExe)
  if (!patched) return { problem: `node.exe fails in ${V8_CRASH}, and "VirtualAlloc2" is not once in it to hide` }
  const second = timed('run: probe patched node.exe', () => probe(wine, patched, version, 'probe-patched'))
  if (second.ok) return { exe: patched }
  return { problem: `the patched node.exe -p: ${describe(second.r)}` }
}

// The test files that need no child process and no tap runner, in
// node.exe with the cross-built test addon. tap cannot run under Wine (its
// runner and coverage need child processes and pipes, and a pipe is EBADF
// here), so they take tap's API from test/fixtures/mini-tap.js
// (NAPI_TASK_MINI_TAP=1); their last line says "N passed, N failed".
// worker.test.js is the worker termination (tasks running, a backlog,
// tasks never delivered; exactly once) that used to be a script of its own
// here. examples.test.js is left out: it starts the examples as child processes
// and compares with Linux paths; the three runs above cover the examples.
const TEST_FILES = ['core', 'signal', 'progress', 'queue', 'calljs', 'control',
  'worker', 'fairness', 'torture']

// V8's --single-threaded: no V8 background threads, so none can hit Node's
// own race (nodejs/node#56645): a V8 platform thread sending on a handle
// Node closed as a worker ended, which aborted node.exe 26.10 in 2 of 99
// torture runs here (docs/reliability.md, "Under load", has the evidence
// from tools/windows-diag.c). napi-task's threads are libuv's, untouched.
const TEST_NODE_FLAGS = ['--single-threaded']

function runTestFiles (wine, exe, failures) {
  const env = {
    NAPI_TASK_MINI_TAP: '1',
    NAPI_TASK_TEST_ADDON: winPath(path.join(out, 'test_addon.node')),
    NAPI_TASK_BUILD_DIR: winPath(out)
  }
  for (const file of TEST_FILES) {
    const label = `test-${file}`
    const script = winPath(path.join(root, 'test', `${file}.test.js`))
    const r = timed(`run: test/${file}.test.js`, () => wineNode(wine, winPath(exe), [...TEST_NODE_FLAGS, script], label, 300000, env))
    const m = /^# (\d+) passed, (\d+) failed$/m.exec(r.stdout)
    if (r.status === 0 && m && m[2] === '0') {
      log(`ok: test/${file}.test.js: ${m[1]} passed, 0 failed`)
      continue
    }
    const lines = r.stdout.split('\n')
    const bad = lines.filter(l => /^\s*not ok/.test(l)).slice(0, 20).join('\n')
    // No summary: the process died (exit 9 is abort()'s __fastfail,
    // 0xC0000409, cut to 8 bits). Its last lines say which test it was in.
    const last = m ? '' : `last lines of stdout:\n${lines.slice(-15).join('\n')}\n`
    const failure = `test/${file}.test.js: exit ${r.status}${r.signal ? ' ' + r.signal : ''}, ` +
      `${m ? `${m[1]} passed, ${m[2]} failed` : 'no summary line'}${r.timedOut ? ' (timed out)' : ''}\n${bad}\n${last}${r.stderr.slice(-3000)}`
    failures.push(failure)
    log(`FAIL ${failure}`)
  }
  return TEST_FILES.length
}

function summary (t0) {
  log('times: ' + timings.map(([l, s]) => `${l} ${s.toFixed(1)} s`).join(', ') +
    `; total ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

async function main () {
  if (process.platform !== 'linux') die('the Windows job cross-compiles on Linux (mingw-w64 and Wine)')
  const t0 = Date.now()
  checkTools()
  fs.mkdirSync(out, { recursive: true })

  const nodeDir = timed('fetch node.exe', () => runtimes.ensure('node-win'))
  const nodeExe = path.join(nodeDir, 'node.exe')
  if (!fs.existsSync(nodeExe)) die(`no node.exe in ${nodeDir}`)
  const version = runtimes.RUNTIMES['node-win'].version

  timed('import library', () => importLibrary(nodeExe))
  const built = await timed('compile and link', compile)
  log(`cross-compile clean: libnapi_task.a, ${built.map(n => n + '.node').join(', ')}`)

  const wine = findWine()
  const problem = timed('wineboot', () => winePrefix(wine))
  const use = problem ? { problem } : wineNodeExe(wine, nodeExe, version)
  if (use.problem) {
    log(`Wine cannot start node.exe on this machine: ${use.problem}`)
    wineserverWait()
    summary(t0)
    if (process.env.NAPI_TASK_WINDOWS_STRICT === '1') die('NAPI_TASK_WINDOWS_STRICT=1: failing')
    log('SKIPPED the Wine smoke runs; the cross-compile passed')
    return
  }

  for (const name of ['add_one', 'cpp_plain', 'cpp_naa']) {
    fs.writeFileSync(path.join(out, `${name}.js`), exampleScript(name))
  }
  fs.writeFileSync(path.join(out, 'hash_file.js'), HASH_JS)
  const runs = [
    ['add_one', 'add_one.js', ADD_ONE_OUT],
    ['hash_file', 'hash_file.js', hashData()],
    ['cpp_plain', 'cpp_plain.js', linuxOutput('cpp_plain')],
    ['cpp_naa', 'cpp_naa.js', linuxOutput('cpp_naa')]
  ]
  const failures = []
  for (const [label, script, expected] of runs) {
    const r = timed(`run: ${label}`, () => wineNode(wine, winPath(use.exe), [script], label))
    const failure = check(label, r, expected)
    if (failure) {
      failures.push(failure)
      log(`FAIL ${failure}`)
    } else {
      log(`ok: ${label}: ${JSON.stringify(r.stdout)}`)
    }
  }
  const files = runTestFiles(wine, use.exe, failures)
  wineserverWait()
  summary(t0)
  const total = runs.length + files
  if (failures.length > 0) die(`${failures.length} of ${total} Wine runs failed`)
  log(`all ${total} Wine runs passed on node.exe v${version}` +
    (use.exe === nodeExe ? '' : ' (patched: VirtualAlloc2 hidden from V8)'))
  console.log(`windows: ${total} passed, 0 failed`)
}

if (require.main === module) {
  main().catch(e => {
    log(e.stack)
    process.exit(1)
  })
}
