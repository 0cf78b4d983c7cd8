/*
 * The canary of tools/sanitize.js for LeakSanitizer's dynamic-TLS bug,
 * built and run with the suite's ASAN_OPTIONS: it must exit 0.
 *
 * Up to gcc 13 (LLVM 16) the sanitizer runtime's __tls_get_addr
 * interceptor takes a dynamic TLS block whose address is 16 bytes past a
 * page boundary for glibc 2.19-2.24's layout, and reads the two words
 * before it as the block's start and size. glibc 2.25+ has no such header:
 * the words are the allocator's, the "range" is garbage, and at exit the
 * leak check's tracer scans it and dies ("Tracer caught signal 11 ...
 * LeakSanitizer has encountered a fatal error", exit 1). Whether a block
 * lands on that offset depends on the allocator, so in node it was a rare
 * flake of processes that loaded our addons (their thread-locals are
 * dynamic TLS); here, a 40-byte TLS block in a dlopen()ed module, touched
 * by live threads, hits it on every run with gcc 12. tools/sanitize.js
 * sets intercept_tls_get_addr=0, which stops the interceptor; this program
 * proves that the option is there and works.
 *
 * Built twice from this one file: with -DLSAN_DTLS_MODULE as the module
 * (no sanitizer, like node's own code), and as the program
 * (-fsanitize=address). argv[1]: the module's path.
 */
#ifdef LSAN_DTLS_MODULE
__thread char small[40];
int touch(int i) {
  small[i % 40] = (char)i;
  return small[(i * 7) % 40];
}
#else
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8

static int (*touch)(int);
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

/* Touches the module's TLS (a dynamic TLS block for this thread), then
   stays alive, so the leak check at exit scans this thread. */
static void *run(void *arg) {
  touch((int)(long)arg);
  pthread_mutex_lock(&mu);
  ready++;
  pthread_cond_broadcast(&cv);
  for (;;) pthread_cond_wait(&cv, &mu);
  return NULL;
}

int main(int argc, char **argv) {
  void *module = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
  pthread_t t;
  if (module == NULL ||
      (touch = (int (*)(int))dlsym(module, "touch")) == NULL) {
    fprintf(stderr, "lsan-dtls: cannot load %s\n", argc > 1 ? argv[1] : "");
    return 2;
  }
  touch(0);
  for (long i = 0; i < THREADS; i++) {
    if (pthread_create(&t, NULL, run, (void *)i) != 0) return 2;
  }
  pthread_mutex_lock(&mu);
  while (ready < THREADS) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  exit(0); /* the leak check runs here, with all threads alive */
}
#endif
