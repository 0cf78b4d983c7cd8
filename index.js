'use strict'
// What an addon author's binding.gyp asks for:
//   "include_dirs": ["<!(node -p \"require('napi-task').include_dir\")"],
//   "dependencies": ["<!(node -p \"require('napi-task').gyp\")"]
// Both paths are relative to the directory node-gyp runs in (the consumer's
// package), as node-addon-api does, so gyp never writes outside it.
const path = require('path')

const here = path.relative('.', __dirname) || '.'

module.exports = {
  include_dir: path.join(here, 'include'),
  gyp: path.join(here, 'napi_task.gyp') + ':napi_task',
  version: require('./package.json').version
}
