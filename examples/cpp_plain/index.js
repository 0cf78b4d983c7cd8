'use strict'
// Run with `node .` in a copy of this folder, after `npm install`
// (README.md); in napi-task's repository, `node examples/cpp_plain` after
// `npm run build`.
const fs = require('fs')
const path = require('path')

// The addon: this folder's own build, which `npm install` makes (node-gyp
// rebuild); without one, inside napi-task's repository, the build of its
// root binding.gyp, which builds every example. Your own package needs
// only the first require.
const { summarize, summarizeAsync } = fs.existsSync(path.join(__dirname, 'build'))
  ? require('./build/Release/cpp_plain.node')
  : require('../../build/Release/cpp_plain.node')

const show = s => `count ${s.count}, mean ${s.mean}, min ${s.min}, max ${s.max}`

async function main () {
  const viaCallback = await new Promise((resolve, reject) =>
    summarize([3, 1, 4, 1, 5, 9, 2, 6], (err, s) => err ? reject(err) : resolve(s)))
  console.log(`callback: ${show(viaCallback)}`)

  console.log(`promise: ${show(await summarizeAsync([2.5, -1, 0.5]))}`)

  // An error output from perform rejects with its code.
  await summarizeAsync([]).catch(e => console.log(`empty: ${e.code}: ${e.message}`))

  // A signal aborted before delivery: perform never runs.
  const ac = new AbortController()
  ac.abort()
  await summarizeAsync([1, 2], ac.signal).catch(e => console.log(`aborted: ${e.name}`))
}

main()
