'use strict'
// node tools/msvc-check.js [--wine]
//
// What can be checked of the MSVC build here, where no cl.exe runs
// (docs/setup.md, "MSVC"):
//
// 1. clang's MSVC targets, x86_64- and aarch64-pc-windows-msvc
//    (-fms-compatibility, _MSC_VER 1929: VS 2019 16.10), compile every C
//    file of the library, of the C test addon and of the C examples,
//    syntax only, -Wall -Wextra -Werror, as consumers build them and with
//    the invariant checks (NAPI_TASK_CHECKS, as this repository builds
//    them), with NT_MSVC_C defined: so
//    src/platform.h takes cl.exe's branches (the Interlocked atomics,
//    __declspec(thread), the MSVC intrinsics), as clang-cl would not.
//    <stdatomic.h> is an #error there, and _Atomic and _Thread_local are
//    not keywords. Windows' headers are mingw-w64's (Debian's
//    mingw-w64-common), standing in for the Windows SDK; they are written
//    for gcc and parse only with __GNUC__ defined, so it is.
// 2. Probes, with the same flags: a file using every atomic operation the
//    branch defines compiles, and each gives C11's result type; a plain ++
//    on an atomic_int, atomic_fetch_add on an atomic_bool, an atomic type
//    the branch does not define, and <stdatomic.h> do not compile.
// 3. With --wine, then: tools/windows.js, the whole Windows job, on a
//    mingw-w64 build with the Interlocked atomics (-DNT_INTERLOCKED_ATOMICS
//    =1, <stdatomic.h> an #error): their code runs under Wine in the
//    official node.exe. mingw-w64's Interlocked functions are gcc builtins,
//    not cl.exe's intrinsics: this runs the logic, not MSVC's code.
//
// Not checked: cl.exe itself (its C11, its /W4 warnings, the SDK's
// headers, its code) and anything at run time on Arm64.
// .github/workflows/ci.yml has a real MSVC job; it does not run here.
//
// Debian packages: clang, mingw-w64-common (gcc-mingw-w64-x86-64 brings
// it); --wine needs what tools/windows.js needs.
const { execFile, spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { promisify } = require('util')

const root = path.resolve(__dirname, '..')
const MINGW_INCLUDE = '/usr/share/mingw-w64/include'
const TARGETS = ['x86_64-pc-windows-msvc', 'aarch64-pc-windows-msvc']
// A consumer's build, and this repository's (napi_task.gyp).
const MODES = [[], ['-DNAPI_TASK_CHECKS']]

const log = msg => console.error(`msvc-check: ${msg}`)
const die = msg => {
  log(msg)
  process.exit(1)
}
const rel = p => path.relative(root, p)

function nodeInclude () {
  const dir = path.resolve(path.dirname(process.execPath), '..', 'include', 'node')
  if (!fs.existsSync(path.join(dir, 'node_api.h'))) die(`no Node headers next to this node (${dir})`)
  return dir
}

// A folder whose stdatomic.h stops the compile: searched before the
// system's, so any inclusion in the MSVC branch fails.
function poisonDir () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-msvc-'))
  fs.writeFileSync(path.join(dir, 'stdatomic.h'),
    '#error "<stdatomic.h> included: cl.exe has none without /experimental:c11atomics"\n')
  return dir
}

const cFiles = dir => fs.readdirSync(path.join(root, dir)).filter(f => f.endsWith('.c')).sort()
  .map(f => path.join(root, dir, f))

function sources () {
  const examples = fs.readdirSync(path.join(root, 'examples'), { withFileTypes: true })
    .filter(d => d.isDirectory())
    .map(d => path.join(root, 'examples', d.name, `${d.name}.c`))
    .filter(f => fs.existsSync(f))
  return [...cFiles('src'), ...cFiles('test/addon'), ...examples]
}

function flags (target, poison) {
  return [`--target=${target}`, '-fms-compatibility', '-fms-extensions',
    '-fms-compatibility-version=19.29', '-std=c11', '-fsyntax-only',
    '-Wall', '-Wextra', '-Werror',
    '-DNT_MSVC_C=1', '-D_Atomic=NT_no_Atomic_in_MSVC_C', '-D_Thread_local=NT_no_Thread_local_in_MSVC_C',
    '-D__GNUC__=4', '-D__GNUC_MINOR__=2',
    '-DBUILDING_NODE_EXTENSION', '-DNAPI_VERSION=8',
    '-I', poison, '-I', path.join(root, 'include'), '-I', path.join(root, 'src'),
    '-I', nodeInclude(), '-isystem', MINGW_INCLUDE]
}

// Runs jobs two at a time (the machine has two cores).
async function pool (jobs, n = 2) {
  const results = []
  let next = 0
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++
      results[i] = await jobs[i]()
    }
  }))
  return results
}

const clang = args => promisify(execFile)('clang', args, { cwd: root, maxBuffer: 16 << 20 })
  .then(r => ({ code: 0, stderr: r.stderr }), e => ({ code: e.code || 1, stderr: e.stderr || e.message }))

const PROBE_OK = `#include "platform.h"
static atomic_bool b;
static atomic_int i;
static atomic_uint u;
static atomic_long l;
#define IS(T, e) _Static_assert(_Generic((e), T: 1, default: 0), #e ": " #T)
int probe(void);
int probe(void) {
  bool eb = false;
  int ei = 0;
  unsigned eu = 0;
  long el = 0;
  const atomic_int *ci = &i;
  atomic_init(&b, false);
  atomic_init(&i, 0);
  atomic_init(&u, 0u);
  atomic_init(&l, 0L);
  IS(bool, atomic_load(&b));
  IS(int, atomic_load(&i));
  IS(unsigned, atomic_load(&u));
  IS(long, atomic_load(&l));
  IS(int, atomic_load(ci));
  IS(unsigned, atomic_load_explicit(&u, memory_order_relaxed));
  IS(bool, atomic_exchange(&b, true));
  IS(int, atomic_exchange(&i, 1));
  IS(int, atomic_fetch_add(&i, 1));
  IS(unsigned, atomic_fetch_sub(&u, 1u));
  IS(long, atomic_fetch_add(&l, 1L));
  IS(bool, atomic_compare_exchange_weak(&b, &eb, true));
  IS(bool, atomic_compare_exchange_strong(&i, &ei, 2));
  IS(bool, atomic_compare_exchange_strong(&u, &eu, 2u));
  IS(bool, atomic_compare_exchange_weak(&l, &el, 2L));
  atomic_store(&b, true);
  atomic_store(&i, 3);
  atomic_store_explicit(&u, 3u, memory_order_relaxed);
  atomic_store_explicit(&l, 3L, memory_order_seq_cst);
  return atomic_load(&i) + (int)atomic_load(&l) + (atomic_load(&b) ? 1 : 0) +
         (int)atomic_load_explicit(&u, memory_order_acquire);
}
`
// Each must fail, with an error matching its pattern.
const PROBES_BAD = [
  ['a plain ++ on an atomic_int', 'static atomic_int x;\nvoid f(void);\nvoid f(void) { x++; }\n',
    /cannot increment value of type 'atomic_int'/],
  ['atomic_fetch_add on an atomic_bool', 'static atomic_bool x;\nvoid f(void);\nvoid f(void) { atomic_fetch_add(&x, 1); }\n',
    /'atomic_bool \*'.*not compatible with any generic association/],
  ['an atomic type not defined there', 'static atomic_llong x;\n',
    /unknown type name 'atomic_llong'/],
  ['<stdatomic.h>', '#include <stdatomic.h>\n', /<stdatomic\.h> included/]
]

async function main () {
  const wine = process.argv.includes('--wine')
  if (spawnSync('clang', ['--version']).status !== 0) die('no clang: apt-get install clang')
  if (!fs.existsSync(path.join(MINGW_INCLUDE, 'windows.h'))) {
    die(`no ${MINGW_INCLUDE}/windows.h: apt-get install mingw-w64-common (gcc-mingw-w64-x86-64 brings it)`)
  }
  const t0 = Date.now()
  const poison = poisonDir()
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-msvc-probe-'))
  const cleanup = () => [poison, probeDir].forEach(d => fs.rmSync(d, { recursive: true, force: true }))
  const files = sources()
  const jobs = []
  const failures = []
  let passed = 0
  for (const target of TARGETS) {
    for (const mode of MODES) {
      for (const file of files) {
        jobs.push(async () => {
          const r = await clang([...flags(target, poison), ...mode, file])
          if (r.code !== 0 || r.stderr !== '') failures.push(`${target} ${mode.join(' ')}: ${rel(file)}\n${r.stderr}`)
          else passed++
        })
      }
    }
    const ok = path.join(probeDir, 'probe-ok.c')
    fs.writeFileSync(ok, PROBE_OK)
    jobs.push(async () => {
      const r = await clang([...flags(target, poison), ok])
      if (r.code !== 0 || r.stderr !== '') failures.push(`${target}: every atomic operation, with C11's types\n${r.stderr}`)
      else passed++
    })
    PROBES_BAD.forEach(([what, text, pattern], k) => {
      const file = path.join(probeDir, `probe-bad-${k}.c`)
      fs.writeFileSync(file, `#include "platform.h"\n${text}`)
      jobs.push(async () => {
        const r = await clang([...flags(target, poison), file])
        if (r.code === 0) failures.push(`${target}: ${what} compiled; it must not`)
        else if (!pattern.test(r.stderr)) failures.push(`${target}: ${what}: not the expected error\n${r.stderr}`)
        else passed++
      })
    })
  }
  await pool(jobs)
  cleanup()
  log(`clang, ${TARGETS.join(' and ')}: ${files.length} C files each, with and without ` +
    `NAPI_TASK_CHECKS, the atomics probe ` +
    `and ${PROBES_BAD.length} that must not compile: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  for (const f of failures) log(`FAIL ${f}`)
  if (failures.length === 0 && wine) {
    const w0 = Date.now()
    const poisonWine = poisonDir()
    const r = spawnSync(process.execPath, [path.join(root, 'tools', 'windows.js')], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NAPI_TASK_WINDOWS_CFLAGS: `-DNT_INTERLOCKED_ATOMICS=1 -I${poisonWine}` }
    })
    fs.rmSync(poisonWine, { recursive: true, force: true })
    log(`tools/windows.js with the Interlocked atomics: ${((Date.now() - w0) / 1000).toFixed(1)} s`)
    if (r.status !== 0) failures.push('tools/windows.js with the Interlocked atomics')
    else passed++
  }
  console.log(`msvc-check: ${passed} passed, ${failures.length} failed`)
  if (failures.length > 0) process.exit(1)
}

main().catch(e => die(e.stack))
