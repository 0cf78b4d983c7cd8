{
  "targets": [{
    "target_name": "legacy_task",
    "sources": ["legacy_task.c"],
    "include_dirs": ["<!(node -p \"require('napi-task').include_dir\")"],
    "dependencies": ["<!(node -p \"require('napi-task').gyp_dependency()\")"]
  }]
}
