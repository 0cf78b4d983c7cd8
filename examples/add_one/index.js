'use strict'
// Run with `node .` in a copy of this folder, after `npm install`
// (README.md); in napi-task's repository, `node examples/add_one` after
// `npm run build`.
const fs = require('fs')
const path = require('path')

// The addon: this folder's own build, which `npm install` makes (node-gyp
// rebuild); without one, inside napi-task's repository, the build of its
// root binding.gyp, which builds every example. Your own package needs
// only the first require.
const { addOne, addOnePromise } = fs.existsSync(path.join(__dirname, 'build'))
  ? require('./build/Release/add_one.node')
  : require('../../build/Release/add_one.node')

addOne(41, (err, n) => {
  if (err) throw err
  console.log(`callback: 41 + 1 = ${n}`)

  // Started once the first task is done, so the two lines always print in
  // this order: two tasks in flight at once run on two threads and may
  // finish, and so print, in either order.
  addOnePromise(1.5).then((n) => {
    console.log(`promise: 1.5 + 1 = ${n}`)
  })
})
