'use strict'
// src/ keeps its shape (issue 12): calls run one way through the layers
// but for the back edges named at the top of a file, no function is over
// 60 lines, and what one file uses alone is static. tools/layers.js
// checks it; it runs here as a child process, on src/ and on small trees
// that break each rule, to show that it catches them.
const t = require('tap')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')

const tool = path.join(__dirname, '..', 'tools', 'layers.js')
const run = (...args) => spawnSync(process.execPath, [tool, ...args], { encoding: 'utf8' })

// A throwaway tree of C files: { 'a.c': text, ... }.
function tree (t, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-layers-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text)
  }
  return dir
}

t.test('src/ passes: layers, one way, short functions', async t => {
  const r = run()
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.match(r.stdout, /^layers, lowest first/m)
  t.match(r.stdout, /^ {2}errors\.c: /m, 'errors.c is a layer')
  t.match(r.stdout, /^ {2}settle\.c: .*end\.c/m, 'settle.c calls down into end.c')
  t.match(r.stdout, /^ {2}env\.c: .*!settle\.c/m, 'env.c -> settle.c is a named back edge')
  t.match(r.stdout, /^ok$/m)
})

t.test('a cycle fails, unless named as a back edge', async t => {
  const a = 'int nt_a(void) { return 1; }\nstatic int a2(void) { return nt_b(); }\n'
  const b = 'int nt_b(void) { return nt_a(); }\n'
  let r = run(tree(t, { 'a.c': a, 'b.c': b }))
  t.equal(r.status, 1)
  t.match(r.stdout, /cycle among a\.c, b\.c/)

  const named = '/*\n * back edge: a.c -> b.c (nt_b). Why.\n */\n' + a
  r = run(tree(t, { 'a.c': named, 'b.c': b }))
  t.equal(r.status, 0, r.stdout)
  t.match(r.stdout, /^ {2}a\.c: !b\.c/m)
})

t.test('a back edge names exactly what it uses, in the file it leaves', async t => {
  const b = 'int nt_b(void) { return 0; }\nint nt_b2(void) { return nt_a(); }\n'
  const a = 'int nt_a(void) { return nt_b() + nt_b2(); }\n'
  let r = run(tree(t, { 'a.c': '/* back edge: a.c -> b.c (nt_b). */\n' + a, 'b.c': b }))
  t.equal(r.status, 1)
  t.match(r.stdout, /also uses nt_b2, not named/)

  r = run(tree(t, { 'a.c': '/* back edge: a.c -> b.c (nt_b, nt_b2, nt_gone). */\n' + a, 'b.c': b }))
  t.match(r.stdout, /names nt_gone, which it does not use/)

  r = run(tree(t, { 'a.c': a, 'b.c': '/* back edge: a.c -> b.c (nt_b). */\n' + b }))
  t.match(r.stdout, /belongs at the top of a\.c/)

  r = run(tree(t, { 'a.c': '/* back edge: a.c -> c.c (nt_c). */\n' + a, 'b.c': b }))
  t.match(r.stdout, /named but the code has no such use/)
})

t.test('a long function fails', async t => {
  const body = Array.from({ length: 59 }, (_, i) => `  x += ${i};`).join('\n')
  const r = run(tree(t, {
    'a.c': `/* "{ not a brace" */\nstatic int f(int x) {\n${body}\n  return x;\n}\n` +
      'int napi_task_public(void) { return f(1); }\n'
  }))
  t.equal(r.status, 1)
  t.match(r.stdout, /^ +62 {2}a\.c:2 f$/m, 'its length is listed')
  t.match(r.stdout, /a\.c:2 f is 62 lines \(at most 60\)/)
})

t.test('one file\'s function is static; shared ones are nt_ or napi_task_', async t => {
  const r = run(tree(t, {
    'a.c': 'int nt_alone(void) { return 0; }\nint helper(void) { return 1; }\n',
    'b.c': '#define X(a) a\nstatic int g(void) { return helper(); }\n' +
      'int napi_task_api(void) { return g(); }\n'
  }))
  t.equal(r.status, 1)
  t.match(r.stdout, /a\.c:1 nt_alone: no other file uses it: make it static/)
  t.match(r.stdout, /a\.c:2 helper: used by other files, so named nt_\*/)
  t.notMatch(r.stdout, /napi_task_api:/, 'a public function may be used by none')
})
