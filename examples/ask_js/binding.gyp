{
  "targets": [{
    "target_name": "ask_js",
    "sources": ["ask_js.c"],
    "include_dirs": ["<!(node -p \"require('napi-task').include_dir\")"],
    "dependencies": ["<!(node -p \"require('napi-task').gyp_dependency()\")"]
  }]
}
