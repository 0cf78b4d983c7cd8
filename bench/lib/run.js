'use strict'
// Runs `n` tasks of one job on one loaded peer, all at once (window 0) or
// `window` in flight, and resolves with the elapsed ns and how many results
// were wrong. The JS side is the same for every peer of a kind: one shared
// callback (or one shared pair of promise reactions) for the whole run.
//
// Window 1 is one task in flight, the way most code uses a task: callback
// peers submit the next task from the callback (the window code below does
// exactly that), promise peers run an `await` loop (runAwait), as user
// code would, rather than a chain of .then reactions.
const { expected } = require('./peers')
const { now } = require('./util')

function runCallback (inst, job, arg, n, window) {
  const start = inst.start
  const want = expected(job, arg)
  return new Promise(resolve => {
    let submitted = 0
    let completed = 0
    let bad = 0
    let t0
    function done (err, v) {
      if (err || v !== want) bad++
      completed++
      if (submitted < n) {
        submitted++
        start(job, arg, done)
      } else if (completed === n) {
        resolve({ ns: Number(now() - t0), bad })
      }
    }
    const first = window ? Math.min(window, n) : n
    t0 = now()
    while (submitted < first) {
      submitted++
      start(job, arg, done)
    }
  })
}

function runPromise (inst, job, arg, n, window) {
  const start = inst.start
  const want = expected(job, arg)
  return new Promise(resolve => {
    let submitted = 0
    let completed = 0
    let bad = 0
    let t0
    function done (err, v) {
      if (err || v !== want) bad++
      completed++
      if (submitted < n) {
        submitted++
        start(job, arg).then(ok, fail)
      } else if (completed === n) {
        resolve({ ns: Number(now() - t0), bad })
      }
    }
    const ok = v => done(null, v)
    const fail = e => done(e || new Error('rejected'))
    const first = window ? Math.min(window, n) : n
    t0 = now()
    while (submitted < first) {
      submitted++
      start(job, arg).then(ok, fail)
    }
  })
}

function runAwait (inst, job, arg, n) {
  const start = inst.start
  const want = expected(job, arg)
  return (async () => {
    let bad = 0
    const t0 = now()
    for (let i = 0; i < n; i++) {
      try {
        if (await start(job, arg) !== want) bad++
      } catch {
        bad++
      }
    }
    return { ns: Number(now() - t0), bad }
  })()
}

function runBatch (inst, job, arg, n, window) {
  return new Promise(resolve => {
    const t0 = now()
    inst.batch(job, arg, n, window, (err, wrong) => {
      resolve({ ns: Number(now() - t0), bad: err ? n : wrong })
    })
  })
}

function run (peer, inst, job, arg, n, window) {
  switch (peer.kind) {
    case 'callback': return runCallback(inst, job, arg, n, window)
    case 'promise': return window === 1
      ? runAwait(inst, job, arg, n)
      : runPromise(inst, job, arg, n, window)
    default: return runBatch(inst, job, arg, n, window)
  }
}

module.exports = { run }
