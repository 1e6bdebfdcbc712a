/* malloc_guard.c: a link-time interposer for the real-time test of the LV2 plugin. Linked
 * into build/lv2-rt (with -rdynamic, so the plugin loaded by lilv binds to these symbols),
 * it wraps the allocator, the pthread locks, semaphores, sleeps and file opening. While the
 * harness holds cn_guard_active at 1 (around run() and work_response()), every such call is
 * counted in cn_guard_hits and named in cn_guard_what; the call itself still goes through,
 * so a failing test reports instead of crashing. Not for sanitized builds: ASan owns malloc. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

volatile int cn_guard_active;
volatile long cn_guard_hits;
volatile const char *cn_guard_what;

static inline void guard_hit(const char *what) {
    if (cn_guard_active) { cn_guard_hits++; cn_guard_what = what; }
}

/* glibc's own allocator entry points: no dlsym needed, so no recursion at start-up. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void  __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) { guard_hit("malloc"); return __libc_malloc(n); }
void *calloc(size_t n, size_t s) { guard_hit("calloc"); return __libc_calloc(n, s); }
void *realloc(void *p, size_t n) { guard_hit("realloc"); return __libc_realloc(p, n); }
void free(void *p) { if (p) guard_hit("free"); __libc_free(p); }
void *memalign(size_t a, size_t n) { guard_hit("memalign"); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { guard_hit("aligned_alloc"); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    guard_hit("posix_memalign");
    void *p = __libc_memalign(a, n);
    if (!p) return 12;   /* ENOMEM */
    *out = p;
    return 0;
}

/* The rest are found once, before main, with dlsym(RTLD_NEXT). */
static int (*real_mutex_lock)(pthread_mutex_t *);
static int (*real_mutex_trylock)(pthread_mutex_t *);
static int (*real_mutex_unlock)(pthread_mutex_t *);
static int (*real_rdlock)(pthread_rwlock_t *);
static int (*real_wrlock)(pthread_rwlock_t *);
static int (*real_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
static int (*real_sem_wait)(sem_t *);
static int (*real_sem_timedwait)(sem_t *, const struct timespec *);
static int (*real_nanosleep)(const struct timespec *, struct timespec *);
static int (*real_usleep)(useconds_t);
static FILE *(*real_fopen)(const char *, const char *);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);

__attribute__((constructor(101))) static void guard_init(void) {
    real_mutex_lock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
    real_mutex_trylock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_trylock");
    real_mutex_unlock = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_unlock");
    real_rdlock = (int (*)(pthread_rwlock_t *))dlsym(RTLD_NEXT, "pthread_rwlock_rdlock");
    real_wrlock = (int (*)(pthread_rwlock_t *))dlsym(RTLD_NEXT, "pthread_rwlock_wrlock");
    real_cond_wait = (int (*)(pthread_cond_t *, pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_cond_wait");
    real_cond_timedwait = (int (*)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *))
        dlsym(RTLD_NEXT, "pthread_cond_timedwait");
    real_sem_wait = (int (*)(sem_t *))dlsym(RTLD_NEXT, "sem_wait");
    real_sem_timedwait = (int (*)(sem_t *, const struct timespec *))dlsym(RTLD_NEXT, "sem_timedwait");
    real_nanosleep = (int (*)(const struct timespec *, struct timespec *))dlsym(RTLD_NEXT, "nanosleep");
    real_usleep = (int (*)(useconds_t))dlsym(RTLD_NEXT, "usleep");
    real_fopen = (FILE * (*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
    real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
}

int pthread_mutex_lock(pthread_mutex_t *m) { guard_hit("pthread_mutex_lock"); return real_mutex_lock(m); }
int pthread_mutex_trylock(pthread_mutex_t *m) { guard_hit("pthread_mutex_trylock"); return real_mutex_trylock(m); }
int pthread_mutex_unlock(pthread_mutex_t *m) { guard_hit("pthread_mutex_unlock"); return real_mutex_unlock(m); }
int pthread_rwlock_rdlock(pthread_rwlock_t *l) { guard_hit("pthread_rwlock_rdlock"); return real_rdlock(l); }
int pthread_rwlock_wrlock(pthread_rwlock_t *l) { guard_hit("pthread_rwlock_wrlock"); return real_wrlock(l); }
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { guard_hit("pthread_cond_wait"); return real_cond_wait(c, m); }
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t) {
    guard_hit("pthread_cond_timedwait");
    return real_cond_timedwait(c, m, t);
}
int sem_wait(sem_t *s) { guard_hit("sem_wait"); return real_sem_wait(s); }
int sem_timedwait(sem_t *s, const struct timespec *t) { guard_hit("sem_timedwait"); return real_sem_timedwait(s, t); }
int nanosleep(const struct timespec *t, struct timespec *r) { guard_hit("nanosleep"); return real_nanosleep(t, r); }
int usleep(useconds_t u) { guard_hit("usleep"); return real_usleep(u); }
FILE *fopen(const char *p, const char *m) { guard_hit("fopen"); return real_fopen(p, m); }
int open(const char *p, int flags, ...) {
    guard_hit("open");
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = (mode_t)va_arg(ap, int); va_end(ap); }
    return real_open(p, flags, mode);
}
int openat(int dir, const char *p, int flags, ...) {
    guard_hit("openat");
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = (mode_t)va_arg(ap, int); va_end(ap); }
    return real_openat(dir, p, flags, mode);
}
