'use strict'
// Run with: node examples/add_one
// In your own package, load your addon with require('./build/Release/add_one.node').
const { addOne, addOnePromise } = require('../../build/Release/add_one.node')

addOne(41, (err, n) => {
  if (err) throw err
  console.log(`callback: 41 + 1 = ${n}`)
})

addOnePromise(1.5).then((n) => {
  console.log(`promise: 1.5 + 1 = ${n}`)
})
