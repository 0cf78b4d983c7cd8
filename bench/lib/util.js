'use strict'
// Small helpers shared by the drivers.
const fs = require('fs')

const now = () => process.hrtime.bigint()

function gc () {
  if (typeof global.gc === 'function') {
    global.gc()
    global.gc()
  }
}

const delay = ms => new Promise(resolve => setTimeout(resolve, ms))

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function log (...args) {
  process.stderr.write(args.join(' ') + '\n')
}

// A child process driver gets its config as JSON in argv[2] and writes its
// result as JSON to the file named in the config.
function childMain (fn) {
  const config = JSON.parse(process.argv[2])
  Promise.resolve(fn(config)).then(result => {
    fs.writeFileSync(config.out, JSON.stringify(result))
    process.exit(0)
  }, err => {
    log(err && err.stack ? err.stack : String(err))
    process.exit(1)
  })
}

module.exports = { now, gc, delay, median, log, childMain }
