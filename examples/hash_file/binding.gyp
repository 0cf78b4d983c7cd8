{
  "targets": [{
    "target_name": "hash_file",
    "sources": ["hash_file.c"],
    "include_dirs": ["<!(node -p \"require('napi-task').include_dir\")"],
    "dependencies": ["<!(node -p \"require('napi-task').gyp_dependency()\")"]
  }]
}
