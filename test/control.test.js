'use strict'
// The control API's NULL arguments and misuse: a clear status, no
// exception, no crash, and every datum consumed or dropped exactly once.
const t = require('./fixtures/tap')
const path = require('path')

const addon = require(process.env.NAPI_TASK_TEST_ADDON ||
  path.join(__dirname, '..', 'build', 'Release', 'test_addon.node'))
const { control, common } = addon

const napi = { ok: 0, invalid_arg: 1 }

t.test('control_null_args: napi_invalid_arg everywhere, nothing thrown, drops balanced', async t => {
  const before = common.counts()
  const ac = new AbortController()
  let fromPerform
  const settled = new Promise(resolve => {
    const statuses = control.nullArgs(ac.signal, () => {}, (err, value) => {
      fromPerform = { err, value }
      resolve()
    })
    t.same(statuses, {
      cancelledNull: false,
      progressNullCtx: napi.invalid_arg,
      callJsNullCtx: napi.invalid_arg,
      queueCreateNullEnv: napi.invalid_arg,
      queueCreateNullResult: napi.invalid_arg,
      setSignalNullTask: napi.invalid_arg,
      setSignalNullSignal: napi.invalid_arg,
      setProgressNullTask: napi.invalid_arg,
      setProgressNullFn: napi.invalid_arg,
      setQueueNullTask: napi.invalid_arg,
      setQueueNullQueue: napi.invalid_arg,
      setSignalDelivered: napi.invalid_arg,
      setProgressDelivered: napi.invalid_arg,
      setQueueDelivered: napi.invalid_arg,
      queueRelease: napi.ok,
      queueReleaseNull: napi.invalid_arg,
    })
  })
  await settled
  t.same(fromPerform, { err: null, value: napi.invalid_arg },
    'napi_task_call_js(ctx, NULL, NULL) from perform: napi_invalid_arg')
  const c = common.counts()
  t.equal(c.twice, 0)
  t.equal(c.created, c.consumed + c.dropped)
  t.equal(c.created - before.created, 2, 'a progress string and the task data')
  t.equal(c.dropped - before.dropped, 1, 'the string given with a NULL ctx was dropped')
})
