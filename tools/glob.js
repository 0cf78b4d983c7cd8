'use strict'
// Prints the files matching simple "dir/*.ext" patterns, one per line, for
// binding.gyp's <!@(...) expansion, so adding a test or example file needs
// no edit to binding.gyp. Paths are relative to the repo root.
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..')
const out = []
for (const pattern of process.argv.slice(2)) {
  const dir = path.dirname(pattern)
  const ext = path.extname(pattern)
  for (const f of fs.readdirSync(path.join(root, dir)).sort()) {
    if (f.endsWith(ext)) out.push(path.posix.join(dir, f))
  }
}
console.log(out.join('\n'))
