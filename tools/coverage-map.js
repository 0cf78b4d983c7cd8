'use strict'
// tap's coverage map (package.json "tap"."coverage-map"): which JS each
// test file is held to 100% coverage on. The product is C; the package's own
// JS is index.js, covered by test/package.test.js. Examples run in child
// processes and fixtures are test code: they are exercised by the tests,
// not coverage-gated.
module.exports = (testFile) =>
  /package\.test\.js$/.test(testFile) ? ['index.js'] : null
