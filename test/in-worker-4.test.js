'use strict'
// Shard 4 of the suite run inside worker threads (test/fixtures/in-worker.js).
require('./fixtures/in-worker').runShard(4)
