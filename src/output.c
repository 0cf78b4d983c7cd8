/*
 * Outputs: the error constructors (any thread), making an output a JS value
 * or error (JS thread), and every drop of what a task owns (on whichever
 * thread owns it then). Calls errors.c.
 */
#include <stdarg.h>
#include "internal.h"

#include <stdio.h>

/* The payload of an error output, one allocation with its strings after
   it. A NULL payload means "out of memory while making the error". */
typedef struct nt_err {
  int uv_err;        /* < 0: a system error made by napi_task_error_uv */
  const char *code;  /* NULL for none */
  const char *message;
  const char *syscall;
  const char *path;  /* NULL for none */
} nt_err;

static napi_task_output error_output(nt_err *err) {
  napi_task_output o = {0};
  o.kind_ = NAPI_TASK_OUT_ERROR_;
  o.data_ = err;
  o.drop_ = free;
  return o;
}

/* Copies `s` (may be NULL) to *cursor and advances it. */
static const char *put(char **cursor, const char *s, size_t len) {
  char *at = *cursor;
  if (s == NULL) return NULL;
  memcpy(at, s, len);
  at[len] = '\0';
  *cursor += len + 1;
  return at;
}

napi_task_output napi_task_error(const char *code, const char *fmt, ...) {
  va_list ap;
  int n;
  size_t code_len = code != NULL ? strlen(code) : 0;
  nt_err *err;
  char *cursor;

  if (fmt == NULL) fmt = "";
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  err = nt_malloc(sizeof(*err) + code_len + 1 + (size_t)n + 1);
  if (err == NULL) return error_output(NULL);
  cursor = (char *)(err + 1);
  err->uv_err = 0;
  err->code = put(&cursor, code, code_len);
  err->message = cursor;
  va_start(ap, fmt);
  vsnprintf(cursor, (size_t)n + 1, fmt, ap);
  va_end(ap);
  err->syscall = NULL;
  err->path = NULL;
  return error_output(err);
}

napi_task_output napi_task_error_uv(int uv_err, const char *syscall,
                                    const char *path) {
  size_t s_len, p_len;
  nt_err *err;
  char *cursor;

  if (uv_err >= 0) {
    return napi_task_error(nt_error_code_string(NT_ERR_INVALID_ARG_VALUE),
                           "napi_task_error_uv: uv_err must be a negative "
                           "libuv error code, got %d",
                           uv_err);
  }
  if (syscall == NULL) syscall = "";
  s_len = strlen(syscall);
  p_len = path != NULL ? strlen(path) : 0;
  err = nt_malloc(sizeof(*err) + s_len + 1 + p_len + 1);
  if (err == NULL) return error_output(NULL);
  cursor = (char *)(err + 1);
  err->uv_err = uv_err;
  err->code = NULL;
  err->message = NULL;
  err->syscall = put(&cursor, syscall, s_len);
  err->path = put(&cursor, path, p_len);
  return error_output(err);
}

void nt_output_drop(napi_task_output *out) {
  switch (out->kind_) {
    case NAPI_TASK_OUT_STRING_:
    case NAPI_TASK_OUT_BUFFER_:
    case NAPI_TASK_OUT_COMPLETE_:
    case NAPI_TASK_OUT_ERROR_:
      if (out->drop_ != NULL && out->data_ != NULL) out->drop_(out->data_);
      break;
    default:
      break;
  }
  out->kind_ = NAPI_TASK_OUT_UNDEFINED_;
  out->data_ = NULL;
}

bool nt_output_is_error(const napi_task_output *out) {
  return out->kind_ == NAPI_TASK_OUT_ERROR_ ||
         (out->kind_ == NAPI_TASK_OUT_COMPLETE_ && out->complete_ == NULL);
}

void nt_progress_free(nt_progress_item *item) {
  while (item != NULL) {
    nt_progress_item *next = item->next;
    nt_output_drop(&item->value);
    free(item);
    item = next;
  }
}

void nt_task_drop_data(napi_task t) {
  if (t->data != NULL && t->drop != NULL) t->drop(t->data);
  memset(&t->output, 0, sizeof(t->output)); /* both views: nothing owned */
}

/* uv_err_name and uv_strerror, from uv.h's table at compile time: Bun and
   Deno have neither (docs/decisions.md, D19). Unknown codes read as libuv's. */
static const char *uv_error_name(int uv_err, const char **desc) {
  switch (uv_err) {
#define NT_UV_ERROR(name, text) \
  case UV_##name:               \
    *desc = text;               \
    return #name;
    UV_ERRNO_MAP(NT_UV_ERROR)
#undef NT_UV_ERROR
    default:
      *desc = NULL;
      return NULL;
  }
}

/* Node's system error: message "CODE: description, syscall 'path'", own
   properties errno, code, syscall and path, in that order (as fs). */
static napi_value uv_error_to_js(napi_env env, const nt_err *e) {
  char unknown[48];
  const char *desc;
  const char *code = uv_error_name(e->uv_err, &desc);
  size_t n;
  char *msg;
  napi_value err, v;

  if (code == NULL) {
    snprintf(unknown, sizeof(unknown), "Unknown system error %d", e->uv_err);
    code = desc = unknown;
  }
  n = strlen(code) + strlen(desc) + strlen(e->syscall) +
      (e->path != NULL ? strlen(e->path) : 0) + 16;
  msg = nt_malloc(n);
  if (msg == NULL) return NULL;
  if (e->path != NULL)
    snprintf(msg, n, "%s: %s, %s '%s'", code, desc, e->syscall, e->path);
  else
    snprintf(msg, n, "%s: %s, %s", code, desc, e->syscall);
  err = nt_make_error(env, NULL, msg);
  free(msg);
  if (err == NULL) return NULL;
  if (napi_create_int32(env, e->uv_err, &v) == napi_ok)
    napi_set_named_property(env, err, "errno", v);
  if (napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property(env, err, "code", v);
  if (napi_create_string_utf8(env, e->syscall, NAPI_AUTO_LENGTH, &v) ==
      napi_ok)
    napi_set_named_property(env, err, "syscall", v);
  if (e->path != NULL &&
      napi_create_string_utf8(env, e->path, NAPI_AUTO_LENGTH, &v) == napi_ok)
    napi_set_named_property(env, err, "path", v);
  return err;
}

static void finalize_buffer(napi_env env, void *bytes, void *hint) {
  napi_task_drop drop = (napi_task_drop)(uintptr_t)hint;
  (void)env;
  if (drop != NULL) drop(bytes);
}

static napi_status make_value(napi_env env, napi_task_output *out,
                              napi_value *value) {
  void *data = out->data_, *bytes;
  napi_task_drop drop = out->drop_;
  napi_status s;

  switch (out->kind_) {
    case NAPI_TASK_OUT_UNDEFINED_:
      return napi_get_undefined(env, value);
    case NAPI_TASK_OUT_BOOL_:
      return napi_get_boolean(env, out->value_.b, value);
    case NAPI_TASK_OUT_DOUBLE_:
      return napi_create_double(env, out->value_.d, value);
    case NAPI_TASK_OUT_INT64_:
      return napi_create_int64(env, out->value_.i, value);
    case NAPI_TASK_OUT_STRING_:
      if (data == NULL) return napi_get_null(env, value);
      s = napi_create_string_utf8(env, data, NAPI_AUTO_LENGTH, value);
      if (drop != NULL) drop(data);
      return s;
    case NAPI_TASK_OUT_BUFFER_:
      if (out->len_ == 0 || data == NULL) {
        s = napi_create_buffer(env, 0, &bytes, value);
        if (drop != NULL && data != NULL) drop(data);
        return s;
      }
      s = napi_create_external_buffer(env, out->len_, data, finalize_buffer,
                                      (void *)(uintptr_t)drop, value);
      if (s == napi_ok) return s;
      /* The runtime refuses external buffers (or failed): copy. */
      s = napi_create_buffer_copy(env, out->len_, data, &bytes, value);
      if (drop != NULL) drop(data);
      return s;
    default:
      return napi_invalid_arg;
  }
}

bool nt_output_to_js(napi_env env, napi_task_output *out, napi_value *value,
                     napi_value *error) {
  napi_task_output o = *out;
  const nt_err *e;

  out->kind_ = NAPI_TASK_OUT_UNDEFINED_; /* consumed from here on */
  out->data_ = NULL;
  *value = NULL;
  *error = NULL;

  if (o.kind_ == NAPI_TASK_OUT_ERROR_) {
    e = o.data_;
    if (e == NULL)
      *error = nt_make_error(env, nt_error_code_string(NT_ERR_OUT_OF_MEMORY),
                             "napi_task: out of memory while making an error");
    else if (e->uv_err < 0)
      *error = uv_error_to_js(env, e);
    else
      *error = nt_make_error(env, e->code, e->message);
    free(o.data_);
  } else if (o.kind_ == NAPI_TASK_OUT_COMPLETE_) {
    if (o.complete_ == NULL) {
      if (o.drop_ != NULL && o.data_ != NULL) o.drop_(o.data_);
      *error = nt_make_error(
          env, nt_error_code_string(NT_ERR_INVALID_ARG_VALUE),
          "napi_task_ok() was given a NULL complete function");
    } else {
      *value = o.complete_(env, o.data_);
      if (nt_take_exception(env, error)) {
        *value = NULL;
      } else if (*value == NULL) {
        *error = nt_make_error(env, nt_error_code_string(NT_ERR_NO_VALUE),
                               "complete returned NULL without throwing");
      }
    }
  } else if (make_value(env, &o, value) != napi_ok) {
    *value = NULL;
    if (!nt_take_exception(env, error))
      *error = nt_make_error(env, nt_error_code_string(NT_ERR_OUTPUT),
                             "napi_task: could not convert the output");
  }
  if (*error != NULL) return false;
  if (*value == NULL) {
    /* Making the error itself failed: report something rather than hang. */
    napi_get_undefined(env, value);
  }
  return true;
}
