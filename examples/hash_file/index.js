'use strict'
// Run with: node examples/hash_file [file...]
// In your own package, load your addon with require('./build/Release/hash_file.node').
const { hashFile } = require('../../build/Release/hash_file.node')

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
