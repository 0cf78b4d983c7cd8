/*
 * napi_task.hpp: the napi-task builder in C++17, for lambdas that own their
 * captures. Header-only, on top of the C API in napi_task.h: every task it
 * makes is a napi_task_build task, with the same threadpool hand-off,
 * cancellation, progress, queues and teardown (there is no second
 * scheduling path).
 *
 *   return napi_task::build(env, [buf = std::move(input)](napi_task::ctx ctx)
 *                                    mutable {
 *            auto out = compress(buf, ctx);                // threadpool
 *            return [out = std::move(out)](napi_env env) { // JS thread
 *              return make_buffer(env, out);
 *            };
 *          })
 *       .signal(argv[1])
 *       .progress(argv[2], napi_task::coalesce)
 *       .promise();                                       // or .schedule(cb)
 *
 * This header is the reference of the C++ layer, as napi_task.h is of the C
 * API (docs/cpp.md walks through it). Read it top to bottom: outputs, the
 * perform context, queues, the builder, then build().
 *
 * The ownership rule of napi_task.h, in C++ terms:
 *
 *   A callable handed to napi-task (perform, a complete callable, a
 *   progress value) is moved into the task. It is either CALLED exactly
 *   once, and destroyed right after the call, or never called and
 *   DESTROYED exactly once, on the drop path (abort, teardown, a failed
 *   delivery, a builder destroyed undelivered), on any thread. Captures are
 *   destroyed with their callable: exactly once, whatever happens.
 *
 * Because a capture may be destroyed on any thread, nothing captured may
 * need the JS thread to be destroyed: no napi_ref and no
 * Napi::Reference / Napi::ObjectReference / Napi::FunctionReference (their
 * destructors call Node-API). Copy what perform needs into C++ values on
 * the JS thread; reach JS from perform with ctx.call_js().
 *
 * Exceptions. When C++ exceptions are enabled (NAPI_TASK_CPP_EXCEPTIONS is
 * 1), an exception thrown by perform becomes the task's error (an Error
 * with code 'ERR_NAPI_TASK_CPP_EXCEPTION' and what() as its message), and
 * one thrown by a complete callable or a call_js function becomes a JS
 * exception (a Napi::Error as the very JS value it carries). None of them
 * ever reaches std::terminate. Destructors must not throw. When exceptions
 * are disabled (node-gyp's default: -fno-exceptions), the header catches
 * nothing and compiles as well.
 *
 * node-addon-api. Include <napi.h> before this header and build() also
 * accepts a Napi::Env: the builder it returns delivers Napi::Value and
 * Napi::Promise, and reports failures as node-addon-api does (a thrown
 * Napi::Error under NAPI_CPP_EXCEPTIONS, a pending JS exception and an
 * empty value under NAPI_DISABLE_CPP_EXCEPTIONS). Complete callables and
 * call_js functions may take a Napi::Env and return a Napi::Value anywhere.
 *
 * Threads: as in napi_task.h. "JS thread" is the env's event loop thread;
 * perform runs on the threadpool and must never call Node-API.
 */
#ifndef NAPI_TASK_HPP_
#define NAPI_TASK_HPP_

/* napi_task.h declares the C handle type as `napi_task`, the name of this
   header's namespace, and C++ allows no type and namespace of one name in
   one scope. So this header includes napi_task.h itself, with that one
   typedef named `napi_task_handle` (napi_task::handle below); the C
   functions are the same (a C name carries no parameter types). Include
   this header first, or instead of napi_task.h. */
#if !defined(__cplusplus) || \
    (__cplusplus < 201703L && (!defined(_MSVC_LANG) || _MSVC_LANG < 201703L))
#error "napi_task.hpp needs C++17 (node-gyp's default)"
#endif
#ifdef NAPI_TASK_H_
#error "include napi_task.hpp before napi_task.h, or instead of it \
(docs/cpp.md: the C handle type is napi_task_handle in C++)"
#endif
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#define napi_task napi_task_handle
#include "napi_task.h"
#undef napi_task

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

/* 1 when the compiler has C++ exceptions on (then the header catches), 0
   when they are off (-fno-exceptions, MSVC without /EHsc). Set by this
   header from the compiler's own macros; tests may read it. */
#ifndef NAPI_TASK_CPP_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define NAPI_TASK_CPP_EXCEPTIONS 1
#else
#define NAPI_TASK_CPP_EXCEPTIONS 0
#endif
#endif

/* Private: the name of the namespace that holds everything whose code
   depends on how this file is compiled (exceptions on or off, <napi.h>
   included or not). Files of one addon may be compiled differently (one
   with <napi.h>, one without); their trampolines for the same callable
   type must then not be merged by the linker. */
#if NAPI_TASK_CPP_EXCEPTIONS && defined(SRC_NAPI_H_) && \
    (defined(NODE_ADDON_API_CPP_EXCEPTIONS) || defined(NAPI_CPP_EXCEPTIONS))
#define NAPI_TASK_CPP_MODE_ naa_throw_
#define NAPI_TASK_NAA_THROWS_ 1
#elif NAPI_TASK_CPP_EXCEPTIONS && defined(SRC_NAPI_H_)
#define NAPI_TASK_CPP_MODE_ naa_catch_
#elif NAPI_TASK_CPP_EXCEPTIONS
#define NAPI_TASK_CPP_MODE_ catch_
#elif defined(SRC_NAPI_H_)
#define NAPI_TASK_CPP_MODE_ naa_nocatch_
#else
#define NAPI_TASK_CPP_MODE_ nocatch_
#endif
#ifndef NAPI_TASK_NAA_THROWS_
#define NAPI_TASK_NAA_THROWS_ 0
#endif

namespace napi_task {

/* The `code` of the error a C++ exception becomes: thrown by perform (the
   task's error), or by a complete callable or a call_js function (a JS
   exception, unless it is a Napi::Error, which stays itself).
   The constants of this header have internal linkage (constexpr, not
   inline): an inline variable is a GNU "unique" symbol, and glibc never
   unloads a module that has one (an addon loaded only by a worker would
   then stay mapped after the worker is gone). */
constexpr const char cpp_exception_code[] = "ERR_NAPI_TASK_CPP_EXCEPTION";

/* How progress values reach on_progress (napi_task_progress_mode). */
enum class progress_mode : int {
  /* Only the newest undelivered value; older ones are destroyed. */
  coalesce = NAPI_TASK_PROGRESS_COALESCE,
  /* Every value, in order. */
  queue = NAPI_TASK_PROGRESS_QUEUE
};
constexpr progress_mode coalesce = progress_mode::coalesce;
constexpr progress_mode every = progress_mode::queue;

/* The C output type: what perform returns in the end, whatever it returns
   in C++ (see "Outputs" below). */
using output = napi_task_output;

/* The C handle of a built task: napi_task in C, napi_task_handle in a file
   that includes this header (see its top). */
using handle = ::napi_task_handle;

class ctx;

namespace detail {

template <class T>
using remove_cvref_t = std::remove_cv_t<std::remove_reference_t<T>>;

template <class>
constexpr bool always_false = false;

/* How an owned C++ object travels in a closure's `void *data`. Small
   trivially copyable objects (a lambda without captures, or capturing a
   pointer or a number) are stored in the pointer's own bytes: no
   allocation, and nothing to destroy (drop is NULL). Everything else is
   moved to the heap and deleted by drop, on any thread. */
template <class T>
struct slot {
  static constexpr bool in_place =
      std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T> &&
      sizeof(T) <= sizeof(void *) && alignof(T) <= alignof(void *);

  /* Makes a T from `a` into *data. False when out of memory: then `a` was
     not touched. Throws what T's constructor throws. */
  template <class A>
  static bool put(A &&a, void **data) {
    if constexpr (in_place) {
      T t(std::forward<A>(a));
      void *bits = nullptr;
      std::memcpy(&bits, static_cast<const void *>(std::addressof(t)),
                  sizeof(T));
      *data = bits;
      return true;
    } else {
      T *p = new (std::nothrow) T(std::forward<A>(a));
      *data = p;
      return p != nullptr;
    }
  }

  /* The napi_task_drop for what put() made. Any thread. */
  static void destroy(void *data) noexcept { delete static_cast<T *>(data); }
  static constexpr napi_task_drop drop() noexcept {
    if constexpr (in_place)
      return nullptr;
    else
      return &destroy;
  }
};

/* Owns the T that a data pointer carries for the length of a call, and
   destroys it (exactly once) when the call's scope ends. */
template <class T, bool = slot<T>::in_place>
class taken {
 public:
  explicit taken(void *data) noexcept : p_(static_cast<T *>(data)) {}
  ~taken() { delete p_; }
  taken(const taken &) = delete;
  taken &operator=(const taken &) = delete;
  T &get() noexcept { return *p_; }

 private:
  T *p_;
};

template <class T>
class taken<T, true> {
 public:
  /* Copying the bytes back creates the T (implicit object creation,
     P0593, a defect report that GCC, Clang and MSVC apply to C++17). */
  explicit taken(void *data) noexcept { std::memcpy(buf_, &data, sizeof(T)); }
  T &get() noexcept { return *std::launder(reinterpret_cast<T *>(buf_)); }

 private:
  alignas(T) unsigned char buf_[sizeof(T)];
};

inline const char *status_name(napi_status s) noexcept {
  switch (s) {
    case napi_ok: return "napi_ok";
    case napi_invalid_arg: return "napi_invalid_arg";
    case napi_object_expected: return "napi_object_expected";
    case napi_function_expected: return "napi_function_expected";
    case napi_generic_failure: return "napi_generic_failure";
    case napi_pending_exception: return "napi_pending_exception";
    case napi_cancelled: return "napi_cancelled";
    default: return "a napi_status";
  }
}

/* JS thread. Reports a failed C call (`what`) as a JS Error, unless an
   exception is pending already (the C API's own TypeError, usually):
   napi_invalid_arg gets code 'ERR_INVALID_ARG_VALUE', napi_generic_failure
   (out of memory) 'ERR_NAPI_TASK_OUT_OF_MEMORY'. A NULL env: nothing. */
inline void throw_status(napi_env env, napi_status status,
                         const char *what) noexcept {
  bool pending = false;
  char message[160];
  const char *code = nullptr;
  if (status == napi_invalid_arg) code = "ERR_INVALID_ARG_VALUE";
  if (status == napi_generic_failure) code = "ERR_NAPI_TASK_OUT_OF_MEMORY";
  if (env == nullptr || status == napi_ok ||
      napi_is_exception_pending(env, &pending) != napi_ok || pending)
    return;
  std::snprintf(message, sizeof(message), "%s failed: %s (%d)", what,
                status_name(status), static_cast<int>(status));
  napi_throw_error(env, code, message);
}

inline napi_task_output out_of_memory() noexcept {
  return napi_task_error("ERR_NAPI_TASK_OUT_OF_MEMORY",
                         "napi_task: out of memory");
}

inline bool is_undefined(napi_env env, napi_value v) noexcept {
  napi_valuetype type;
  return v != nullptr && napi_typeof(env, v, &type) == napi_ok &&
         type == napi_undefined;
}

/* JS thread. A std::string (heap-held) as a JS string, then deleted. */
inline napi_value string_complete(napi_env env, void *data) noexcept {
  std::string *s = static_cast<std::string *>(data);
  napi_value v = nullptr;
  if (napi_create_string_utf8(env, s->data(), s->size(), &v) != napi_ok)
    v = nullptr;
  delete s;
  return v;
}

template <class V>
void bytes_finalize(napi_env, void *, void *hint) noexcept {
  delete static_cast<V *>(hint);
}

/* JS thread. A heap-held byte container as a Buffer over its own bytes
   (deleted when the Buffer is collected); where the runtime refuses
   external buffers, a copy (deleted at once), as napi_task_ok_buffer. */
template <class V>
napi_value bytes_complete(napi_env env, void *data) noexcept {
  V *v = static_cast<V *>(data);
  void *copy;
  napi_value result = nullptr;
  if (napi_create_external_buffer(env, v->size(), v->data(),
                                  &bytes_finalize<V>, v, &result) == napi_ok)
    return result;
  if (napi_create_buffer_copy(env, v->size(), v->data(), &copy, &result) !=
      napi_ok)
    result = nullptr;
  delete v;
  return result;
}

template <class T>
struct is_byte_vector : std::false_type {};
template <class T, class A>
struct is_byte_vector<std::vector<T, A>>
    : std::bool_constant<sizeof(T) == 1 && std::is_trivially_copyable_v<T> &&
                         !std::is_same_v<T, bool>> {};

/* A complete callable: called once with the env on the JS thread, returns
   a napi_value (or anything convertible, such as a Napi::Value). */
template <class C, class = void>
struct is_complete : std::false_type {};
template <class C>
struct is_complete<C, std::enable_if_t<std::is_invocable_v<C &&, napi_env>>>
    : std::is_convertible<std::invoke_result_t<C &&, napi_env>, napi_value> {};

}  // namespace detail

/* ------------------------------------------------------------------------ */
/* Outputs: what perform returns, and what ctx.progress() takes             */
/* ------------------------------------------------------------------------ */
/* Perform may return any of these; ctx.progress() takes the same:
     napi_task_output     as is (the C constructors, or the ones below);
                          consumed, as in C, even passed as an lvalue;
     a complete callable  c(napi_env) -> napi_value or Napi::Value, called
                          on the JS thread (see ok() below);
     bool                 a JS boolean;
     an integer type      a JS number (64-bit unsigned through double);
     float, double        a JS number;
     std::string          a JS string (moved, not copied on the way);
     std::string_view     a JS string (copied; from perform, after it
                          returned: it must not view a local);
     const char *         ctx.progress() only: a JS string (copied at
                          once), null for NULL. From perform a char
                          pointer (or a char array) is a compile error
                          (see build): return std::string, or ok_string(p);
     a std::vector of a one-byte type   a Buffer over its own bytes;
     void (perform only)  undefined.
   Anything else is a compile error. Every function here may be called on
   any thread (perform included) and allocates at most one object. Out of
   memory, each returns an error output (code
   'ERR_NAPI_TASK_OUT_OF_MEMORY') and leaves its argument to its owner. */

/* `undefined`, a boolean, a number, as napi_task_ok_undefined, _bool,
   _double and _int64 (exact for |i| <= 2^53). */
inline napi_task_output ok_undefined() noexcept {
  return napi_task_ok_undefined();
}
inline napi_task_output ok_bool(bool b) noexcept {
  return napi_task_ok_bool(b);
}
inline napi_task_output ok_double(double d) noexcept {
  return napi_task_ok_double(d);
}
inline napi_task_output ok_int64(int64_t i) noexcept {
  return napi_task_ok_int64(i);
}

/* A JS string from UTF-8. Ownership: `s` moves into the output (no copy
   until the JS heap; embedded NULs are kept), and is destroyed once the
   string is made, or when the output is dropped. */
inline napi_task_output ok_string(std::string s) noexcept {
  std::string *p = new (std::nothrow) std::string(std::move(s));
  if (p == nullptr) return detail::out_of_memory();
  return napi_task_ok(&detail::string_complete, p,
                      &detail::slot<std::string>::destroy);
}

/* A JS string copied from NUL-terminated UTF-8; a NULL `s` gives `null`
   (as napi_task_ok_string). Borrows `s`. */
inline napi_task_output ok_string(const char *s) {
  if (s == nullptr) return napi_task_ok_string(nullptr, nullptr);
  return ok_string(std::string(s));
}

/* A Node Buffer over the bytes of `bytes`, without a copy. Ownership:
   `bytes` moves into the output; the Buffer keeps it until it is
   collected (then it is destroyed on the JS thread), or it is destroyed
   when the output is dropped. Where the runtime refuses external buffers
   the bytes are copied and `bytes` is destroyed at once. */
template <class T, class A>
napi_task_output ok_buffer(std::vector<T, A> bytes) noexcept {
  using V = std::vector<T, A>;
  static_assert(detail::is_byte_vector<V>::value,
                "ok_buffer: a vector of a one-byte type");
  if (bytes.empty()) return napi_task_ok_buffer(nullptr, 0, nullptr);
  V *p = new (std::nothrow) V(std::move(bytes));
  if (p == nullptr) return detail::out_of_memory();
  return napi_task_ok(&detail::bytes_complete<V>, p,
                      &detail::slot<V>::destroy);
}

/* The same, for the bytes of a std::string. */
inline napi_task_output ok_buffer(std::string bytes) noexcept {
  if (bytes.empty()) return napi_task_ok_buffer(nullptr, 0, nullptr);
  std::string *p = new (std::nothrow) std::string(std::move(bytes));
  if (p == nullptr) return detail::out_of_memory();
  return napi_task_ok(&detail::bytes_complete<std::string>, p,
                      &detail::slot<std::string>::destroy);
}

/* The task fails with an Error whose message is `message` (copied; it is
   not a format) and whose code is `code` (copied; NULL for none). Out of
   memory, the error has code 'ERR_NAPI_TASK_OUT_OF_MEMORY'. For a printf
   format, call napi_task_error itself. */
inline napi_task_output error(const char *code,
                              std::string_view message) noexcept {
  int n = message.size() > INT_MAX ? INT_MAX : static_cast<int>(message.size());
  return napi_task_error(code, "%.*s", n, n > 0 ? message.data() : "");
}

/* The task fails with a Node system error, exactly as napi_task_error_uv
   (`uv_err` negative, e.g. -errno; `syscall` and `path` copied, `path` may
   be NULL). */
inline napi_task_output error_uv(int uv_err, const char *syscall,
                                 const char *path = nullptr) noexcept {
  return napi_task_error_uv(uv_err, syscall, path);
}
inline napi_task_output error_uv(int uv_err, const char *syscall,
                                 const std::string &path) noexcept {
  return napi_task_error_uv(uv_err, syscall, path.c_str());
}

namespace detail {
inline namespace NAPI_TASK_CPP_MODE_ {

/* A type whose name differs by mode: defaulted template arguments of
   member templates carry it (see NAPI_TASK_CPP_MODE_). */
struct mode {};

#if NAPI_TASK_CPP_EXCEPTIONS
/* JS thread, inside a catch block: the exception being handled becomes the
   pending JS exception, unless one is pending already (that one wins). A
   Napi::Error is thrown as the JS value it carries. */
inline void rethrow_as_js(napi_env env) noexcept {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) != napi_ok || pending) return;
  try {
    throw;
#ifdef SRC_NAPI_H_
  } catch (const Napi::Error &e) {
    try {
      e.ThrowAsJavaScriptException();
    } catch (...) {
      /* napi_throw failed: the env is going away. */
    }
#endif
  } catch (const std::exception &e) {
    napi_throw_error(env, cpp_exception_code, e.what());
  } catch (...) {
    napi_throw_error(env, cpp_exception_code,
                     "a C++ exception that is not a std::exception");
  }
}
#endif

/* JS thread: the napi_task_complete of a complete callable C. Consumes
   data: the callable is destroyed right after its call. */
template <class C>
napi_value complete_fn(napi_env env, void *data) noexcept {
  taken<C> c(data);
#if NAPI_TASK_CPP_EXCEPTIONS
  try {
    return static_cast<napi_value>(std::move(c.get())(env));
  } catch (...) {
    rethrow_as_js(env);
  }
  return nullptr;
#else
  return static_cast<napi_value>(std::move(c.get())(env));
#endif
}

/* A complete callable as an output (see napi_task::ok). */
template <class C>
napi_task_output complete_output(C &&c) {
  using U = remove_cvref_t<C>;
  void *data = nullptr;
  if (!slot<U>::put(std::forward<C>(c), &data)) return out_of_memory();
  return napi_task_ok(&complete_fn<U>, data, slot<U>::drop());
}

/* Any thread: what perform returned, or a progress value, as an output. */
template <class T>
napi_task_output to_output(T &&v) {
  using U = remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, napi_task_output>) {
    return v;
  } else if constexpr (std::is_same_v<U, bool>) {
    return napi_task_ok_bool(v);
  } else if constexpr (std::is_integral_v<U>) {
    if constexpr (std::is_unsigned_v<U> && sizeof(U) >= sizeof(int64_t))
      return napi_task_ok_double(static_cast<double>(v));
    else
      return napi_task_ok_int64(static_cast<int64_t>(v));
  } else if constexpr (std::is_floating_point_v<U>) {
    return napi_task_ok_double(static_cast<double>(v));
  } else if constexpr (std::is_same_v<U, std::string>) {
    return ok_string(std::string(std::forward<T>(v)));
  } else if constexpr (std::is_same_v<U, std::string_view>) {
    return ok_string(std::string(v));
  } else if constexpr (std::is_convertible_v<T &&, const char *>) {
    return ok_string(static_cast<const char *>(v));
  } else if constexpr (is_byte_vector<U>::value) {
    return ok_buffer(U(std::forward<T>(v)));
  } else if constexpr (is_complete<U>::value) {
    return complete_output(std::forward<T>(v));
  } else {
    static_assert(always_false<U>,
                  "napi_task: perform must return (and ctx.progress take) a "
                  "napi_task_output, bool, a number, std::string, "
                  "std::string_view, const char * (ctx.progress only), a "
                  "std::vector of bytes, or a callable (napi_env) -> "
                  "napi_value");
    return napi_task_ok_undefined();
  }
}

}  // namespace NAPI_TASK_CPP_MODE_
}  // namespace detail

/* Any thread. A complete callable as an output: `c(env)` runs on the JS
   thread and returns the task's value (a napi_value, or a Napi::Value),
   or nullptr / an empty value with a pending JS exception, which becomes
   the task's error (nullptr with none pending: 'ERR_NAPI_TASK_NO_VALUE').
   A C++ exception it throws becomes the task's error too (see the top of
   this file). Ownership: `c` moves into the output; it is called once and
   destroyed right after, on the JS thread, or destroyed unused when the
   task is aborted or its env goes away, on any thread. Returning such a
   callable from perform does the same. */
template <class C, class M = detail::mode>
napi_task_output ok(C &&c) {
  static_assert(detail::is_complete<detail::remove_cvref_t<C>>::value,
                "napi_task::ok: a callable (napi_env) -> napi_value");
  return detail::complete_output(std::forward<C>(c));
}

/* ------------------------------------------------------------------------ */
/* From inside perform (threadpool)                                         */
/* ------------------------------------------------------------------------ */

/* What ctx.call_js() returns: fn's answer, or why there is none.
   status() is napi_ok when fn ran and returned normally with no JS
   exception pending; then the value is there. Otherwise it is one of
   napi_task_call_js's failures and there is no value:
     napi_pending_exception  fn threw (a JS exception, or a C++ one, which
                             was made a JS exception) or left one pending;
                             it becomes the task's error unless perform
                             returns an error output;
     napi_cancelled          fn did not run (the task was aborted, or the
                             env or the process is going away);
     any other status        a fn returning napi_status returned it.
   Thread: the perform that asked. Reading the value of a result that is
   not ok() is undefined behaviour, as with std::optional. */
template <class T>
class js_result {
 public:
  js_result(napi_status status, std::optional<T> value)
      : status_(status), value_(std::move(value)) {}
  napi_status status() const noexcept { return status_; }
  bool ok() const noexcept { return status_ == napi_ok && value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  T &operator*() & noexcept { return *value_; }
  const T &operator*() const & noexcept { return *value_; }
  T &&operator*() && noexcept { return std::move(*value_); }
  T *operator->() noexcept { return &*value_; }
  const T *operator->() const noexcept { return &*value_; }
  template <class U>
  T value_or(U &&fallback) const & {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  napi_status status_;
  std::optional<T> value_;
};

/* For a fn that returns nothing, or returns a napi_status (which is then
   the status, as with a C napi_task_js_fn). */
template <>
class js_result<void> {
 public:
  explicit js_result(napi_status status) noexcept : status_(status) {}
  napi_status status() const noexcept { return status_; }
  bool ok() const noexcept { return status_ == napi_ok; }
  explicit operator bool() const noexcept { return ok(); }

 private:
  napi_status status_;
};

namespace detail {

/* What call_js keeps from fn's return type R: nothing for void and
   napi_status, else R by value. */
template <class R>
using js_answer_t =
    std::conditional_t<std::is_void_v<R> ||
                           std::is_same_v<remove_cvref_t<R>, napi_status>,
                       void, remove_cvref_t<R>>;

/* One call_js request, on perform's stack; the JS thread borrows it. */
template <class Fn, class A>
struct js_call {
  Fn *fn;
  std::optional<A> *answer;
};
template <class Fn>
struct js_call<Fn, void> {
  Fn *fn;
};

inline namespace NAPI_TASK_CPP_MODE_ {

template <class Fn, class A>
napi_status js_body(napi_env env, js_call<Fn, A> *call) {
  using R = std::invoke_result_t<Fn &, napi_env>;
  if constexpr (std::is_same_v<remove_cvref_t<R>, napi_status>) {
    return (*call->fn)(env);
  } else if constexpr (std::is_void_v<R>) {
    (*call->fn)(env);
    return napi_ok;
  } else {
    call->answer->emplace((*call->fn)(env));
    return napi_ok;
  }
}

/* JS thread: the napi_task_js_fn of a call_js request. */
template <class Fn, class A>
napi_status js_fn(napi_env env, void *data) noexcept {
  js_call<Fn, A> *call = static_cast<js_call<Fn, A> *>(data);
#if NAPI_TASK_CPP_EXCEPTIONS
  try {
    return js_body(env, call);
  } catch (...) {
    rethrow_as_js(env);
  }
  return napi_pending_exception;
#else
  return js_body(env, call);
#endif
}

}  // namespace NAPI_TASK_CPP_MODE_
}  // namespace detail

/* The running task, as perform sees it (napi_task_ctx). Valid until
   perform returns; cheap to copy. Thread: the perform that received it. */
class ctx {
 public:
  explicit ctx(napi_task_ctx c) noexcept : c_(c) {}

  /* Any thread while perform runs. True once the task's signal aborted or
     its env is going away: perform should return soon (its output will be
     dropped). As napi_task_cancelled. */
  bool cancelled() const noexcept { return napi_task_cancelled(c_); }

  /* Threadpool, from perform. Reports a progress value: anything perform
     may return (see "Outputs"), converted on the JS thread and passed to
     the task's on_progress. Ownership: `value` is moved (or copied, for an
     lvalue) into the report, and delivered or destroyed exactly once.
     Returns what napi_task_progress returns: napi_ok (also without an
     on_progress: the value is destroyed), napi_cancelled when the task is
     cancelled (destroyed), napi_generic_failure when out of memory. Out of
     memory while making the value itself, an Error (code
     'ERR_NAPI_TASK_OUT_OF_MEMORY') is reported in its place. */
  template <class T, class M = detail::mode>
  napi_status progress(T &&value) const {
    return napi_task_progress(c_, detail::to_output(std::forward<T>(value)));
  }

  /* Threadpool, from perform. Runs fn(env) on the JS thread (in a handle
     scope, in the task's async context) and waits for it, as
     napi_task_call_js. fn is a callable taking a napi_env (or a
     Napi::Env); it is borrowed, so it may capture perform's locals by
     reference. Its return value is the answer, moved back to perform:
     a C++ value, never a JS one (napi_value and Napi::Value are a compile
     error: handles die with the call's scope). A fn returning napi_status
     returns the call's status, as a C napi_task_js_fn.
     Returns js_result<R> (js_result<void> for void and napi_status):
     see js_result for every status. A JS exception fn throws or leaves
     pending, and a C++ exception it throws (made a JS exception, see the
     top of this file), becomes the task's error unless perform returns an
     error output. */
  template <class Fn, class M = detail::mode>
  auto call_js(Fn &&fn) const {
    using F = std::remove_reference_t<Fn>;
    static_assert(std::is_invocable_v<F &, napi_env>,
                  "ctx.call_js: fn must be callable as fn(napi_env)");
    using R = std::invoke_result_t<F &, napi_env>;
    using A = detail::js_answer_t<R>;
    static_assert(std::is_void_v<A> || !std::is_convertible_v<A, napi_value>,
                  "ctx.call_js: return a C++ value; a JS value cannot leave "
                  "the JS thread");
    if constexpr (std::is_void_v<A>) {
      detail::js_call<F, void> call{std::addressof(fn)};
      return js_result<void>(
          napi_task_call_js(c_, &detail::js_fn<F, void>, &call));
    } else {
      std::optional<A> answer;
      detail::js_call<F, A> call{std::addressof(fn), &answer};
      napi_status s = napi_task_call_js(c_, &detail::js_fn<F, A>, &call);
      if (s != napi_ok) answer.reset();
      return js_result<A>(s, std::move(answer));
    }
  }

  /* The C handle, for the C functions of "From inside perform". */
  napi_task_ctx get() const noexcept { return c_; }

 private:
  napi_task_ctx c_;
};

namespace detail {
inline namespace NAPI_TASK_CPP_MODE_ {

template <class F>
napi_task_output perform_body(F &f, napi_task_ctx c) {
  ctx cx(c);
  if constexpr (std::is_invocable_v<F &&, ctx &>) {
    if constexpr (std::is_void_v<std::invoke_result_t<F &&, ctx &>>) {
      std::move(f)(cx);
      return napi_task_ok_undefined();
    } else {
      return to_output(std::move(f)(cx));
    }
  } else {
    if constexpr (std::is_void_v<std::invoke_result_t<F &&>>) {
      std::move(f)();
      return napi_task_ok_undefined();
    } else {
      return to_output(std::move(f)());
    }
  }
}

/* Threadpool: the napi_task_perform of a perform callable F. Consumes
   data: F is called once, then destroyed (with its captures) here. */
template <class F>
napi_task_output perform_fn(napi_task_ctx c, void *data) noexcept {
  taken<F> f(data);
#if NAPI_TASK_CPP_EXCEPTIONS
  try {
    return perform_body(f.get(), c);
#ifdef SRC_NAPI_H_
  } catch (const Napi::Error &) {
    /* Only a Node-API call makes one, and perform must make none; its
       what() would make another. */
    return napi_task_error(cpp_exception_code, "%s",
                           "a Napi::Error thrown on the threadpool");
#endif
  } catch (const std::exception &e) {
    return napi_task_error(cpp_exception_code, "%s", e.what());
  } catch (...) {
    return napi_task_error(cpp_exception_code, "%s",
                           "a C++ exception that is not a std::exception");
  }
#else
  return perform_body(f.get(), c);
#endif
}

}  // namespace NAPI_TASK_CPP_MODE_
}  // namespace detail

/* ------------------------------------------------------------------------ */
/* Queues (JS thread)                                                       */
/* ------------------------------------------------------------------------ */

/* Owns a napi_task_queue: at most `max_running` of its tasks occupy
   threadpool threads at once, the rest wait in FIFO order (see
   napi_task.h, "Queues"). Move-only.
   Thread: JS, every member. Destroy it on the JS thread of its env (an
   instance-data finalizer is the usual place): the destructor calls
   napi_task_queue_release. Tasks already in the queue still run and
   settle; a queue whose env went away is freed without touching it. */
class queue {
 public:
  /* No queue: get() is NULL and status() napi_invalid_arg. */
  queue() noexcept = default;

  /* Creates a queue. On failure (NULL env, `max_running` 0: napi_invalid_arg;
     out of memory: napi_generic_failure) the object holds none, status()
     says why, and a JS Error is pending (code 'ERR_INVALID_ARG_VALUE' or
     'ERR_NAPI_TASK_OUT_OF_MEMORY'; none for a NULL env). Throws no C++
     exception, so it may be a member built at module init. */
  queue(napi_env env, uint32_t max_running) noexcept {
    status_ = napi_task_queue_create(env, max_running, &q_);
    if (status_ != napi_ok) {
      q_ = nullptr;
      detail::throw_status(env, status_, "napi_task_queue_create");
    }
  }

  /* Takes over a queue made with napi_task_queue_create. */
  explicit queue(napi_task_queue adopt) noexcept
      : q_(adopt), status_(adopt != nullptr ? napi_ok : napi_invalid_arg) {}

  queue(queue &&o) noexcept
      : q_(std::exchange(o.q_, nullptr)),
        status_(std::exchange(o.status_, napi_invalid_arg)) {}
  queue &operator=(queue &&o) noexcept {
    if (this != &o) {
      reset();
      q_ = std::exchange(o.q_, nullptr);
      status_ = std::exchange(o.status_, napi_invalid_arg);
    }
    return *this;
  }
  queue(const queue &) = delete;
  queue &operator=(const queue &) = delete;
  ~queue() { reset(); }

  /* The C handle (NULL when none), for napi_task_set_queue. */
  napi_task_queue get() const noexcept { return q_; }
  /* napi_ok when a queue was made, else why not. */
  napi_status status() const noexcept { return status_; }
  explicit operator bool() const noexcept { return q_ != nullptr; }

  /* Releases the queue now (napi_task_queue_release); afterwards the
     object holds none. Returns napi_task_queue_release's status, or
     napi_ok when it held none. */
  napi_status reset() noexcept {
    napi_task_queue q = std::exchange(q_, nullptr);
    status_ = napi_invalid_arg;
    return q != nullptr ? napi_task_queue_release(q) : napi_ok;
  }

  /* Gives up ownership: returns the handle, which the caller must pass to
     napi_task_queue_release. */
  [[nodiscard]] napi_task_queue detach() noexcept {
    status_ = napi_invalid_arg;
    return std::exchange(q_, nullptr);
  }

 private:
  napi_task_queue q_ = nullptr;
  napi_status status_ = napi_invalid_arg;
};

/* ------------------------------------------------------------------------ */
/* The builder (JS thread)                                                  */
/* ------------------------------------------------------------------------ */

template <class Api>
class basic_builder;

namespace detail {

/* build() makes failed builders through this. */
struct builder_access {
  template <class Api>
  static basic_builder<Api> failed(napi_env env, napi_status s) noexcept {
    return basic_builder<Api>(env, s);
  }
};

/* Plain Node-API: napi_value out, a pending JS exception on failure. */
struct plain_api {
  using value_type = napi_value;
  using promise_type = napi_value;
  static napi_value value(napi_env, napi_value v) noexcept { return v; }
  static napi_value promise(napi_env, napi_value v) noexcept { return v; }
  static void report(napi_env env, napi_status s, const char *what) {
    throw_status(env, s, what);
  }
};

#ifdef SRC_NAPI_H_
inline namespace NAPI_TASK_CPP_MODE_ {
/* node-addon-api: Napi::Value and Napi::Promise out; on failure a thrown
   Napi::Error (NAPI_CPP_EXCEPTIONS) or a pending exception and an empty
   value (NAPI_DISABLE_CPP_EXCEPTIONS). */
struct naa_api {
  using value_type = Napi::Value;
  using promise_type = Napi::Promise;
  static Napi::Value value(napi_env env, napi_value v) {
    return v != nullptr ? Napi::Value(env, v) : Napi::Value();
  }
  /* An empty Promise without Napi::Promise(), which node-addon-api has
     only from 8.5.0 on (docs/cpp.md: 7.0.0 and up are supported). */
  static Napi::Promise promise(napi_env env, napi_value v) {
    return Napi::Promise(env, v);
  }
  static void report(napi_env env, napi_status s, const char *what) {
    throw_status(env, s, what);
#if NAPI_TASK_NAA_THROWS_
    if (env != nullptr) throw Napi::Error::New(env);
#endif
  }
};
}  // namespace NAPI_TASK_CPP_MODE_
#endif  // SRC_NAPI_H_

}  // namespace detail

/* A built, undelivered task: what build() returns. Set options with the
   chainable setters, then deliver it with schedule() or promise().
   Move-only. Thread: JS, every member.

   Ownership: the builder owns the task, and so perform and its captures.
   A delivery hands the task to napi-task. A builder destroyed (or
   assigned to) while it still holds a task discards it
   (napi_task_discard): perform never runs, its captures are destroyed
   once, nothing settles.

   Failure: the first failing call (build, a setter, a delivery) records
   its status (status()), and a JS exception is pending: the C API's own
   (a TypeError with code 'ERR_INVALID_ARG_TYPE' for a callback, signal or
   on_progress of the wrong type) or, where the C API throws none, an Error
   made here (code 'ERR_INVALID_ARG_VALUE' for napi_invalid_arg,
   'ERR_NAPI_TASK_OUT_OF_MEMORY' for napi_generic_failure). The
   node-addon-api builder under NAPI_CPP_EXCEPTIONS throws that exception
   as a Napi::Error instead. After a failure every setter does nothing and
   a delivery discards the task and returns nullptr (an empty value), so a
   function may end with `return build(...)...promise();` and the caller
   gets the exception. */
template <class Api>
class basic_builder {
 public:
  using value_type = typename Api::value_type;
  using promise_type = typename Api::promise_type;

  /* Holds no task; a delivery fails with napi_invalid_arg. */
  basic_builder() noexcept = default;

  /* Adopts a task built with napi_task_build in env (NULL: holds none,
     and a delivery fails with napi_invalid_arg). */
  basic_builder(napi_env env, handle task) noexcept
      : env_(env), task_(task) {}

  basic_builder(basic_builder &&o) noexcept
      : env_(o.env_),
        task_(std::exchange(o.task_, nullptr)),
        status_(o.status_) {}
  basic_builder &operator=(basic_builder &&o) noexcept {
    if (this != &o) {
      discard();
      env_ = o.env_;
      task_ = std::exchange(o.task_, nullptr);
      status_ = o.status_;
    }
    return *this;
  }
  basic_builder(const basic_builder &) = delete;
  basic_builder &operator=(const basic_builder &) = delete;
  ~basic_builder() { napi_task_discard(task_); }

  /* The async_hooks resource type of the task (napi_task_set_name);
     copied. */
  basic_builder &name(const char *n) & {
    if (usable()) check(napi_task_set_name(task_, n), "napi_task_set_name");
    return *this;
  }
  basic_builder name(const char *n) && { return std::move(name(n)); }
  basic_builder &name(const std::string &n) & { return name(n.c_str()); }
  basic_builder name(const std::string &n) && {
    return std::move(name(n.c_str()));
  }

  /* An AbortSignal that cancels the task (napi_task_set_signal: a queued
     task never runs; a running one sees ctx.cancelled()). `undefined`
     means no signal, as in Node's own options; anything else that is not
     an AbortSignal, null included, is a TypeError. */
  basic_builder &signal(napi_value s) & {
    if (usable() && !detail::is_undefined(env_, s))
      check(napi_task_set_signal(task_, s), "napi_task_set_signal");
    return *this;
  }
  basic_builder signal(napi_value s) && { return std::move(signal(s)); }

  /* A function called as on_progress(value) on the JS thread for each
     ctx.progress() value (napi_task_set_progress): every value in order
     (progress_mode::queue, alias napi_task::every: the default) or only
     the newest pending one (napi_task::coalesce). `undefined` means none;
     anything else that is not a function is a TypeError. */
  basic_builder &progress(napi_value on_progress,
                          progress_mode mode = progress_mode::queue) & {
    if (usable() && !detail::is_undefined(env_, on_progress))
      check(napi_task_set_progress(task_, on_progress,
                                   static_cast<napi_task_progress_mode>(
                                       static_cast<int>(mode))),
            "napi_task_set_progress");
    return *this;
  }
  basic_builder progress(napi_value on_progress,
                         progress_mode mode = progress_mode::queue) && {
    return std::move(progress(on_progress, mode));
  }
  /* The same with the C mode (NAPI_TASK_PROGRESS_QUEUE, _COALESCE). */
  basic_builder &progress(napi_value on_progress,
                          napi_task_progress_mode mode) & {
    return progress(on_progress, static_cast<progress_mode>(mode));
  }
  basic_builder progress(napi_value on_progress,
                         napi_task_progress_mode mode) && {
    return std::move(progress(on_progress, static_cast<progress_mode>(mode)));
  }

  /* Runs the task in a queue of the same env (napi_task_set_queue). An
     empty queue, a released one or one of another env: napi_invalid_arg. */
  basic_builder &queue(napi_task_queue q) & {
    if (usable()) check(napi_task_set_queue(task_, q), "napi_task_set_queue");
    return *this;
  }
  basic_builder queue(napi_task_queue q) && { return std::move(queue(q)); }
  basic_builder &queue(const napi_task::queue &q) & { return queue(q.get()); }
  basic_builder queue(const napi_task::queue &q) && {
    return std::move(queue(q.get()));
  }

  /* Delivers the task node-style: callback(err, value), never inside this
     call (napi_task_schedule). Consumes the task. Returns `undefined`, so
     an addon function can return it; nullptr (an empty value) on failure
     (callback not a function: a TypeError with code
     'ERR_INVALID_ARG_TYPE'; perform never runs, its captures are
     destroyed once). */
  value_type schedule(napi_value callback) {
    napi_value result = nullptr;
    if (!usable()) return Api::value(env_, fail_delivery());
    if (!check(napi_task_schedule(std::exchange(task_, nullptr), callback,
                                  &result),
               "napi_task_schedule"))
      return Api::value(env_, nullptr);
    return Api::value(env_, result);
  }

  /* Delivers the task as a Promise that resolves with its value or rejects
     with its error (napi_task_promise). Consumes the task. Returns the
     promise; nullptr (an empty value) on failure. */
  promise_type promise() {
    napi_value result = nullptr;
    if (!usable()) return Api::promise(env_, fail_delivery());
    if (!check(napi_task_promise(std::exchange(task_, nullptr), &result),
               "napi_task_promise"))
      return Api::promise(env_, nullptr);
    return Api::promise(env_, result);
  }

  /* Discards the task now (napi_task_discard): perform never runs, its
     captures are destroyed once. Nothing held: no-op. */
  void discard() noexcept { napi_task_discard(std::exchange(task_, nullptr)); }

  /* Gives up ownership: returns the C handle (NULL when none), which the
     caller must deliver or discard with the C API. */
  [[nodiscard]] handle release() noexcept {
    return std::exchange(task_, nullptr);
  }

  /* The C handle, still owned by the builder (for the C option setters). */
  handle get() const noexcept { return task_; }
  napi_env env() const noexcept { return env_; }

  /* napi_ok, or the first failure (see above). */
  napi_status status() const noexcept { return status_; }

  /* True while the builder holds a task it can still deliver. */
  explicit operator bool() const noexcept { return usable(); }

 private:
  friend struct detail::builder_access;

  /* A builder whose build failed with `failed` (reported already). */
  basic_builder(napi_env env, napi_status failed) noexcept
      : env_(env), status_(failed) {}

  bool usable() const noexcept {
    return task_ != nullptr && status_ == napi_ok;
  }

  /* Records and reports a failure; true when `s` is napi_ok. */
  bool check(napi_status s, const char *what) {
    if (s == napi_ok) return true;
    if (status_ == napi_ok) status_ = s;
    Api::report(env_, s, what);
    return false;
  }

  /* A delivery on a builder that failed earlier (reported then) or holds
     no task (delivered already, moved from, adopted NULL, default-made:
     reported now). */
  napi_value fail_delivery() {
    discard();
    if (status_ == napi_ok)
      check(napi_invalid_arg,
            "delivering a napi_task::builder that holds no task (delivered "
            "already, moved from, or never built)");
    return nullptr;
  }

  napi_env env_ = nullptr;
  handle task_ = nullptr;
  napi_status status_ = napi_ok; /* the first failure */
};

/* The builder of plain Node-API code: delivers napi_value. */
using builder = basic_builder<detail::plain_api>;

#ifdef SRC_NAPI_H_
/* The builder of node-addon-api code: delivers Napi::Value and
   Napi::Promise. */
using naa_builder = basic_builder<detail::naa_api>;
#endif

namespace detail {
inline namespace NAPI_TASK_CPP_MODE_ {

/* A raw char pointer, or a char array (which decays to one). */
template <class R>
constexpr bool is_char_pointer_v =
    std::is_pointer_v<std::decay_t<R>> &&
    std::is_same_v<std::remove_cv_t<std::remove_pointer_t<std::decay_t<R>>>,
                   char>;

/* Whether perform returns one (false when it is not callable at all:
   build_as says that). */
template <class U>
constexpr bool returns_char_pointer() {
  if constexpr (std::is_invocable_v<U &&, ctx &>)
    return is_char_pointer_v<std::invoke_result_t<U &&, ctx &>>;
  else if constexpr (std::is_invocable_v<U &&>)
    return is_char_pointer_v<std::invoke_result_t<U &&>>;
  else
    return false;
}

template <class Api, class F>
basic_builder<Api> build_as(napi_env env, F &&perform) {
  using U = remove_cvref_t<F>;
  static_assert(std::is_invocable_v<U &&, ctx &> || std::is_invocable_v<U &&>,
                "napi_task::build: perform must be callable as "
                "perform(napi_task::ctx) or perform()");
  /* Its characters would be read after perform returned: a local array's
     are gone by then (GCC returns null for one), and so are those of a
     std::string's c_str(). */
  static_assert(!returns_char_pointer<U>(),
                "napi_task::build: perform returns a char pointer (const "
                "char *, char * or a char array), and what it points to may "
                "be gone once perform returns. Return a std::string instead, "
                "or napi_task::ok_string(p), which copies the characters "
                "while perform still runs");
  static_assert(std::is_constructible_v<U, F &&>,
                "napi_task::build: perform must be movable (pass an rvalue "
                "for a move-only callable)");
  handle task = nullptr;
  void *data = nullptr;
  napi_status s;
  if (!slot<U>::put(std::forward<F>(perform), &data)) {
    s = napi_generic_failure; /* perform was not touched: its owner frees it */
  } else {
    /* From here the task owns perform: on failure the C call drops it. */
    s = napi_task_build(env, &perform_fn<U>, data, slot<U>::drop(), &task);
  }
  if (s != napi_ok) {
    Api::report(env, s, "napi_task_build");
    return builder_access::failed<Api>(env, s);
  }
  return basic_builder<Api>(env, task);
}

}  // namespace NAPI_TASK_CPP_MODE_
}  // namespace detail

/* JS thread. Builds a task that runs `perform` on the threadpool once
   delivered.
   [in] env      the env of the call (a Napi::Env picks the overload below).
   [in] perform  any callable, move-only included, taking a napi_task::ctx
                 (or nothing) and returning what "Outputs" lists (void:
                 undefined). It must not call Node-API.
   Ownership: `perform` is moved (an lvalue: copied) into the task. It is
   called once on the threadpool and destroyed there right after, with its
   captures; or, if it never runs (abort, teardown, a failed delivery, a
   builder destroyed undelivered), destroyed once on whichever thread drops
   the task. A C++ exception it throws becomes the task's error.
   Returns the builder. On failure (NULL env: napi_invalid_arg; out of
   memory: napi_generic_failure) perform has been destroyed (or, out of
   memory before the move, left to its owner), the builder holds no task
   and reports as described at basic_builder. */
template <class F, class M = detail::mode>
builder build(napi_env env, F &&perform) {
  return detail::build_as<detail::plain_api>(env, std::forward<F>(perform));
}

#ifdef SRC_NAPI_H_
/* JS thread. The same, for node-addon-api code: the builder delivers
   Napi::Value / Napi::Promise, and a failure throws a Napi::Error under
   NAPI_CPP_EXCEPTIONS (here already, when building fails). */
template <class F, class M = detail::mode>
naa_builder build(Napi::Env env, F &&perform) {
  return detail::build_as<detail::naa_api>(env, std::forward<F>(perform));
}
#endif  // SRC_NAPI_H_

}  // namespace napi_task

#endif  /* NAPI_TASK_HPP_ */
