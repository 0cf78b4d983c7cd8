/*
 * Windows test builds only, opt-in (NAPI_TASK_WINDOWS_DIAG=1 node
 * tools/windows.js): linked into the test addon, it tells whose
 * uv_async_send hit a closing handle when node.exe aborts with
 * "Assertion failed: !(handle->flags & UV_HANDLE_CLOSING), file
 * src\win\async.c" (docs/setup.md, "Where it runs").
 *
 * - node.exe's exported uv_async_send is replaced with a copy that checks
 *   the handle first. Every call an addon makes goes through the export,
 *   so a closing handle sent from napi-task (or any addon) prints
 *   "windows-diag: an addon called uv_async_send on a closing handle", a
 *   stack, and ends the process with exit code 77.
 * - node.exe's own calls are inlined copies that the export replacement
 *   does not reach. Its CRT writes the assertion to stderr one character
 *   at a time through WriteFile; the hook on node.exe's import of
 *   WriteFile prints the stack of the thread that asserts, as module +
 *   offset (name the node.exe offsets with its export table: objdump -p).
 *
 * Not for shipping: it patches node.exe's code and import table in memory.
 */
#ifdef _WIN32
#include <uv.h> /* before windows.h: winsock2.h must come first */
#include <windows.h>
#include <stdio.h>
#include <string.h>

static void print_stack(void) {
  void *frames[48];
  USHORT n = RtlCaptureStackBackTrace(0, 48, frames, NULL);
  USHORT i;

  for (i = 0; i < n; i++) {
    HMODULE m = NULL;
    char name[MAX_PATH] = "?";
    GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                           GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                       (LPCSTR)frames[i], &m);
    if (m != NULL) GetModuleFileNameA(m, name, sizeof(name));
    fprintf(stderr, "windows-diag: #%u %s+0x%llx\n", i, name,
            (unsigned long long)((char *)frames[i] - (char *)m));
  }
  fflush(stderr);
}

/* libuv's Windows uv_async_send (src/win/async.c), with the check first. */
static int checked_async_send(uv_async_t *h) {
  if (h->type != UV_ASYNC) return -1;
  if (uv_is_closing((uv_handle_t *)h)) {
    fprintf(stderr,
            "windows-diag: an addon called uv_async_send on a closing "
            "handle %p, thread %lu\n",
            (void *)h, (unsigned long)GetCurrentThreadId());
    print_stack();
    TerminateProcess(GetCurrentProcess(), 77);
  }
  if (__atomic_fetch_or((char *)&h->async_sent, 1, __ATOMIC_SEQ_CST) == 0)
    PostQueuedCompletionStatus(h->loop->iocp, 0, 0,
                               &h->async_req.u.io.overlapped);
  return 0;
}

typedef BOOL(WINAPI *write_file_fn)(HANDLE, LPCVOID, DWORD, LPDWORD,
                                    LPOVERLAPPED);
static write_file_fn real_write_file;

static BOOL WINAPI watched_write_file(HANDLE h, LPCVOID buf, DWORD n,
                                      LPDWORD written, LPOVERLAPPED o) {
  static LONG seen;
  /* The assertion's first character, alone: "A" of "Assertion failed". */
  if (n == 1 && *(const char *)buf == 'A' &&
      InterlockedCompareExchange(&seen, 1, 0) == 0) {
    fprintf(stderr, "windows-diag: node.exe writes \"A\" (an assertion?), "
                    "thread %lu\n",
            (unsigned long)GetCurrentThreadId());
    print_stack();
  }
  return real_write_file(h, buf, n, written, o);
}

/* Points node.exe's import of `name` at `mine`; the old entry in *real. */
static int hook_import(const char *name, void *mine, void **real) {
  char *base = (char *)GetModuleHandleA(NULL);
  IMAGE_NT_HEADERS *nt =
      (IMAGE_NT_HEADERS *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
  IMAGE_DATA_DIRECTORY dir =
      nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
  IMAGE_IMPORT_DESCRIPTOR *d =
      (IMAGE_IMPORT_DESCRIPTOR *)(base + dir.VirtualAddress);

  for (; d->Name != 0; d++) {
    IMAGE_THUNK_DATA *names =
        (IMAGE_THUNK_DATA *)(base + d->OriginalFirstThunk);
    IMAGE_THUNK_DATA *slots = (IMAGE_THUNK_DATA *)(base + d->FirstThunk);
    for (; names->u1.AddressOfData != 0; names++, slots++) {
      DWORD old;
      if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal)) continue;
      if (strcmp((char *)((IMAGE_IMPORT_BY_NAME *)(base +
                                                    names->u1.AddressOfData))
                     ->Name,
                 name) != 0)
        continue;
      *real = (void *)slots->u1.Function;
      VirtualProtect(&slots->u1.Function, sizeof(void *), PAGE_READWRITE,
                     &old);
      slots->u1.Function = (ULONG_PTR)mine;
      VirtualProtect(&slots->u1.Function, sizeof(void *), old, &old);
      return 0;
    }
  }
  return -1;
}

/* Overwrites the start of node.exe's uv_async_send with
   `mov rax, checked_async_send; jmp rax`. */
static int replace_export(void) {
  unsigned char *f = (unsigned char *)GetProcAddress(GetModuleHandleA(NULL),
                                                     "uv_async_send");
  unsigned char code[12] = {0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xE0};
  void *target = (void *)checked_async_send;
  DWORD old;

  if (f == NULL) return -1;
  memcpy(code + 2, &target, sizeof(target));
  if (!VirtualProtect(f, sizeof(code), PAGE_EXECUTE_READWRITE, &old))
    return -1;
  memcpy(f, code, sizeof(code));
  VirtualProtect(f, sizeof(code), old, &old);
  FlushInstructionCache(GetCurrentProcess(), f, sizeof(code));
  return 0;
}

static void __attribute__((constructor)) windows_diag_init(void) {
  int a = hook_import("WriteFile", (void *)watched_write_file,
                      (void **)&real_write_file);
  int b = replace_export();
  fprintf(stderr, "windows-diag: WriteFile hook %s, uv_async_send check %s\n",
          a == 0 ? "on" : "FAILED", b == 0 ? "on" : "FAILED");
}
#else
typedef int windows_diag_is_for_windows_only;
#endif
