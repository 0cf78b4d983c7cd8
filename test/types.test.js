'use strict'
// Every example ships a declaration file for its addon's JS surface, and a
// usage file type-checks against them with tsc --strict.
const t = require('tap')
const fs = require('fs')
const path = require('path')
const { spawnSync } = require('child_process')

const root = path.join(__dirname, '..')

t.test('types_examples: each example has an index.d.ts', async t => {
  for (const name of fs.readdirSync(path.join(root, 'examples'))) {
    t.ok(fs.existsSync(path.join(root, 'examples', name, 'index.d.ts')), `${name}/index.d.ts`)
  }
})

t.test('types_tsc: tsc --noEmit on a usage file', async t => {
  const tsc = require.resolve('typescript/bin/tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'fixtures', 'types')],
    { encoding: 'utf8' })
  t.equal(r.stdout + r.stderr, '', 'no diagnostics')
  t.equal(r.status, 0)
})
