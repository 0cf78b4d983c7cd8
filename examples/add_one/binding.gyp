{
  "targets": [{
    "target_name": "add_one",
    "sources": ["add_one.c"],
    "include_dirs": ["<!(node -p \"require('napi-task').include_dir\")"],
    "dependencies": ["<!(node -p \"require('napi-task').gyp_dependency()\")"]
  }]
}
