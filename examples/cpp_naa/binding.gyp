{
  "targets": [{
    "target_name": "cpp_naa",
    "sources": ["cpp_naa.cc"],
    "include_dirs": ["<!(node -p \"require('napi-task').include_dir\")"],
    "dependencies": [
      "<!(node -p \"require('napi-task').gyp_dependency()\")",
      "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
    ]
  }]
}
