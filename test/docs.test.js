'use strict'
// The docs cannot drift from the code: every function and type declared in
// the header is documented with its signature, and the error-code table in
// docs/errors.md is the library's own table (NT_ERRORS in src/internal.h).
const t = require('tap')
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..')
const read = f => fs.readFileSync(path.join(root, f), 'utf8')
const header = read('include/napi_task.h')
  .replace(/\/\*[\s\S]*?\*\//g, '') // comments may mention names in passing
const docs = fs.readdirSync(path.join(root, 'docs'))
  .filter(f => f.endsWith('.md'))
  .map(f => ({ f, text: read(path.join('docs', f)) }))

// A name is documented when a doc has a heading naming it, or a C code
// block declaring it (its signature).
const documented = name => docs.some(({ text }) => {
  const heading = new RegExp('^#+ .*`' + name + '`', 'm').test(text)
  const blocks = text.match(/```c\n[\s\S]*?```/g) || []
  const declared = blocks.some(b =>
    new RegExp('\\b' + name + '\\s*\\(|\\(\\*' + name + '\\)|\\b' + name + ';|\\}\\s*' + name + ';').test(b))
  return heading || declared
})

t.test('docs_functions: every function declared in the header is documented', async t => {
  const fns = new Set()
  for (const m of header.matchAll(/\b(napi_task_[a-z0-9_]+)\s*\(/g)) fns.add(m[1])
  for (const m of header.matchAll(/\(\*(napi_task_[a-z0-9_]+)\)\s*\(/g)) fns.add(m[1])
  t.ok(fns.size > 20, `found ${fns.size} functions and callback types`)
  // A trailing underscore marks a private helper of the inline constructors.
  for (const name of [...fns].filter(n => !n.endsWith('_')).sort()) {
    t.ok(documented(name), `${name} is documented`)
  }
})

t.test('docs_types: every public type is documented', async t => {
  const types = new Set()
  for (const m of header.matchAll(/typedef struct \w+ \*(napi_task_\w+);/g)) types.add(m[1])
  for (const m of header.matchAll(/\}\s*(napi_task_\w+);/g)) types.add(m[1])
  t.ok(types.size >= 4)
  for (const name of [...types].sort()) {
    t.ok(docs.some(({ text }) => text.includes('`' + name + '`')), `${name} is documented`)
  }
})

t.test('docs_error_codes: docs/errors.md lists exactly the library\'s own codes', async t => {
  const table = read('src/internal.h').match(/#define NT_ERRORS\(X\)([\s\S]*?)\n\n/)[1]
  const codes = [...table.matchAll(/X\(\w+, "([A-Z_]+)"\)/g)].map(m => m[1])
  t.ok(codes.length >= 5)
  const errors = read('docs/errors.md')
  const section = errors.split('## Codes napi-task produces itself')[1].split('\n## ')[0]
  const listed = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map(m => m[1])
  t.same(listed.sort(), codes.slice().sort())
})

t.test('docs_links: docs/README.md links every doc, and every link resolves', async t => {
  const index = read('docs/README.md')
  for (const { f } of docs) {
    if (f !== 'README.md') t.ok(index.includes(`(${f})`), `index links ${f}`)
  }
  const all = docs.map(({ f, text }) => ({ f: path.join('docs', f), text }))
    .concat([{ f: 'README.md', text: read('README.md') }])
  for (const { f, text } of all) {
    for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      if (/^https?:/.test(m[1])) continue
      t.ok(fs.existsSync(path.join(root, path.dirname(f), m[1])), `${f} -> ${m[1]} exists`)
    }
  }
})

// bench/results keeps only the runs the docs quote: a run's JSON is
// committed when a doc cites it (docs/performance.md, "Reproduce").
t.test('docs_bench_results: every committed bench result is quoted by a doc', async t => {
  const dir = path.join(root, 'bench', 'results')
  const quoted = docs.map(d => d.text).join('\n') + read('README.md')
  for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.json'))) {
    t.ok(quoted.includes(f), `bench/results/${f} is quoted`)
  }
})
