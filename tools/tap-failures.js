'use strict'
// Prints every failing assertion of the last tap run, with its YAML
// diagnostics and the subtests it sits in, from tap's saved results
// (.tap/test-results/). .ci/run calls it when a test command fails, so a
// CI log that is cut to its tail still names the assertion that failed,
// not only the test file.
//
// usage: node tools/tap-failures.js [results dir]
const fs = require('fs')
const path = require('path')

const dir = process.argv[2] || path.join(__dirname, '..', '.tap', 'test-results')

const files = []
const walk = d => {
  let entries
  try { entries = fs.readdirSync(d, { withFileTypes: true }) } catch { return }
  for (const e of entries) {
    const p = path.join(d, e.name)
    if (e.isDirectory()) walk(p)
    else if (e.name.endsWith('.tap')) files.push(p)
  }
}
walk(dir)

let failures = 0
for (const file of files.sort()) {
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  const names = [] // names[depth]: the enclosing subtests
  const inner = [] // inner[depth]: a failure was reported at this depth
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const sub = line.match(/^( *)# Subtest: (.*)$/)
    if (sub) {
      names.length = sub[1].length / 4
      names.push(sub[2])
      inner[names.length] = false
      continue
    }
    const bad = line.match(/^( *)not ok \d+ - (.*)$/)
    // todo and skip directives do not fail a run
    if (!bad || /# (TODO|SKIP)\b/i.test(bad[2])) continue
    // A subtest that failed because something inside it failed is reported
    // by that inner line already.
    const depth = bad[1].length / 4
    const parentOnly = inner[depth + 1]
    inner[depth + 1] = false
    inner[depth] = true
    if (parentOnly) continue
    const yaml = []
    let j = i + 1
    if (lines[j] !== undefined && /^ *---$/.test(lines[j])) {
      for (; j < lines.length; j++) {
        yaml.push(lines[j])
        if (/^ *\.\.\.$/.test(lines[j])) break
      }
    }
    failures++
    console.log(`not ok: ${path.relative(dir, file).replace(/\.tap$/, '')}`)
    console.log(`  in: ${names.slice(0, depth).join(' > ') || '(top level)'}`)
    console.log(`  assertion: ${bad[2]}`)
    for (const y of yaml) console.log('  ' + y.slice(bad[1].length))
  }
}
console.log(`# ${failures} failing assertion(s) in ${files.length} result file(s)`)
if (failures === 0) {
  console.log('# no assertion failed: a file that failed ended with a nonzero exit ' +
    'code or a signal (an uncaught exception or a crash; its stderr is in the log)')
}
