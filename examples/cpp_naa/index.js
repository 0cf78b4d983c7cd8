'use strict'
// Run with `node .` in a copy of this folder, after `npm install`
// (README.md); in napi-task's repository, `node examples/cpp_naa` after
// `npm run build`.
const fs = require('fs')
const path = require('path')

// The addon: this folder's own build, which `npm install` makes (node-gyp
// rebuild); without one, inside napi-task's repository, the build of its
// root binding.gyp, which builds every example. Your own package needs
// only the first require.
const { topWords } = fs.existsSync(path.join(__dirname, 'build'))
  ? require('./build/Release/cpp_naa.node')
  : require('../../build/Release/cpp_naa.node')

const text = 'The quick brown fox jumps over the lazy dog; the dog sleeps, the fox runs.'

async function main () {
  const top = await topWords(text, 3, { onProgress: p => console.log(`progress: ${p}%`) })
  console.log(`top 3: ${top.map(([w, c]) => `${w}=${c}`).join(' ')}`)

  // An exception thrown by perform rejects the promise.
  await topWords('1, 2, 3!', 3).catch(e => console.log(`no words: ${e.code}: ${e.message}`))

  // A bad argument throws at once, as node-addon-api throws it.
  try {
    topWords(42)
  } catch (e) {
    console.log(`bad call: ${e.name}: ${e.message}`)
  }

  // Aborted before it starts: perform never runs.
  await topWords(text, 3, { signal: AbortSignal.abort() })
    .catch(e => console.log(`aborted: ${e.name}`))
}

main()
