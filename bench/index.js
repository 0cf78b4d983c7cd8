'use strict'
// npm run bench: the whole comparison in one go, on a fresh clone.
//
//   1. installs bench/'s own dependencies if bench/node_modules is missing
//      (npm ci --ignore-scripts: nothing here needs an install script);
//   2. builds bench/binding.gyp (the peer addons and the napi-task bench
//      addon) with node-gyp, against the running node's own headers when
//      they are installed next to it, never downloading any;
//   3. runs each benchmark in child processes, one per threadpool size
//      (libuv fixes the pool size when the pool first starts), prints
//      Markdown tables and writes bench/results/<date>-<commit>.json.
//
// Options:
//   --quick            small N, fewer rounds: a smoke run (results go to
//                      results/<date>-<commit>-quick.json.tmp, not committed)
//   --pools=2,4        UV_THREADPOOL_SIZE values
//   --peers=a,b        only these peers (ids in lib/peers.js)
//   --n=100000         tasks per run (no-op and sum); piscina runs n/10,
//                      and the one-in-flight mode n/10 of that again
//   --runs=5           measured rounds (after one warm-up round)
//   --sum=1000         sum(n)'s n
//   --no-throughput, --no-memory, --no-fairness, --no-build
//   --out=FILE         where to write the JSON
//   --label=TEXT       a note stored in the JSON and printed (e.g. which
//                      library build was measured)
//   --wait-quiet=S     before each child process, wait up to S seconds for
//                      the machine to be idle (other processes' CPU use
//                      below 10%); the busy fraction seen is recorded
const { spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const here = __dirname
const root = path.join(here, '..')

function parseArgs (argv) {
  const o = {}
  for (const a of argv) {
    const m = /^--(no-)?([a-z-]+)(?:=(.*))?$/.exec(a)
    if (!m) throw new Error('unknown argument ' + a)
    o[m[2]] = m[1] ? false : (m[3] === undefined ? true : m[3])
  }
  return o
}

const args = parseArgs(process.argv.slice(2))
const quick = !!args.quick
const num = (v, d) => v === undefined || v === true ? d : Number(v)
const config = {
  quick,
  pools: String(args.pools || '2,4').split(',').map(Number),
  n: num(args.n, quick ? 5000 : 100000),
  sumN: num(args.sum, 1000),
  runs: num(args.runs, quick ? 3 : 5),
  slowDivisor: 10,
  // Submission modes: 0 all at once, 64 in flight, and 1: one in flight,
  // the next submitted when the last settled (an `await` loop; the common
  // use). Mode 1 runs n / oneDivisor tasks: each is a whole round trip
  // (a pool thread's wake-up, then the loop's: measured here ~10 us when
  // both threads share a CPU, 60-80 us when each wake-up crosses to the
  // other, idle, vCPU), and at n tasks it alone would take longer than
  // the rest of the run.
  windows: [0, 64, 1],
  oneDivisor: 10,
  memoryN: quick ? 20000 : 100000,
  memorySlowDivisor: 5,
  fairness: { tasks: quick ? 200 : 2000, ms: 1, reps: quick ? 1 : 3 }
}

function log (...a) { process.stderr.write(a.join(' ') + '\n') }

// Installs and builds write to stderr: stdout carries only the Markdown.
function sh (cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 2, 2], ...opts })
  if (r.status !== 0) {
    throw new Error(`${cmd} ${argv.join(' ')} failed (${r.error || 'exit ' + r.status})`)
  }
}

// 1. Dependencies.
function ensureDeps () {
  const need = ['node-gyp/package.json', 'nan/package.json',
    'node-addon-api/package.json', 'piscina/package.json']
  const missing = need.some(f => !fs.existsSync(path.join(here, 'node_modules', f)))
  if (!missing) return
  log('bench: installing bench/ dependencies (npm ci)')
  const npmArgs = ['ci', '--ignore-scripts', '--no-audit', '--no-fund']
  const install = () => {
    if (process.env.npm_execpath && /\.c?js$/.test(process.env.npm_execpath)) {
      sh(process.execPath, [process.env.npm_execpath, ...npmArgs], { cwd: here })
    } else {
      sh(process.platform === 'win32' ? 'npm.cmd' : 'npm', npmArgs,
        { cwd: here, shell: process.platform === 'win32' })
    }
  }
  // One retry: the registry sometimes times out mid-install (seen here:
  // EIDLETIMEOUT on a fresh clone; the second try went through).
  try {
    install()
  } catch (e) {
    log(`bench: ${e.message}; trying once more`)
    install()
  }
}

// 2. Build, as tools/gyp.js does for the root: the running node's headers
// when they sit next to it, else whatever node-gyp is configured with.
function build () {
  const gyp = path.join(here, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
  const extra = []
  const prefix = path.resolve(path.dirname(process.execPath), '..')
  if (!process.env.npm_config_nodedir &&
      fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    extra.push('--nodedir=' + prefix)
  }
  const configured = fs.existsSync(path.join(here, 'build', 'config.gypi'))
  if (!configured) {
    log('bench: node-gyp configure')
    sh(process.execPath, [gyp, 'configure', ...extra], { cwd: here })
  }
  log('bench: node-gyp build')
  sh(process.execPath, [gyp, 'build', '--jobs=max', ...extra], { cwd: here })
}

// CPU use of the whole machine over `ms` (0..1), from /proc/stat; while
// no child runs, that is other processes' use. null where unknown.
function busy (ms) {
  const read = () => {
    try {
      const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
      return { idle: f[3] + (f[4] || 0), total: f.reduce((a, b) => a + b, 0) }
    } catch {
      return null
    }
  }
  const a = read()
  if (!a) return null
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
  const b = read()
  const total = b.total - a.total
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0
}

const quiet = []
function waitQuiet (what) {
  const limit = args['wait-quiet'] === undefined ? 0 : num(args['wait-quiet'], 60)
  const t0 = Date.now()
  let b = busy(500)
  while (b !== null && b > 0.1 && Date.now() - t0 < limit * 1000) b = busy(1000)
  if (b !== null && b > 0.1) log(`bench: machine ${Math.round(b * 100)}% busy before ${what}; numbers will be noisy`)
  quiet.push({ what, busy: b, waitedMs: Date.now() - t0 })
}

// 3. Children.
let seq = 0
function child (script, childConfig, env, nodeFlags = []) {
  waitQuiet(`${script} ${childConfig.peer || ''} pool ${env.UV_THREADPOOL_SIZE}`.replace('  ', ' '))
  const out = path.join(os.tmpdir(), `napi-task-bench-${process.pid}-${seq++}.json`)
  const r = spawnSync(process.execPath,
    ['--expose-gc', ...nodeFlags, path.join(here, 'lib', script),
      JSON.stringify({ ...childConfig, out })],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } })
  if (r.status !== 0) {
    log(`bench: ${script} failed (${r.signal || 'exit ' + r.status})`)
    return null
  }
  const data = JSON.parse(fs.readFileSync(out, 'utf8'))
  fs.unlinkSync(out)
  return data
}

function gitInfo () {
  const git = a => {
    const r = spawnSync('git', a, { cwd: root, encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim() : null
  }
  const commit = git(['rev-parse', 'HEAD'])
  const dirty = git(['status', '--porcelain', '--', 'src', 'include',
    'napi_task.gyp', 'bench/src', 'bench/lib', 'bench/binding.gyp'])
  return { commit, libraryOrBenchDirty: dirty === null ? null : dirty.length > 0 }
}

function main () {
  ensureDeps()
  if (args.build !== false) build()
  const peers = require('./lib/peers')
  const report = require('./lib/report')
  const ids = args.peers ? String(args.peers).split(',') : peers.all.map(p => p.id)
  ids.forEach(peers.byId) // validates
  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0] && os.cpus()[0].model,
      memoryBytes: os.totalmem(),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      v8: process.versions.v8,
      uv: process.versions.uv,
      napi: process.versions.napi
    },
    git: gitInfo(),
    label: typeof args.label === 'string' ? args.label : undefined,
    config: { ...config, peers: ids },
    peers: Object.fromEntries(peers.all.filter(p => ids.includes(p.id))
      .map(p => [p.id, { label: p.label, kind: p.kind, base: p.base }])),
    throughput: {},
    memory: {},
    fairness: {}
  }
  const t0 = Date.now()
  for (const pool of config.pools) {
    const env = { UV_THREADPOOL_SIZE: String(pool) }
    if (args.throughput !== false) {
      log(`bench: throughput, UV_THREADPOOL_SIZE=${pool}`)
      results.throughput[pool] = child('throughput.js', {
        peers: ids,
        jobs: [
          { name: 'noop', arg: 0, n: config.n },
          { name: 'sum', arg: config.sumN, n: config.n }
        ],
        windows: config.windows,
        runs: config.runs,
        slowDivisor: config.slowDivisor,
        oneDivisor: config.oneDivisor
      }, env)
    }
    if (args.memory !== false) {
      log(`bench: memory per in-flight task, UV_THREADPOOL_SIZE=${pool}`)
      results.memory[pool] = {}
      for (const id of ids) {
        const p = peers.byId(id)
        const n = p.slow ? config.memoryN / config.memorySlowDivisor : config.memoryN
        const m = child('memory.js', { peer: id, n }, env,
          ['--max-semi-space-size=1'])
        results.memory[pool][id] = m
        if (m) log(`  pool ${pool} memory ${id}: ${Math.round(m.bytesPerTask)} B/task in flight`)
      }
    }
    if (args.fairness !== false) {
      log(`bench: fairness, UV_THREADPOOL_SIZE=${pool}`)
      results.fairness[pool] = child('fairness.js', { peers: ids, ...config.fairness }, env)
    }
  }
  results.seconds = Math.round((Date.now() - t0) / 1000)
  results.otherCpuBeforeEachChild = quiet
  const md = report.markdown(results)
  process.stdout.write(md + '\n')
  // <date>-<commit>.json, so a second run the same day does not overwrite
  // the first (and the file names the library it measured).
  const date = results.date.slice(0, 10)
  const tag = results.git && results.git.commit
    ? `-${results.git.commit.slice(0, 7)}${results.git.libraryOrBenchDirty ? '-dirty' : ''}`
    : ''
  const out = args.out ? path.resolve(String(args.out))
    : path.join(here, 'results', quick ? `${date}${tag}-quick.json.tmp` : `${date}${tag}.json`)
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n')
  log(`bench: wrote ${path.relative(process.cwd(), out)} (${results.seconds} s)`)
}

main()
