# The napi-task static library target, exactly as ../../napi_task.gyp
# defines it (same sources, flags and direct_dependent_settings; gyp rebases
# the included paths onto this file).
#
# Why not depend on '../napi_task.gyp:napi_task' directly: a .gyp file in
# the parent of node-gyp's top-level directory gets base path "..", and
# gyp's make generator then writes the library to $(obj).target/../ which is
# $(builddir), and copies it onto itself ("cp: cannot stat napi_task.a").
# A real consumer has napi-task under node_modules/ and never meets this.
{
  'includes': ['../../napi_task.gyp'],
}
