/* The three glibc-only symbols that Debian's static libstdc++ and libgcc_eh
   use, for the libstdc++.so.6 that tools/cross.js links with musl-gcc so
   that Bun's linux-x64-musl build can start (musl job). Not part of
   napi-task, and never linked into an addon. */
#define _GNU_SOURCE
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>

/* glibc's "the process has one thread": 0 says it may have more, so
   libstdc++ always takes its atomic paths. */
char __libc_single_threaded = 0;

/* glibc 2.35's _dl_find_object, which libgcc's unwinder calls to find the
   unwind tables (PT_GNU_EH_FRAME) of the object that holds pc; x86-64's
   layout (no dlfo_eh_dbase, no dlfo_eh_count). Done with dl_iterate_phdr,
   which musl has. */
struct dl_find_object {
  unsigned long long dlfo_flags;
  void *dlfo_map_start;
  void *dlfo_map_end;
  void *dlfo_link_map;
  void *dlfo_eh_frame;
  unsigned long long reserved[7];
};

struct find {
  uintptr_t pc;
  struct dl_find_object *out;
  int found;
};

static int find_in(struct dl_phdr_info *info, size_t size, void *data) {
  struct find *f = data;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  void *eh = NULL;
  int holds = 0;
  (void)size;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *p = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + p->p_vaddr;
    uintptr_t end = start + p->p_memsz;
    if (p->p_type == PT_LOAD) {
      if (start < lo) lo = start;
      if (end > hi) hi = end;
      if (f->pc >= start && f->pc < end) holds = 1;
    } else if (p->p_type == PT_GNU_EH_FRAME) {
      eh = (void *)start;
    }
  }
  if (!holds) return 0;
  f->out->dlfo_flags = 0;
  f->out->dlfo_map_start = (void *)lo;
  f->out->dlfo_map_end = (void *)hi;
  f->out->dlfo_link_map = NULL;
  f->out->dlfo_eh_frame = eh;
  f->found = 1;
  return 1;
}

int _dl_find_object(void *pc, struct dl_find_object *out);
int _dl_find_object(void *pc, struct dl_find_object *out) {
  struct find f = {(uintptr_t)pc, out, 0};
  dl_iterate_phdr(find_in, &f);
  return f.found ? 0 : -1;
}

/* glibc 2.36's arc4random (std::random_device). */
uint32_t arc4random(void);
uint32_t arc4random(void) {
  uint32_t v = 0;
  while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
  }
  return v;
}
