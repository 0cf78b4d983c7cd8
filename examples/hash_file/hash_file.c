/* hash_file: the SHA-256 of a file, read and hashed on the threadpool.
 *
 *   hashFile(path)        -> Promise<Buffer>  (32 bytes, zero-copy)
 *   hashFile(path, cb)    -> cb(err, Buffer)
 *
 * Errors are Node's own system errors (ENOENT from open, EISDIR from read),
 * made with napi_task_error_uv. The file is read with C's stdio, which
 * every runtime and platform has (Bun's uv_fs_* abort the process).
 */

/* uv.h needs POSIX declarations, which -std=c11 hides. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h> /* only for the UV_E* error codes: no libuv call */

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#endif

#include <napi_task.h>

/* ---- SHA-256 (FIPS 180-4), small and portable ---- */

typedef struct {
  uint32_t h[8];
  uint64_t len;
  unsigned char block[64];
  size_t used;
} sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256 *s, const unsigned char *p) {
  uint32_t w[64], a, b, c, d, e, f, g, h;
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
  e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
                  ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
                  ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
  s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(sha256 *s) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                 0xa54ff53a, 0x510e527f, 0x9b05688c,
                                 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, iv, sizeof(iv));
  s->len = 0;
  s->used = 0;
}

static void sha256_update(sha256 *s, const unsigned char *p, size_t n) {
  s->len += n;
  while (n > 0) {
    size_t take = 64 - s->used < n ? 64 - s->used : n;
    memcpy(s->block + s->used, p, take);
    s->used += take, p += take, n -= take;
    if (s->used == 64) {
      sha256_block(s, s->block);
      s->used = 0;
    }
  }
}

static void sha256_final(sha256 *s, unsigned char out[32]) {
  uint64_t bits = s->len * 8;
  unsigned char pad = 0x80, zero = 0, len[8];
  sha256_update(s, &pad, 1);
  while (s->used != 56) sha256_update(s, &zero, 1);
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha256_update(s, len, 8);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (unsigned char)(s->h[i] >> 24);
    out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
    out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
    out[4 * i + 3] = (unsigned char)s->h[i];
  }
}

/* ---- reading a file, the same on every platform ---- */

/* The negative libuv error code for a C library errno value, which is what
   napi_task_error_uv takes: libuv's codes are the negated errno values on
   POSIX, and numbers of its own on Windows. */
static int uv_code(int err) {
#ifdef _WIN32
  switch (err) {
    case ENOENT: return UV_ENOENT;
    case EACCES: return UV_EACCES;
    case EISDIR: return UV_EISDIR;
    case ENOTDIR: return UV_ENOTDIR;
    case EMFILE: return UV_EMFILE;
    case ENAMETOOLONG: return UV_ENAMETOOLONG;
    case EINVAL: return UV_EINVAL;
    case ENOMEM: return UV_ENOMEM;
    default: return UV_EIO;
  }
#else
  return err > 0 ? -err : UV_EIO;
#endif
}

/* fopen for a UTF-8 path (JS strings arrive as UTF-8; Windows' fopen would
   read them in the ANSI code page). */
static FILE *open_utf8(const char *path) {
#ifdef _WIN32
  wchar_t wide[32768];
  if (MultiByteToWideChar(CP_UTF8, 0, path, -1, wide, 32768) == 0) {
    errno = ENAMETOOLONG;
    return NULL;
  }
  return _wfopen(wide, L"rb");
#else
  return fopen(path, "rb");
#endif
}

/* ---- the task ---- */

/* Threadpool. Consumes `data` (the path, from malloc). */
static napi_task_output hash_file(napi_task_ctx ctx, void *data) {
  char *path = data;
  unsigned char *digest, buf[64 * 1024];
  sha256 s;
  napi_task_output out;
  FILE *f;
  size_t n;
  int err = 0;

  errno = 0;
  f = open_utf8(path);
  if (f == NULL) {
    out = napi_task_error_uv(uv_code(errno), "open", path); /* copies path */
    free(path);
    return out;
  }
  sha256_init(&s);
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
    if (napi_task_cancelled(ctx)) break; /* the output is dropped anyway */
    sha256_update(&s, buf, n);
  }
  if (ferror(f)) err = uv_code(errno);
  fclose(f);
  /* A read error names the path too, as Node's fs does from 26.8 on:
     "EISDIR: illegal operation on a directory, read '/tmp'". */
  if (err != 0) {
    out = napi_task_error_uv(err, "read", path);
    free(path);
    return out;
  }
  free(path);
  digest = malloc(32);
  if (digest == NULL) return napi_task_error("ERR_OUT_OF_MEMORY", "no memory");
  sha256_final(&s, digest);
  /* The Buffer takes the 32 bytes without a copy; free runs when it is
     collected. */
  return napi_task_ok_buffer(digest, 32, free);
}

static napi_value js_hash_file(napi_env env, napi_callback_info info) {
  size_t argc = 2, len;
  napi_value argv[2], result = NULL;
  napi_valuetype type = napi_undefined;
  napi_task task;
  char *path;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc > 0) napi_typeof(env, argv[0], &type);
  if (type != napi_string) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "The \"path\" argument must be of type string");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], NULL, 0, &len);
  path = malloc(len + 1);
  if (path == NULL) return NULL;
  napi_get_value_string_utf8(env, argv[0], path, len + 1, &len);
  if (napi_task_build(env, hash_file, path, free, &task) != napi_ok)
    return NULL;
  napi_task_set_name(task, "hash_file");
  if (argc > 1)
    napi_task_schedule(task, argv[1], &result); /* TypeError if not a fn */
  else
    napi_task_promise(task, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "hashFile", NAPI_AUTO_LENGTH, js_hash_file, NULL,
                       &fn);
  napi_set_named_property(env, exports, "hashFile", fn);
  return exports;
}
