/* midi_list.c: finds the MIDI files (.mid/.midi, any case) under a folder, recursively,
 * in sorted order, so a corpus always loads in the same order. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "midi.h"

typedef struct { char **p; int n, cap; int oom; } path_list;

static void list_add(path_list *l, const char *path) {
    if (l->oom) return;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        char **np = realloc(l->p, (size_t)cap * sizeof *np);
        if (!np) { l->oom = 1; return; }
        l->p = np; l->cap = cap;
    }
    char *d = strdup(path);
    if (!d) { l->oom = 1; return; }
    l->p[l->n++] = d;
}

static int is_midi_name(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".mid") == 0 || strcasecmp(dot, ".midi") == 0);
}

/* depth bounds the walk, so a symlink loop cannot recurse forever. */
static void walk(path_list *l, const char *dir, int depth) {
    if (depth > 32) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !l->oom) {
        if (e->d_name[0] == '.') continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) { l->oom = 1; break; }
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode)) walk(l, p, depth + 1);
            else if (S_ISREG(st.st_mode) && is_midi_name(e->d_name)) list_add(l, p);
        }
        free(p);
    }
    closedir(d);
}

static int cmp_path(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cn_midi_list(const char *path, char ***out_paths, char *err, size_t errlen) {
    *out_paths = NULL;
    struct stat st;
    if (stat(path, &st) != 0) { snprintf(err, errlen, "%s: %s", path, strerror(errno)); return -1; }
    path_list l = { 0 };
    if (S_ISDIR(st.st_mode)) {
        size_t n = strlen(path);
        char *root = strdup(path);
        if (root) {
            while (n > 1 && root[n - 1] == '/') root[--n] = 0;     /* no "dir//file" */
            walk(&l, root, 0);
            free(root);
        } else l.oom = 1;
    } else {
        list_add(&l, path);
    }
    if (l.oom) { cn_midi_list_free(l.p, l.n); snprintf(err, errlen, "%s: out of memory", path); return -1; }
    if (l.n > 1) qsort(l.p, (size_t)l.n, sizeof *l.p, cmp_path);
    *out_paths = l.p;
    return l.n;
}

int cn_midi_list_append(const char *path, char ***list, int *n, char *err, size_t errlen) {
    char **found;
    int k = cn_midi_list(path, &found, err, errlen);
    if (k < 0) return -1;
    char **g = realloc(*list, (size_t)(*n + k + 1) * sizeof *g);
    if (!g) { cn_midi_list_free(found, k); snprintf(err, errlen, "%s: out of memory", path); return -1; }
    *list = g;
    for (int i = 0; i < k; i++) g[(*n)++] = found[i];
    free(found);
    return k;
}

void cn_midi_list_free(char **paths, int n) {
    if (!paths) return;
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
}
