'use strict'
// node tools/layers.js [dir]
//
// Checks the structure of the library's C sources (src/*.c, or dir/*.c):
//
// - Calls run one way. A file that names a function defined in another
//   file (a call, or the function passed as a pointer) depends on that
//   file. The files must form layers: no cycle, except through edges
//   named at the top of the file they start from, in the file's first
//   comment:
//
//     back edge: runner.c -> settle.c (nt_settle_runner_done). <why>
//
//   Every name used along such an edge must be in its parentheses, and a
//   named edge that the code no longer has is an error too.
// - No function is longer than LIMIT lines (from the first line of its
//   declaration to its closing brace).
// - A function no other file uses is static; one that others use is named
//   nt_* (internal) or napi_task_* (public).
//
// Prints the layers (lowest first, each file with the files it calls),
// every function's length, longest first, and what failed. Exits 1 on a
// failure. No dependencies: the C is read as text, with comments, strings
// and preprocessor lines blanked out first.
const fs = require('fs')
const path = require('path')

const LIMIT = 60

// Comments, string and character literals and preprocessor lines become
// spaces; newlines stay, so line numbers do.
function strip (text) {
  let out = ''
  let i = 0
  let lineStart = true
  const blank = s => s.replace(/[^\n]/g, ' ')
  while (i < text.length) {
    const c = text[i]
    const two = text.slice(i, i + 2)
    let end = -1
    if (two === '/*') {
      end = text.indexOf('*/', i + 2)
      end = end < 0 ? text.length : end + 2
    } else if (two === '//') {
      end = text.indexOf('\n', i)
      if (end < 0) end = text.length
    } else if (c === '"' || c === "'") {
      end = i + 1
      while (end < text.length && text[end] !== c && text[end] !== '\n') {
        end += text[end] === '\\' ? 2 : 1
      }
      end = Math.min(end + 1, text.length)
    } else if (c === '#' && lineStart) {
      end = i
      // A directive runs to an unescaped end of line.
      while (end < text.length && text[end] !== '\n') {
        end += text[end] === '\\' ? 2 : 1
      }
    }
    if (end >= 0) {
      out += blank(text.slice(i, end))
      i = end
      lineStart = false
      continue
    }
    out += c
    if (c === '\n') lineStart = true
    else if (!/\s/.test(c)) lineStart = false
    i++
  }
  return out
}

const lineOf = (text, at) => text.slice(0, at).split('\n').length

// The functions a file defines: name, static or not, first and last line,
// and the [start, end) offsets of its body.
function definitions (code) {
  const fns = []
  let depth = 0
  let declStart = 0 // offset after the last top-level ; or }
  let fn = null
  for (let i = 0; i < code.length; i++) {
    const c = code[i]
    if (c === '{') {
      if (depth === 0) {
        const decl = code.slice(declStart, i)
        const m = decl.match(/([A-Za-z_]\w*)\s*\([^;{}=]*\)\s*$/)
        if (m && !/=/.test(decl) && !/\b(struct|enum|union)\s+\w*\s*$/.test(decl)) {
          const first = declStart + decl.search(/\S/)
          fn = {
            name: m[1],
            isStatic: /\bstatic\b/.test(decl.slice(0, decl.length - m[0].length)),
            line: lineOf(code, first),
            bodyStart: i
          }
        }
      }
      depth++
    } else if (c === '}') {
      depth--
      if (depth === 0) {
        if (fn) {
          fn.endLine = lineOf(code, i)
          fn.bodyEnd = i + 1
          fn.lines = fn.endLine - fn.line + 1
          fns.push(fn)
          fn = null
        }
        declStart = i + 1
      }
    } else if (c === ';' && depth === 0) {
      declStart = i + 1
    }
  }
  return fns
}

// `back edge: a.c -> b.c (name, name)` lines of the file's first comment.
function backEdges (text) {
  const first = text.match(/^\s*\/\*([\s\S]*?)\*\//)
  if (!first) return []
  const body = first[1].replace(/^\s*\*/gm, ' ').replace(/\s+/g, ' ')
  return [...body.matchAll(/back edge: (\S+\.c) -> (\S+\.c) \(([^)]*)\)/g)]
    .map(m => ({ from: m[1], to: m[2], names: m[3].split(/,\s*/).map(s => s.trim()) }))
}

function check (dir) {
  const problems = []
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.c')).sort()
  const src = {}
  const defs = {} // name -> file, for functions other files may use
  const fns = []
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8')
    const code = strip(text)
    src[f] = { text, code, fns: definitions(code) }
    for (const fn of src[f].fns) {
      fns.push({ file: f, ...fn })
      if (!fn.isStatic) {
        if (defs[fn.name]) problems.push(`${fn.name} is defined in ${defs[fn.name]} and ${f}`)
        defs[fn.name] = f
      }
    }
  }

  // Uses: every identifier outside the file's own definitions of that name.
  const edges = {} // from -> to -> Set(names)
  const usedBy = {} // name -> Set(files other than its own)
  for (const f of files) {
    edges[f] = {}
    for (const m of src[f].code.matchAll(/[A-Za-z_]\w*/g)) {
      const to = defs[m[0]]
      if (!to || to === f) continue
      ;(edges[f][to] = edges[f][to] || new Set()).add(m[0])
      ;(usedBy[m[0]] = usedBy[m[0]] || new Set()).add(f)
    }
  }

  // Named back edges: allowed, but only for the names given.
  const allowed = new Set()
  for (const f of files) {
    for (const b of backEdges(src[f].text)) {
      const used = edges[b.from] && edges[b.from][b.to]
      if (b.from !== f) {
        problems.push(`${f}: names the back edge ${b.from} -> ${b.to}, which belongs at the top of ${b.from}`)
      } else if (!used) {
        problems.push(`${f}: the back edge ${b.from} -> ${b.to} is named but the code has no such use`)
      } else {
        const extra = [...used].filter(n => !b.names.includes(n))
        const stale = b.names.filter(n => !used.has(n))
        if (extra.length) problems.push(`${f}: ${b.from} -> ${b.to} also uses ${extra.join(', ')}, not named in its back edge`)
        if (stale.length) problems.push(`${f}: the back edge ${b.from} -> ${b.to} names ${stale.join(', ')}, which it does not use`)
        allowed.add(`${b.from} -> ${b.to}`)
      }
    }
  }

  // Layers: repeatedly take the files that call nothing left (back edges
  // aside). What remains holds a cycle.
  const calls = f => Object.keys(edges[f]).filter(t => !allowed.has(`${f} -> ${t}`))
  const layers = []
  const placed = new Set()
  let progress = true
  while (progress) {
    progress = false
    for (const f of files) {
      if (!placed.has(f) && calls(f).every(t => placed.has(t))) {
        layers.push(f)
        placed.add(f)
        progress = true
      }
    }
  }
  const stuck = files.filter(f => !placed.has(f))
  if (stuck.length) {
    problems.push(`cycle among ${stuck.join(', ')}: ` +
      stuck.map(f => `${f} -> ${calls(f).filter(t => !placed.has(t)).join(', ')}`).join('; '))
  }

  for (const fn of fns) {
    const where = `${fn.file}:${fn.line} ${fn.name}`
    if (fn.lines > LIMIT) problems.push(`${where} is ${fn.lines} lines (at most ${LIMIT})`)
    if (fn.isStatic) continue
    const others = usedBy[fn.name]
    if (!others && !/^napi_task_/.test(fn.name)) {
      problems.push(`${where}: no other file uses it: make it static`)
    } else if (!/^(nt|napi_task)_/.test(fn.name)) {
      problems.push(`${where}: used by other files, so named nt_* (internal) or napi_task_* (public)`)
    }
  }
  return { layers, edges, allowed, fns, problems }
}

function main () {
  const dir = path.resolve(process.argv[2] || path.join(__dirname, '..', 'src'))
  const { layers, edges, allowed, fns, problems } = check(dir)
  console.log('layers, lowest first (file: the files it calls; ! a named back edge)')
  for (const f of layers) {
    const to = Object.keys(edges[f]).sort((a, b) => layers.indexOf(b) - layers.indexOf(a))
      .map(t => allowed.has(`${f} -> ${t}`) ? `!${t}` : t)
    console.log(`  ${f}: ${to.join(', ') || '-'}`)
  }
  console.log(`function lengths, longest first (limit ${LIMIT})`)
  for (const fn of fns.slice().sort((a, b) => b.lines - a.lines || a.name.localeCompare(b.name))) {
    console.log(`  ${String(fn.lines).padStart(4)}  ${fn.file}:${fn.line} ${fn.name}`)
  }
  if (problems.length) {
    console.log(`FAILED: ${problems.length} problem(s)`)
    for (const p of problems) console.log(`  ${p}`)
    process.exitCode = 1
  } else {
    console.log('ok')
  }
}

main()
