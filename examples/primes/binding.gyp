{
  "targets": [{
    "target_name": "primes",
    "sources": ["primes.c"],
    "include_dirs": ["<!(node -p \"require('napi-task').include_dir\")"],
    "dependencies": ["<!(node -p \"require('napi-task').gyp_dependency()\")"]
  }]
}
