'use strict'
// Run with `node . [file...]` in a copy of this folder, after `npm
// install` (README.md); in napi-task's repository, `node
// examples/hash_file [file...]` after `npm run build`.
const fs = require('fs')
const path = require('path')

// The addon: this folder's own build, which `npm install` makes (node-gyp
// rebuild); without one, inside napi-task's repository, the build of its
// root binding.gyp, which builds every example. Your own package needs
// only the first require.
const { hashFile } = fs.existsSync(path.join(__dirname, 'build'))
  ? require('./build/Release/hash_file.node')
  : require('../../build/Release/hash_file.node')

async function main (files) {
  for (const file of files) {
    try {
      const digest = await hashFile(file)
      console.log(`${digest.toString('hex')}  ${file}`)
    } catch (err) {
      // A Node system error: err.code, err.errno, err.syscall, err.path.
      console.error(`hash_file: ${err.message} (${err.code})`)
      process.exitCode = 1
    }
  }
}

main(process.argv.length > 2 ? process.argv.slice(2) : [__filename])
