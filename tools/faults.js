'use strict'
// npm run test:faults [-- <scenario> ...]
//
// Fault injection: every Node-API call, every libuv call that can fail and
// every allocation the library makes is made to fail, one at a time, in
// every scenario of test/fixtures/faults.js, under ASan + UBSan +
// LeakSanitizer. docs/reliability.md ("Fault injection") has the method
// and the figures.
//
// How the failure gets in, without touching src/:
//   1. The library's sources (napi_task.gyp's list) are compiled with the
//      sanitizer flags into build-faults/.
//   2. Their objects and a generated shim (build-faults/shim.c) are linked
//      into one relocatable object with `-r -Wl,--wrap=<f>` for each
//      function f the library calls that can fail: the napi_* functions
//      (found with nm, prototypes read from the Node-API headers), the uv_*
//      ones in WRAP_UV and the library's allocator (src/alloc.c). --wrap
//      sends the library's references to __wrap_<f> in the shim, which
//      counts the call and, when it is the armed Nth, fails it: NULL from
//      an allocation, napi_generic_failure from Node-API, the uv error in
//      WRAP_UV. Otherwise it calls __real_<f>, i.e. f. Only the library's
//      own calls are wrapped: the test addon is linked against the result
//      without --wrap, so its own calls are never counted.
//   3. The test addon (test/addon/*.c, with NAPI_TASK_FAULTS, whose
//      exports.faults reaches the counter) is linked with that object into
//      build-faults/test_addon.node.
//   4. Each scenario runs in a child process (test/fixtures/faults.js):
//      first once unarmed (it must pass, and the env record is made), then
//      with N = 1, 2, ... until a run ends with no injected failure. Every
//      run must settle within its time limit, leave JS with the value or an
//      Error with a code, and balance the exactly-once ledger (every datum
//      consumed or dropped once); the process must not crash and, at exit,
//      LeakSanitizer must find nothing.
//   5. The call sites where a failure was injected (return addresses) are
//      named with addr2line: these are the injection points reached.
//
// Not wrapped, and why: napi_close_handle_scope and
// napi_close_callback_scope (they fail only on a caller's scope mismatch,
// and a scope left open has no recovery); the releases napi_async_destroy,
// napi_delete_reference, napi_reference_unref and
// napi_remove_async_cleanup_hook (they fail only on bad arguments, and
// what a failed release keeps, no caller can free: injecting there only
// measures the injection); napi_get_and_clear_last_exception (the one way
// to clear an exception: when it fails, nothing can, and the exception
// surfaces in the next JS, as Node-API would have it); uv_close, uv_ref, uv_unref,
// uv_hrtime and uv_default_loop (they cannot fail), uv_async_send (fails
// only for a handle that is not an async handle).
const { spawn, spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const { ASAN, MODES, PLAN, asanEnv, librarySources, logger, printPlan, step } = require('./sanitize')

const root = path.resolve(__dirname, '..')
const dir = path.join(root, 'build-faults')
const NOT_WRAPPED = new Set(['napi_close_handle_scope', 'napi_close_callback_scope',
  'napi_async_destroy', 'napi_delete_reference', 'napi_reference_unref', 'napi_remove_async_cleanup_hook',
  'napi_get_and_clear_last_exception'])
const WRAP_UV = { uv_queue_work: 'UV_EINVAL', uv_async_init: 'UV_EMFILE' }
const ALLOC = ['nt_malloc', 'nt_calloc', 'nt_realloc']

const { log, die } = logger(() => 'faults')
const FIXTURE = 'test/fixtures/faults.js'

function run (cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts })
  if (r.status !== 0) {
    process.stderr.write(r.stdout || '')
    process.stderr.write(r.stderr || '')
    die(`${cmd} ${args.slice(0, 6).join(' ')} ... failed (exit ${r.status})`)
  }
  return r.stdout
}

// The running node's headers, as tools/gyp.js finds them.
function nodeInclude () {
  const dirs = [process.env.npm_config_nodedir, path.join(path.dirname(process.execPath), '..')]
  for (const d of dirs) {
    if (d && fs.existsSync(path.join(d, 'include', 'node', 'node_api.h'))) return path.join(d, 'include', 'node')
  }
  die('no Node-API headers next to this node (set npm_config_nodedir)')
}

// name -> { ret, params: [{ decl, name }] } for every NAPI_EXTERN/UV_EXTERN
// declaration in the given headers.
function declarations (files) {
  const out = new Map()
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
    const re = /(?:NAPI_EXTERN|UV_EXTERN)\s+([\w\s*]+?)\s*(?:NAPI_CDECL\s+)?\b((?:napi|uv)_\w+)\s*\(([^;]*?)\)\s*;/g
    for (const m of text.matchAll(re)) {
      const raw = m[3].replace(/\s+/g, ' ').trim()
      const params = raw === '' || raw === 'void'
        ? []
        : raw.split(',').map((p, i) => {
          p = p.trim()
          const named = /^(.*[\s*])(\w+)$/.exec(p)
          // "uv_loop_t*" or a lone type name: no parameter name given.
          if (!named || /^(const|unsigned|signed)?\s*\w+\s*\*?$/.test(p) && !/\s\w+$/.test(p)) {
            return { decl: `${p} a${i}`, name: `a${i}` }
          }
          return { decl: p, name: named[2] }
        })
      out.set(m[2], { ret: m[1].trim(), params })
    }
  }
  return out
}

// The shim: one wrapper per function, the counter, and its accessors.
function shimSource (napi, decls) {
  const lines = [
    '/* Written by tools/faults.js: the fault-injection wrappers. Do not edit. */',
    '#define _GNU_SOURCE',
    '#include <dlfcn.h>',
    '#include <stdatomic.h>',
    '#include <stddef.h>',
    '#include <stdio.h>',
    '#include <stdlib.h>',
    '#include <string.h>',
    '#include <node_api.h>',
    '#include <uv.h>',
    '',
    'static atomic_ulong calls, fail_at, fn_calls;',
    'static const char *fail_fn; /* arm_fn: JS thread, before the run */',
    'static atomic_int injected;',
    'static const char *injected_kind, *injected_fn;',
    'static const void *injected_site;',
    '',
    '__attribute__((visibility("hidden"))) void nt_fault_arm(unsigned long n) {',
    '  atomic_store(&fail_at, 0);',
    '  atomic_store(&calls, 0);',
    '  atomic_store(&injected, 0);',
    '  atomic_store(&fail_at, n);',
    '}',
    '/* Fail the kth call of the function named fn (copied by the caller). */',
    '__attribute__((visibility("hidden"))) void nt_fault_arm_fn(const char *fn, unsigned long k) {',
    '  nt_fault_arm(0);',
    '  atomic_store(&fn_calls, 0);',
    '  fail_fn = fn;',
    '  atomic_store(&fail_at, k);',
    '}',
    '__attribute__((visibility("hidden"))) unsigned long nt_fault_calls(void) {',
    '  return atomic_load(&calls);',
    '}',
    '__attribute__((visibility("hidden"))) int nt_fault_injected(const char **kind, const char **fn, long *site) {',
    '  Dl_info where;',
    '  if (!atomic_load(&injected)) return 0;',
    '  *kind = injected_kind;',
    '  *fn = injected_fn;',
    '  *site = -1;',
    '  if (dladdr(injected_site, &where) != 0 && where.dli_fbase != NULL)',
    '    *site = (long)((const char *)injected_site - (const char *)where.dli_fbase);',
    '  return 1;',
    '}',
    '',
    '/* Any thread. Exactly one call, the armed Nth, fails. */',
    'static int hit(const char *kind, const char *fn, const void *site) {',
    '  unsigned long at = atomic_load(&fail_at);',
    '  if (at == 0) return 0;',
    '  if (fail_fn != NULL) {',
    '    atomic_fetch_add(&calls, 1);',
    '    if (strcmp(fn, fail_fn) != 0 || atomic_fetch_add(&fn_calls, 1) + 1 != at) return 0;',
    '    fail_fn = NULL;',
    '    atomic_store(&fail_at, 0);',
    '  } else if (atomic_fetch_add(&calls, 1) + 1 != at) {',
    '    return 0;',
    '  }',
    '  injected_kind = kind;',
    '  injected_fn = fn;',
    '  injected_site = site;',
    '  atomic_store(&injected, 1);',
    '  if (getenv("NAPI_TASK_FAULTS_TRACE") != NULL) fprintf(stderr, "faults: failing call %lu, %s\\n", at, fn);',
    '  return 1;',
    '}',
    '#define HIT(kind, fn) hit(kind, fn, __builtin_return_address(0))',
    ''
  ]
  const wrap = (name, ret, params, fail, kind) => {
    const decl = params.length ? params.map(p => p.decl).join(', ') : 'void'
    const args = params.map(p => p.name).join(', ')
    lines.push(`${ret} __real_${name}(${decl});`)
    lines.push(`${ret} __wrap_${name}(${decl}) {`)
    lines.push(`  if (HIT("${kind}", "${name}")) return ${fail};`)
    lines.push(`  return __real_${name}(${args});`)
    lines.push('}')
  }
  for (const name of napi) {
    const d = decls.get(name)
    if (!d) die(`no declaration of ${name} in the Node-API headers`)
    if (d.ret !== 'napi_status') die(`${name} returns ${d.ret}, not napi_status: say how it fails`)
    wrap(name, d.ret, d.params, 'napi_generic_failure', 'napi')
  }
  for (const [name, err] of Object.entries(WRAP_UV)) {
    const d = decls.get(name)
    if (!d) die(`no declaration of ${name} in uv.h`)
    if (name !== 'uv_queue_work') wrap(name, d.ret, d.params, err, 'uv')
  }
  // uv_queue_work also counts the runners in libuv: queued and not yet
  // completed on the loop thread (nt_fault_works). A regression that needs
  // "no runner live" waits for 0 before it arms: a runner that lingered
  // is retired only when its completion runs, which a loaded machine can
  // hold back for milliseconds. Every runner has the same completion
  // (src/runner.c), so one saved pointer calls it.
  lines.push(
    'static atomic_long works;',
    'static _Atomic uv_after_work_cb after_work; /* loop threads (a worker has its own) */',
    '__attribute__((visibility("hidden"))) long nt_fault_works(void) {',
    '  return atomic_load(&works);',
    '}',
    'static void counted_after_work(uv_work_t *req, int status) {',
    '  atomic_load(&after_work)(req, status);',
    '  atomic_fetch_sub(&works, 1);',
    '}',
    'int __real_uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb, uv_after_work_cb after_work_cb);',
    'int __wrap_uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb, uv_after_work_cb after_work_cb) {',
    '  int err;',
    '  uv_after_work_cb seen;',
    `  if (HIT("uv", "uv_queue_work")) return ${WRAP_UV.uv_queue_work};`,
    '  seen = atomic_exchange(&after_work, after_work_cb);',
    '  if (seen != NULL && seen != after_work_cb) {',
    '    fprintf(stderr, "faults: uv_queue_work with a second completion: count it apart (tools/faults.js)\\n");',
    '    abort();',
    '  }',
    '  atomic_fetch_add(&works, 1);',
    '  err = __real_uv_queue_work(loop, req, work_cb, counted_after_work);',
    '  if (err != 0) atomic_fetch_sub(&works, 1);',
    '  return err;',
    '}'
  )
  wrap('nt_malloc', 'void *', [{ decl: 'size_t n', name: 'n' }], 'NULL', 'alloc')
  wrap('nt_calloc', 'void *', [{ decl: 'size_t count', name: 'count' }, { decl: 'size_t n', name: 'n' }], 'NULL', 'alloc')
  wrap('nt_realloc', 'void *', [{ decl: 'void *p', name: 'p' }, { decl: 'size_t n', name: 'n' }], 'NULL', 'alloc')
  return lines.join('\n') + '\n'
}

// The test addon's sources and name, as binding.gyp builds it.
function testAddonSources () {
  return fs.readdirSync(path.join(root, 'test', 'addon'))
    .filter(f => f.endsWith('.c')).sort().map(f => path.join(root, 'test', 'addon', f))
}

function build () {
  const t0 = Date.now()
  fs.mkdirSync(path.join(dir, 'obj'), { recursive: true })
  const inc = nodeInclude()
  const cflags = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-fPIC', ...ASAN,
    '-I', path.join(root, 'include'), '-I', inc]
  const compile = (src, obj, extra = []) => {
    run('gcc', [...cflags, ...extra, '-c', src, '-o', obj])
    return obj
  }
  // 1. The library, as napi_task.gyp compiles it (plus the sanitizers).
  const libObjs = librarySources().map(s =>
    compile(path.join(root, s), path.join(dir, 'obj', path.basename(s, '.c') + '.o'), ['-fvisibility=hidden']))
  // 2. Which napi_* the library calls, their prototypes, the shim.
  const undef = run('nm', ['-u', ...libObjs]).split('\n')
    .map(l => l.trim().split(/\s+/).pop()).filter(s => /^napi_/.test(s) && !/^napi_task_/.test(s))
  const napi = [...new Set(undef)].filter(n => !NOT_WRAPPED.has(n)).sort()
  const decls = declarations([path.join(inc, 'js_native_api.h'), path.join(inc, 'node_api.h'), path.join(inc, 'uv.h')])
  const shim = path.join(dir, 'shim.c')
  fs.writeFileSync(shim, shimSource(napi, decls))
  const shimObj = compile(shim, path.join(dir, 'obj', 'shim.o'), ['-std=gnu11', '-Wno-unused-parameter'])
  // 3. One relocatable object: the library's references wrapped.
  const wrapped = [...napi, ...Object.keys(WRAP_UV), ...ALLOC]
  const lib = path.join(dir, 'napi_task_faults.o')
  run('gcc', ['-r', '-nostdlib', '-o', lib, ...libObjs, shimObj, ...wrapped.map(f => `-Wl,--wrap=${f}`)])
  // 4. The test addon, linked with it.
  const addonObjs = testAddonSources().map(s => compile(s, path.join(dir, 'obj', 'addon-' + path.basename(s, '.c') + '.o'),
    ['-DNAPI_TASK_FAULTS', '-DNODE_GYP_MODULE_NAME=test_addon', '-DBUILDING_NODE_EXTENSION']))
  const node = path.join(dir, 'test_addon.node')
  run('gcc', ['-shared', ...MODES.asan.ldflags, '-o', node, ...addonObjs, lib, '-ldl', '-lpthread'])
  log(`built ${path.relative(root, node)}: ${napi.length} Node-API, ${Object.keys(WRAP_UV).length} libuv ` +
    `and ${ALLOC.length} allocator functions wrapped (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  return { node, wrapped: { napi, uv: Object.keys(WRAP_UV), alloc: ALLOC } }
}

// Runs one scenario's child; resolves with its parsed report and exit.
function runScenario (name, env) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(root, FIXTURE), name],
      { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', d => { out += d })
    child.stderr.setEncoding('utf8').on('data', d => { err += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60 * 1000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const line = out.split('\n').find(l => l.startsWith('FAULTS '))
      resolve({ name, code, signal, report: line ? JSON.parse(line.slice(7)) : null, stderr: err })
    })
  })
}

// offset -> "function file:line" for the call sites, with addr2line.
function nameSites (node, offsets) {
  if (offsets.length === 0) return new Map()
  const r = spawnSync('addr2line', ['-f', '-s', '-e', node, ...offsets.map(o => '0x' + (o - 1).toString(16))],
    { encoding: 'utf8' })
  const names = new Map()
  if (r.status !== 0) return names
  const l = r.stdout.split('\n')
  offsets.forEach((o, i) => names.set(o, `${l[2 * i]} (${(l[2 * i + 1] || '').replace(/ \(discriminator \d+\)/, '')})`))
  return names
}

async function main () {
  if (process.platform !== 'linux') die('fault injection needs Linux, gcc and GNU ld (--wrap)')
  const t0 = Date.now()
  // Only build-faults/: the scenarios load nothing else (NAPI_TASK_TEST_ADDON
  // below), so unlike tools/sanitize.js this needs no plain build/ first.
  const built = step('build-faults', build)
  if (PLAN) return printPlan([FIXTURE], ['NAPI_TASK_TEST_ADDON'])
  const { node, wrapped } = built
  const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : require('../test/fixtures/faults.js').NAMES
  const env = asanEnv({
    NAPI_TASK_TEST_ADDON: node,
    NAPI_TASK_LSAN_SCOPE: dir + path.sep
  })
  // Two at a time: each child is sequential inside.
  const results = []
  const queue = [...scenarios]
  const worker = async () => {
    while (queue.length) {
      const r = await runScenario(queue.shift(), env)
      results.push(r)
      const rep = r.report
      log(`${r.name}: ${rep ? `${rep.runs} runs, ${rep.sites.length} points, ${rep.problems.length} problems` : 'no report'}` +
        ` (exit ${r.code}${r.signal ? ' ' + r.signal : ''})`)
    }
  }
  await Promise.all([worker(), worker()])
  results.sort((a, b) => scenarios.indexOf(a.name) - scenarios.indexOf(b.name))

  let bad = 0
  const allSites = new Set()
  let runs = 0
  for (const r of results) {
    const rep = r.report
    if (rep) {
      runs += rep.runs
      for (const s of rep.sites) allSites.add(s.site)
    }
    const problems = rep ? rep.problems : []
    if (r.code !== 0 || !rep || problems.length) {
      bad++
      log(`FAIL ${r.name}: exit ${r.code}${r.signal ? ' ' + r.signal : ''}`)
      for (const p of problems.slice(0, 20)) log(`  N=${p.n} (${p.fn || '-'}): ${p.what}`)
      if (r.code !== 0 || !rep) process.stderr.write(r.stderr.slice(-6000))
    }
  }
  const names = nameSites(node, [...allSites].filter(s => s >= 0))
  const byFn = new Map()
  for (const r of results) {
    for (const s of (r.report ? r.report.sites : [])) {
      const key = names.get(s.site) || `${s.fn} at ${s.site}`
      if (!byFn.has(key)) byFn.set(key, { fn: s.fn, kind: s.kind, scenarios: new Set() })
      byFn.get(key).scenarios.add(r.name)
    }
  }
  console.log('\n| scenario | runs | injection points reached | result |')
  console.log('| --- | --: | --: | --- |')
  for (const r of results) {
    const rep = r.report
    console.log(`| ${r.name} | ${rep ? rep.runs : '-'} | ${rep ? rep.sites.length : '-'} | ` +
      `${r.code === 0 && rep && !rep.problems.length ? 'clean' : 'FAILED'} |`)
  }
  const kinds = { napi: 0, uv: 0, alloc: 0 }
  for (const v of byFn.values()) kinds[v.kind]++
  console.log(`\n${scenarios.length} scenarios, ${runs} runs, ${byFn.size} distinct injection points reached ` +
    `(${kinds.napi} Node-API, ${kinds.uv} libuv, ${kinds.alloc} allocation call sites) of ` +
    `${wrapped.napi.length + wrapped.uv.length + wrapped.alloc.length} wrapped functions; ` +
    `${bad ? bad + ' scenario(s) FAILED' : 'all clean'} (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  if (process.env.NAPI_TASK_FAULTS_SITES) {
    for (const [k, v] of [...byFn].sort()) console.log(`  ${v.kind} ${v.fn}: ${k} [${[...v.scenarios].join(', ')}]`)
  }
  process.exit(bad ? 1 : 0)
}

main()
