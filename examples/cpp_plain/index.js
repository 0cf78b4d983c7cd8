'use strict'
// Run with: node examples/cpp_plain
// In your own package, load your addon with require('./build/Release/cpp_plain.node').
const { summarize, summarizeAsync } = require('../../build/Release/cpp_plain.node')

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
