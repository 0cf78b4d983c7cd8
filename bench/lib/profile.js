'use strict'
// Where a task's time goes, counted in instructions (deterministic, unlike
// wall time on a shared 2-core machine). callgrind runs one peer with
// collection off until the warm-up is over; bench_raw's callgrindToggle()
// switches it on for exactly the measured run, so process start-up and the
// warm-up are not counted. Callgrind's collection switch is per thread:
// what is counted is the JS thread, the one that limits these small tasks
// (the threadpool side of a no-op is a few hundred instructions).
// Costs are per task.
//
//   node bench/lib/profile.js [--job=noop] [--window=0] [--n=20000]
//        [--warmup=5000] [--top=25] peer...
//
// Needs valgrind (and its callgrind.h when the bench addons were built).
// Under callgrind the threads run one at a time: lock contention, cache
// misses and wake-up latency do not show here; use perf for those.
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const opts = { job: 'noop', window: '0', n: '20000', top: '25', warmup: '5000' }
const ids = []
for (const a of process.argv.slice(2)) {
  const m = /^--([a-z0-9]+)=(.*)$/.exec(a)
  if (m) opts[m[1]] = m[2]
  else ids.push(a)
}

function profile (id) {
  const out = path.join(os.tmpdir(), `napi-task-cg-${process.pid}-${id}`)
  const r = spawnSync('valgrind', ['--tool=callgrind', '--collect-atstart=no',
    '--callgrind-out-file=' + out,
    process.execPath, path.join(__dirname, 'one.js'), id, opts.job, opts.n,
    opts.window, '1', opts.warmup],
  {
    encoding: 'utf8',
    env: {
      ...process.env,
      BENCH_CALLGRIND: '1',
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE || '2'
    }
  })
  if (r.status !== 0) throw new Error(`valgrind failed for ${id}: ${r.stderr}`)
  const annotate = inclusive => spawnSync('callgrind_annotate',
    ['--inclusive=' + (inclusive ? 'yes' : 'no'), '--threshold=100', out],
    { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout
  const self = parse(annotate(false))
  const incl = parse(annotate(true))
  fs.unlinkSync(out)
  return { total: self.total, fns: self.fns, incl: incl.fns }
}

function parse (text) {
  const fns = new Map()
  let total = 0
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+)\s+(?:\([\s\d.]+%\)\s+)?(.*)$/.exec(line)
    if (!m) continue
    const ir = Number(m[1].replace(/,/g, ''))
    if (m[2].startsWith('PROGRAM TOTALS')) { total = ir; continue }
    // "file:function [object]" -> "function [object basename]"
    const fm = /^(?:[^:[]*:(?!:))?(.*?)\s*(?:\[([^\]]*)\])?$/.exec(m[2])
    const name = fm ? `${fm[1]} [${path.basename(fm[2] || '?')}]` : m[2]
    fns.set(name, (fns.get(name) || 0) + ir)
  }
  return { total, fns }
}

// Calls worth seeing with everything they call (inclusive cost).
const INCLUSIVE = /^(napi_task_build|napi_task_schedule|napi_task_promise|napi_task_set_queue|nt_task_settle|nt_task_free|nt_runner_pump|on_async|runner_work|runner_done|napi_async_init|napi_async_destroy|napi_create_reference|napi_delete_reference|napi_make_callback|napi_call_function|napi_create_promise|napi_resolve_deferred|napi_create_async_work|napi_queue_async_work|napi_delete_async_work|napi_create_string_utf8|raw_start|raw_complete_callback|raw_complete_promise|uv_queue_work|uv_async_send|uv__work_done|v8::internal::Heap::Scavenge|v8impl::.*FunctionCallbackWrapper::Invoke|node::InternalCallbackScope::Close|Nan::AsyncQueueWorker|Nan::AsyncExecuteComplete|Napi::AsyncWorker::Queue|Napi::AsyncWorker::OnWorkComplete|floor_after|floor_submit) /

const short = s => s.replace(/\(anonymous namespace\)/g, '{anon}')
  .replace(/\([^()]*\)( const)?(?= \[)/, '()')
  .replace(/<[^<>]*(<[^<>]*>[^<>]*)*>/g, '<>')
  .replace(/^0x[0-9a-f]+ \[\?\?\?\]$/, 'JIT code [JS]')

// Coarse buckets, so peers can be compared at a glance.
const CATEGORIES = [
  ['malloc/free', /^(_int_malloc|_int_free|malloc|free|calloc|realloc|malloc_consolidate|unlink_chunk|tcache|__libc_|cfree|_int_realloc)/],
  ['locks, condvars', /pthread_|futex|lll_|__GI___lll/],
  ['libuv', /^uv_|^uv__|^worker \[node\]|\[libuv/],
  ['V8 GC', /Scavenge|Scavenger|GlobalHandles::(Iterate|Update|Process|Compute|Reset)|MarkCompact|heap::base|Evacuat|Pretenur|IteratePointers|BodyDescriptor|MemoryChunk|Sweeper|Heap::|ConcurrentMarking|IterateObjectCache|RootScavenge|ShouldBePromoted|Marking/],
  ['V8 global handles (napi refs)', /GlobalHandles::(Create|Destroy|MakeWeak|ClearWeakness)/],
  ['JS (JIT code, builtins)', /^JIT code|^Builtins_|^0x/],
  ['napi-task library', /\[bench_napi_task\.node\]/],
  ['bench addon code', /\[bench_(raw|naa|nan)\.node\]/],
  ['Node-API (napi_*)', /^napi_|^v8impl::|node_api/],
  ['node: callback scopes, async hooks', /^node::(InternalCallbackScope|CallbackScope|AsyncHooks|InternalMakeCallback|AsyncWrap|EmitAsync|async_|MakeCallback|Environment|AsyncResource)|^node::/],
  ['V8 API and runtime', /^v8::|^Builtins|^Runtime_|^heap::/]
]

function category (name) {
  for (const [c, re] of CATEGORIES) if (re.test(name)) return c
  return 'other'
}

for (const id of ids) {
  const n = Number(opts.n)
  const { total, fns, incl } = profile(id)
  const rows = [...fns].map(([name, ir]) => [name, ir / n]).sort((x, y) => y[1] - x[1])
  console.log(`\n${id} ${opts.job} window=${opts.window} n=${n}: ` +
    `${Math.round(total / n).toLocaleString('en-US')} instructions per task`)
  const cats = new Map()
  for (const [name, ir] of rows) {
    const c = category(short(name))
    cats.set(c, (cats.get(c) || 0) + ir)
  }
  console.log('  by kind:')
  for (const [c, ir] of [...cats].sort((x, y) => y[1] - x[1])) {
    console.log(`${String(Math.round(ir)).padStart(8)}  ${c}`)
  }
  console.log('  selected calls, inclusive (with all they call):')
  const inc = [...incl].map(([name, ir]) => [short(name), ir / n])
    .filter(([name]) => INCLUSIVE.test(name)).sort((x, y) => y[1] - x[1])
  for (const [name, ir] of inc) console.log(`${String(Math.round(ir)).padStart(8)}  ${name}`)
  console.log('  top functions (self):')
  for (const [name, ir] of rows.slice(0, Number(opts.top))) {
    console.log(`${String(Math.round(ir)).padStart(8)}  ${short(name)}`)
  }
}
