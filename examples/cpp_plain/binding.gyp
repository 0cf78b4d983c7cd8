{
  "targets": [{
    "target_name": "cpp_plain",
    "sources": ["cpp_plain.cc"],
    "include_dirs": ["<!(node -p \"require('napi-task').include_dir\")"],
    "dependencies": ["<!(node -p \"require('napi-task').gyp_dependency()\")"]
  }]
}
