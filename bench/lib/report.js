'use strict'
// Markdown tables from a results object (the JSON that index.js writes).
// Also a command: node bench/lib/report.js bench/results/<date>.json
const fs = require('fs')

const fmt = (x, d = 0) => x === undefined || x === null || Number.isNaN(x)
  ? '–'
  : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// A peer's time per task over its base's, paired round by round (both ran
// in the same round, close in time), then the median over the rounds: a
// slow spell on the machine moves both sides of a pair.
function ratioOf (cell, id, baseId) {
  const c = cell && cell[id]
  const b = cell && cell[baseId]
  if (!c || !b) return null
  if (c.runs && b.runs && c.runs.length === b.runs.length && c.runs.length) {
    return median(c.runs.map((x, i) => x / b.runs[i]))
  }
  return c.nsPerTask / b.nsPerTask
}

function ratio (cell, peer, id) {
  if (id === peer.base) return cell[id] ? '1.00' : '–'
  const r = ratioOf(cell, id, peer.base)
  return r === null ? '–' : fmt(r, 2) + 'x'
}

const MODE_LABEL = { all: 'all at once', window64: '64 in flight', one: 'one in flight' }

function throughputTables (results) {
  const out = []
  for (const [pool, byJob] of Object.entries(results.throughput)) {
    if (!byJob) continue
    for (const [job, byMode] of Object.entries(byJob)) {
      const modes = Object.keys(byMode)
      // N of a mode: the largest of its peers' (piscina runs fewer).
      const nOf = m => Math.max(...Object.values(byMode[m]).map(c => c.n))
      const n = nOf(modes[0])
      // One in flight runs fewer tasks than the other modes: say so.
      const otherN = modes.filter(m => nOf(m) !== n)
        .map(m => `${MODE_LABEL[m] || m}: N=${fmt(nOf(m))}`)
      const jobLabel = job === 'sum' ? `sum(${fmt(results.config.sumN)})` : 'no-op'
      out.push(`#### ${jobLabel}, UV_THREADPOOL_SIZE=${pool}, N=${fmt(n)} ` +
        `(${[...otherN, `piscina N/${results.config.slowDivisor}`].join('; ')})`)
      out.push('')
      const head = ['peer']
      const rule = ['---']
      for (const m of modes) {
        const l = MODE_LABEL[m] || m
        head.push(`${l}: ns/task`, 'min–max', 'tasks/s', 'vs raw')
        rule.push('--:', '--:', '--:', '--:')
      }
      out.push('| ' + head.join(' | ') + ' |')
      out.push('| ' + rule.join(' | ') + ' |')
      for (const [id, peer] of Object.entries(results.peers)) {
        const row = [peer.label]
        for (const m of modes) {
          const c = byMode[m][id]
          if (!c) { row.push('–', '–', '–', '–'); continue }
          row.push(fmt(c.nsPerTask), `${fmt(c.min)}–${fmt(c.max)}`,
            fmt(c.tasksPerSec), ratio(byMode[m], peer, id))
        }
        out.push('| ' + row.join(' | ') + ' |')
      }
      out.push('')
    }
  }
  if (out.length) {
    out.unshift('"vs raw": time per task over raw Node-API\'s in the same run ' +
      '(callback delivery over raw callback, promise delivery and piscina ' +
      'over raw promise; the floor over raw callback), paired round by ' +
      'round, median over the rounds. Lower is faster.', '')
    out.unshift('### Throughput (median of the rounds, ns per task)', '')
  }
  return out
}

function memoryTable (results) {
  const pools = Object.keys(results.memory).filter(p => results.memory[p])
  if (!pools.length) return []
  const out = ['### Memory per in-flight task (bytes of RSS)', '',
    'All N tasks in flight at once (perform blocked on a gate), one child ' +
    'process per peer; "in flight" is the RSS growth over the second half ' +
    'of the submission, per task, with a full GC before each reading ' +
    '(bench/lib/memory.js); "peak" the peak RSS growth until all settled, ' +
    'over N.', '']
  const head = ['peer']
  const rule = ['---']
  for (const p of pools) {
    head.push(`pool ${p}: in flight`, `pool ${p}: peak`)
    rule.push('--:', '--:')
  }
  head.push('N')
  rule.push('--:')
  out.push('| ' + head.join(' | ') + ' |', '| ' + rule.join(' | ') + ' |')
  for (const [id, peer] of Object.entries(results.peers)) {
    const row = [peer.label]
    let n
    for (const p of pools) {
      const m = results.memory[p][id]
      row.push(m ? fmt(m.bytesPerTask) : '–', m ? fmt(m.peakBytesPerTask) : '–')
      if (m) n = m.n
    }
    row.push(fmt(n))
    out.push('| ' + row.join(' | ') + ' |')
  }
  out.push('')
  return out
}

function fairnessTable (results) {
  const pools = Object.keys(results.fairness).filter(p => results.fairness[p])
  if (!pools.length) return []
  const f = results.config.fairness
  const out = [`### Fairness: fs.stat latency under a flood of ${fmt(f.tasks)} ` +
    `x ${f.ms} ms tasks (ms, median of ${f.reps})`, '',
    'fs.stat is issued right after the whole flood was submitted; "flood" ' +
    'is how long the flood took to settle.', '']
  const head = ['peer']
  const rule = ['---']
  for (const p of pools) {
    head.push(`pool ${p}: fs.stat`, 'min–max', 'flood')
    rule.push('--:', '--:', '--:')
  }
  out.push('| ' + head.join(' | ') + ' |', '| ' + rule.join(' | ') + ' |')
  const idle = ['(no flood: pool idle)']
  for (const p of pools) {
    const c = results.fairness[p].idle
    idle.push(fmt(c.statMs, 3), `${fmt(c.min, 3)}–${fmt(c.max, 3)}`, '–')
  }
  out.push('| ' + idle.join(' | ') + ' |')
  for (const [id, peer] of Object.entries(results.peers)) {
    const row = [peer.label]
    for (const p of pools) {
      const c = results.fairness[p][id]
      if (!c) { row.push('–', '–', '–'); continue }
      row.push(fmt(c.statMs, 2), `${fmt(c.min, 2)}–${fmt(c.max, 2)}`, fmt(c.floodMs))
    }
    out.push('| ' + row.join(' | ') + ' |')
  }
  out.push('')
  return out
}

// The targets of issue 6, for napi-task's variants, and the project's
// criterion for one task in flight (no slower than raw Node-API).
function targets (results) {
  const rows = []
  const pools = [...new Set([...Object.keys(results.throughput),
    ...Object.keys(results.memory), ...Object.keys(results.fairness)])]
  const r = (pool, job, mode, id, base) => {
    const c = results.throughput[pool] && results.throughput[pool][job] &&
      results.throughput[pool][job][mode]
    return ratioOf(c, id, base)
  }
  const add = (what, limit, values, ok) => {
    const cells = values.map(v => v === null ? '–' : v.text)
    const known = values.filter(v => v !== null)
    const verdict = known.length === 0
      ? 'not measured'
      : known.every(v => ok(v.value)) ? 'met' : 'MISSED'
    rows.push(`| ${what} | ${limit} | ${cells.join(' | ')} | ${verdict} |`)
  }
  const x = v => v === null ? null : { value: v, text: fmt(v, 2) + 'x' }
  add('no-op all at once, callback vs raw callback', '≤ 0.50x',
    pools.map(p => x(r(p, 'noop', 'all', 'task-cb', 'raw-cb'))), v => v <= 0.5)
  add('no-op all at once, promise vs raw promise', '≤ 0.60x',
    pools.map(p => x(r(p, 'noop', 'all', 'task-p', 'raw-p'))), v => v <= 0.6)
  add('no-op 64 in flight, callback vs raw callback', '≤ 0.80x',
    pools.map(p => x(r(p, 'noop', 'window64', 'task-cb', 'raw-cb'))), v => v <= 0.8)
  add('no-op 64 in flight, promise vs raw promise', '≤ 0.80x',
    pools.map(p => x(r(p, 'noop', 'window64', 'task-p', 'raw-p'))), v => v <= 0.8)
  // One task in flight (an await loop): each task is a whole round trip,
  // so napi-task's backlog and batching cannot help; it must not cost more
  // than raw Node-API's round trip.
  add('no-op one in flight, callback vs raw callback', '≤ 1.00x',
    pools.map(p => x(r(p, 'noop', 'one', 'task-cb', 'raw-cb'))), v => v <= 1)
  add('no-op one in flight, promise vs raw promise', '≤ 1.00x',
    pools.map(p => x(r(p, 'noop', 'one', 'task-p', 'raw-p'))), v => v <= 1)
  // The C++ builder (issue 14) over the same library: its per-task cost
  // within 10% of the C builder's, in every mode.
  for (const mode of ['all', 'window64', 'one']) {
    add(`no-op ${MODE_LABEL[mode]}, C++ builder vs C builder (callback)`, '≤ 1.10x',
      pools.map(p => x(r(p, 'noop', mode, 'task-cpp', 'task-cb'))), v => v <= 1.1)
  }
  for (const id of ['task-cb', 'task-p', 'task-q']) {
    add(`memory per in-flight task, ${id}`, '≤ 300 B', pools.map(p => {
      const m = results.memory[p] && results.memory[p][id]
      return m ? { value: m.bytesPerTask, text: fmt(m.bytesPerTask) + ' B' } : null
    }), v => v <= 300)
  }
  for (const id of ['task-cb', 'task-p', 'task-q']) {
    add(`fs.stat under the flood, ${id}`, '≤ 5 ms and ≥ 100x better than raw', pools.map(p => {
      const f = results.fairness[p]
      if (!f || !f[id] || !f['raw-cb']) return null
      const better = f['raw-cb'].statMs / f[id].statMs
      return {
        value: { ms: f[id].statMs, better },
        text: `${fmt(f[id].statMs, 2)} ms (${fmt(better, 0)}x)`
      }
    }), v => v.ms <= 5 && v.better >= 100)
  }
  if (!rows.length) return []
  return ['### napi-task against the targets (issue 6; one in flight: no slower than raw)', '',
    '| target | limit | ' + pools.map(p => `pool ${p}`).join(' | ') + ' | verdict |',
    '| --- | --- | ' + pools.map(() => '--:').join(' | ') + ' | --- |',
    ...rows, '']
}

function markdown (results) {
  const m = results.machine
  return [
    `## napi-task bench, ${results.date.slice(0, 10)}`, '',
    `${m.cpus} x ${m.cpuModel}, ${m.os}, Node ${m.node} (V8 ${m.v8}, ` +
      `libuv ${m.uv}, Node-API ${m.napi})` +
      (results.git && results.git.commit
        ? `, commit ${results.git.commit.slice(0, 10)}` +
          (results.git.libraryOrBenchDirty ? ' + uncommitted changes' : '')
        : '') + (results.config.quick ? ', --quick' : ''), '',
    ...(results.label ? [results.label, ''] : []),
    ...(results.config.quick
      ? ['**--quick: small N, a smoke test. These numbers are not results.**', '']
      : []),
    ...targets(results),
    ...throughputTables(results),
    ...memoryTable(results),
    ...fairnessTable(results)
  ].join('\n')
}

module.exports = { markdown }

if (require.main === module) {
  process.stdout.write(markdown(JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))) + '\n')
}
