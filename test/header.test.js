'use strict'
// include/napi_task.h compiles alone, warning-free, as C11 and as C++
// (STYLE.md), and includes nothing but <node_api.h> and standard headers.
const t = require('tap')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')

const root = path.join(__dirname, '..')
const nodeInclude = path.join(path.dirname(process.execPath), '..', 'include', 'node')
const header = fs.readFileSync(path.join(root, 'include', 'napi_task.h'), 'utf8')

t.test('header_includes: includes only node_api.h and standard headers', async t => {
  const includes = [...header.matchAll(/^#include\s+<([^>]+)>/gm)].map(m => m[1])
  t.same(includes.sort(), ['node_api.h', 'stdbool.h', 'stddef.h', 'stdint.h'])
})

const compilers = [
  ['gcc', ['-x', 'c', '-std=c11', '-pedantic']],
  ['g++', ['-x', 'c++', '-std=c++17']]
]
for (const [cc, flags] of compilers) {
  t.test(`header_compiles (${cc}): compiles alone with ${cc} -Wall -Wextra -Werror`, async t => {
    if (spawnSync(cc, ['--version']).status !== 0) return t.skip(`no ${cc}`)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-header-'))
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
    const src = path.join(dir, 'probe.c')
    fs.writeFileSync(src, [
      '#include <napi_task.h>',
      'napi_task_output probe(napi_task_ctx ctx, void *data);',
      'napi_task_output probe(napi_task_ctx ctx, void *data) {',
      '  (void)data;',
      '  if (napi_task_cancelled(ctx)) return napi_task_ok_undefined();',
      '  return napi_task_ok_int64(1);',
      '}',
      ''
    ].join('\n'))
    const r = spawnSync(cc, [...flags, '-Wall', '-Wextra', '-Werror', '-fsyntax-only',
      '-I', path.join(root, 'include'), '-I', nodeInclude, src], { encoding: 'utf8' })
    t.equal(r.stderr, '', 'no diagnostics')
    t.equal(r.status, 0)
  })
}

t.test('header_napi_version_floor: NAPI_VERSION below 8 stops the build with an #error that says why', async t => {
  if (spawnSync('gcc', ['--version']).status !== 0) return t.skip('no gcc')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'napi-task-header-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const src = path.join(dir, 'old.c')
  fs.writeFileSync(src, '#include <napi_task.h>\n')
  const cc = v => spawnSync('gcc', ['-x', 'c', '-std=c11', '-fsyntax-only', `-DNAPI_VERSION=${v}`,
    '-I', path.join(root, 'include'), '-I', nodeInclude, src], { encoding: 'utf8' })
  const r7 = cc(7)
  t.not(r7.status, 0, 'NAPI_VERSION=7: the build fails')
  t.match(r7.stderr, /#error "napi-task needs Node-API 8 or later/)
  const r8 = cc(8)
  t.equal(r8.status, 0, 'NAPI_VERSION=8 builds')
  t.equal(r8.stderr, '')
})
