'use strict'
// Pointers from the code into the docs resolve. A comment in src/ or
// include/ that says why cites an entry of the decision log by number
// (`docs/decisions.md, D4`), or a section of another doc by its heading
// (`docs/internals.md, "Teardown"`); docs/performance.md holds current
// results only, so the code cites a decision, never one of its sections.
// Also: the decision log is numbered D1, D2, ... with no gap, each entry
// says its decision, why, what was measured and when to revisit it; and
// every link into a doc's section (`[x](file.md#anchor)`) names a heading
// there, as GitHub makes anchors.
const t = require('tap')
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..')
const read = f => fs.readFileSync(path.join(root, f), 'utf8')

// Every file under a directory, as paths relative to root.
function filesUnder (dir) {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap(d => d.isDirectory()
      ? filesUnder(path.join(dir, d.name))
      : [path.join(dir, d.name)])
    .sort()
}

// Comments wrap: a pointer may start on one line and end on the next,
// behind the next line's indentation and comment marker (`*`, `//`).
const continuation = line => line.replace(/^\s*(\/\/+|\*(?!\/))?\s*/, ' ')
const WRAP = 3

// Where each match of `re` starts in `text`, with the line it starts on;
// a match may run on over the WRAP lines after it.
function scan (file, text, re) {
  const lines = text.split('\n')
  const found = []
  lines.forEach((line, i) => {
    const window = line + lines.slice(i + 1, i + 1 + WRAP).map(continuation).join('')
    for (const m of window.matchAll(re)) {
      if (m.index < line.length) found.push({ where: `${file}:${i + 1}`, m })
    }
  })
  return found
}

// `decisions.md, D4`, `decisions.md D4`, `decisions.md, D3 and D4`,
// `decisions.md, D3, D9`.
const DECISION = /decisions\.md,?\s+(D\d+(?:(?:\s*,\s*|\s+and\s+)D\d+)*)\b/g
// `docs/<file>.md, "<Section>"`.
const SECTION = /docs\/([\w.-]+\.md),\s*"([^"]{1,200})"/g
// A section of docs/performance.md, quoted or not: `performance.md, "...`
// or `performance.md, where the ...`.
const PERFORMANCE_SECTION = /performance\.md,\s*["a-zA-Z]/g

const cited = text => [...text.matchAll(DECISION)]
  .flatMap(m => m[1].match(/D\d+/g))

const code = [...filesUnder('src'), ...filesUnder('include')]
  .filter(f => /\.(c|h|cc|cpp|hpp)$/.test(f))
  .map(f => ({ f, text: read(f) }))
const pointers = re => code.flatMap(({ f, text }) => scan(f, text, re))

// Headings of a Markdown file, outside code blocks.
const headings = text => [...text.replace(/^```[\s\S]*?^```/gm, '')
  .matchAll(/^#{1,6} +(.+?) *#*$/gm)].map(m => m[1])
// A pointer names a heading as written (backticks aside), or the part of
// it before a colon: "Where it runs" for "Where it runs: what napi-task
// asks of the runtime".
const plain = s => s.replace(/`/g, '').replace(/\s+/g, ' ').trim()
const names = (section, heading) => {
  const h = plain(heading)
  const s = plain(section)
  return h === s || h.startsWith(s + ':')
}
// GitHub's anchor for a heading: lower case, punctuation but `-` and `_`
// dropped, spaces to `-`; a repeated anchor gets -1, -2, ...
function anchors (text) {
  const seen = new Map()
  return new Set(headings(text).map(h => {
    const a = h.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-')
    const n = seen.get(a)
    seen.set(a, n === undefined ? 0 : n + 1)
    return n === undefined ? a : `${a}-${n + 1}`
  }))
}

const log = read('docs/decisions.md')
const entries = [...log.matchAll(/^## D(\d+)\. (.+)$/gm)]
  .map(m => ({ n: Number(m[1]), title: m[2], at: m.index }))
  .map((e, i, all) => ({
    ...e,
    body: log.slice(e.at, i + 1 < all.length ? all[i + 1].at : log.length)
  }))

t.test('pointers_scan: wrapped pointers are found where they start', async t => {
  const sample = [
    '/* Why (docs/decisions.md,',
    '   D4). Twice: docs/decisions.md D2, D9 and D12. */',
    '  // see docs/internals.md, "Where',
    '  // it runs" and docs/performance.md,',
    ' * "Runner gone time".'
  ].join('\n')
  t.same(scan('x.c', sample, DECISION).map(p => [p.where, cited(p.m[0])]),
    [['x.c:1', ['D4']], ['x.c:2', ['D2', 'D9', 'D12']]])
  t.same(scan('x.c', sample, SECTION).map(p => [p.where, p.m[1], p.m[2]]),
    [['x.c:3', 'internals.md', 'Where it runs'],
      ['x.c:4', 'performance.md', 'Runner gone time']])
  t.same(scan('x.c', sample, PERFORMANCE_SECTION).map(p => p.where), ['x.c:4'])
  t.ok(names('Where it runs', 'Where it runs: what napi-task asks of the runtime'))
  t.ok(names('Reproduce', 'Reproduce'))
  t.notOk(names('Runner', 'Runner gone time'))
  t.same([...anchors('# A\n## D4. Lingering runners\n## `napi_task_call_js`\n## A\n')],
    ['a', 'd4-lingering-runners', 'napi_task_call_js', 'a-1'])
})

t.test('pointers_decision_log: D1, D2, ... in order, each entry complete', async t => {
  t.ok(entries.length >= 14, `${entries.length} decisions`)
  t.same(entries.map(e => e.n), entries.map((e, i) => i + 1), 'numbered 1..n, no gap')
  for (const e of entries) {
    for (const part of ['**Decision.**', '**Why.**', '**Measured.**', '**Revisit when']) {
      t.ok(e.body.includes(part), `D${e.n} has ${part}`)
    }
  }
})

t.test('pointers_decisions: every decision the code cites is in docs/decisions.md', async t => {
  const have = new Set(entries.map(e => `D${e.n}`))
  const found = pointers(DECISION)
  t.comment(`${found.length} decision pointers in src/ and include/`)
  for (const { where, m } of found) {
    for (const d of cited(m[0])) t.ok(have.has(d), `${where}: ${d} is a heading "## ${d}." in docs/decisions.md`)
  }
})

// A short citation, `(D4)` or `D4`, once a comment has named the log:
// every D<n> token in src/ and include/ is a decision of the log too.
const BARE = /\bD(\d+)\b/g
t.test('pointers_bare_decisions: every D<n> in src/ and include/ is in docs/decisions.md', async t => {
  const have = new Set(entries.map(e => e.n))
  let n = 0
  for (const { f, text } of code) {
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(BARE)) {
        n++
        t.ok(have.has(Number(m[1])), `${f}:${i + 1}: D${m[1]} is in docs/decisions.md`)
      }
    })
  }
  t.comment(`${n} D<n> tokens`)
})

t.test('pointers_no_performance_sections: the code cites decisions, not docs/performance.md sections', async t => {
  const found = pointers(PERFORMANCE_SECTION)
  for (const { where, m } of found) {
    const [file, line] = where.split(':')
    const lines = code.find(c => c.f === file).text.split('\n')
    const window = lines.slice(line - 1, Number(line) + WRAP)
      .map((l, i) => i ? continuation(l) : l).join('')
    const quote = window.slice(m.index).match(/^performance\.md,\s*("[^"]*"?|[^).;"]*)/)[0]
    t.fail(`${where}: ${quote.trim()}: cite docs/decisions.md, D<n> instead`)
  }
  if (found.length === 0) t.pass('no pointer into a section of docs/performance.md')
})

t.test('pointers_sections: every "docs/<file>.md, \\"<Section>\\"" in the code names a heading of that file', async t => {
  // Sections of performance.md are forbidden above, not checked here.
  const found = pointers(SECTION).filter(({ m }) => m[1] !== 'performance.md')
  t.comment(`${found.length} section pointers in src/ and include/`)
  for (const { where, m } of found) {
    const [, file, section] = m
    const doc = path.join('docs', file)
    if (!fs.existsSync(path.join(root, doc))) {
      t.fail(`${where}: ${doc} does not exist`)
      continue
    }
    t.ok(headings(read(doc)).some(h => names(section, h)), `${where}: ${doc} has a heading "${section}"`)
  }
})

t.test('pointers_anchors: every link into a doc\'s section names a heading there', async t => {
  const docs = ['README.md', ...fs.readdirSync(path.join(root, 'docs'))
    .filter(f => f.endsWith('.md')).map(f => path.join('docs', f))]
  let links = 0
  for (const f of docs) {
    for (const m of read(f).matchAll(/\]\(([^)#\s]*)#([^)\s]+)\)/g)) {
      const target = m[1] ? path.join(path.dirname(f), m[1]) : f
      if (!target.endsWith('.md')) continue
      links++
      t.ok(anchors(read(target)).has(decodeURIComponent(m[2])), `${f} -> ${m[1]}#${m[2]}`)
    }
  }
  t.ok(links > 0, `${links} links with anchors`)
})
