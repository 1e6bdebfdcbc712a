/* progress.c: the live progress bar and its plain-text fallback (see progress.h). */
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "progress.h"

double cn_now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cn_progress_init(cn_progress *p, FILE *out, int tty, double plain_every_sec) {
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = tty >= 0 ? tty : isatty(fileno(out));
    p->plain_every = plain_every_sec > 0 ? plain_every_sec : 30.0;
    p->last_draw = -1e9;
}

void cn_format_duration(double sec, char *buf, size_t len) {
    if (!(sec >= 0)) { snprintf(buf, len, "?"); return; }
    long s = (long)(sec + 0.5);
    if (s >= 3600) snprintf(buf, len, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60) snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
    else snprintf(buf, len, "%lds", s);
}

static void clear_bar(cn_progress *p) {
    if (p->tty && p->bar_shown) { fputs("\r\033[K", p->out); p->bar_shown = 0; }
}

void cn_progress_update(cn_progress *p, int epoch, int epochs, long batch, long batches,
                        double loss, double tokens_per_s, double eta_sec, int force) {
    double now = cn_now_sec();
    if (!force && now - p->last_draw < (p->tty ? 0.25 : p->plain_every)) return;
    p->last_draw = now;
    char eta[32], ep[32];
    cn_format_duration(eta_sec, eta, sizeof eta);
    char on[32] = "";
    if (p->ranks > 1) snprintf(on, sizeof on, " on %d ranks", p->ranks);
    if (epochs > 0) snprintf(ep, sizeof ep, "%d/%d", epoch, epochs);
    else snprintf(ep, sizeof ep, "%d", epoch);
    if (p->tty) {
        char bar[21];
        int fill = batches > 0 ? (int)(20.0 * (double)batch / (double)batches) : 0;
        if (fill > 20) fill = 20;
        for (int i = 0; i < 20; i++) bar[i] = i < fill ? '#' : '.';
        bar[20] = 0;
        fprintf(p->out, "\r\033[Kepoch %s [%s] batch %ld/%ld  loss %.4f  %.0f tok/s%s  ETA %s",
                ep, bar, batch, batches, loss, tokens_per_s, on, eta);
        p->bar_shown = 1;
    } else {
        fprintf(p->out, "epoch %s batch %ld/%ld loss %.4f %.0f tok/s%s ETA %s\n",
                ep, batch, batches, loss, tokens_per_s, on, eta);
    }
    fflush(p->out);
}

void cn_progress_line(cn_progress *p, const char *fmt, ...) {
    clear_bar(p);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fputc('\n', p->out);
    fflush(p->out);
    p->last_draw = p->tty ? p->last_draw : cn_now_sec();
}

void cn_progress_done(cn_progress *p) {
    clear_bar(p);
    fflush(p->out);
}
