'use strict'
// Shard 2 of the suite run inside worker threads (test/fixtures/in-worker.js).
require('./fixtures/in-worker').runShard(2)
