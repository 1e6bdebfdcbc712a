/* midi_write.c: writes a cn_song as a format-1 Standard MIDI File through libsmf: a tempo
 * track (tempo map, time signature) and a note track (program, note on/off pairs). Notes of
 * one pitch and channel that overlap are cut where the next starts, every note lasts at least
 * one tick, and at one tick offs come before ons, so no reader sees a stuck note.
 * The bytes are made in memory and checked, then written through atomicfile.h: a failure
 * (a full disk) never leaves half a file. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <smf.h>
#include "atomicfile.h"
#include "midi.h"

#define WRITE_PPQ 480

typedef struct { int64_t on, off; uint8_t pitch, vel, ch; } tick_note;
typedef struct { int64_t tick; int on; uint8_t pitch, vel, ch; } tick_event;

static int cmp_by_key(const void *x, const void *y) {
    const tick_note *a = x, *b = y;
    if (a->ch != b->ch) return a->ch - b->ch;
    if (a->pitch != b->pitch) return a->pitch - b->pitch;
    if (a->on != b->on) return a->on < b->on ? -1 : 1;
    return a->off > b->off ? -1 : a->off < b->off;      /* longer first: it survives a merge */
}

static int cmp_event(const void *x, const void *y) {
    const tick_event *a = x, *b = y;
    if (a->tick != b->tick) return a->tick < b->tick ? -1 : 1;
    if (a->on != b->on) return a->on - b->on;            /* offs first */
    if (a->pitch != b->pitch) return a->pitch - b->pitch;
    return a->ch - b->ch;
}

static int64_t to_tick(double beat) {
    if (!(beat > 0)) return 0;
    if (beat > 1e6) beat = 1e6;
    return llround(beat * WRITE_PPQ);
}

/* Note list -> sorted on/off events with overlaps resolved. Returns count, -1 on OOM. */
static long note_events(const cn_song *s, tick_event **out) {
    tick_note *tn = malloc((s->n_notes + 1) * sizeof *tn);
    tick_event *ev = malloc((2 * s->n_notes + 1) * sizeof *ev);
    if (!tn || !ev) { free(tn); free(ev); return -1; }
    size_t n = 0;
    for (size_t i = 0; i < s->n_notes; i++) {
        const cn_note *c = &s->notes[i];
        if (c->pitch > 127) continue;
        int64_t on = to_tick(c->start_beat), off = to_tick(c->start_beat + c->dur_beat);
        if (off <= on) off = on + 1;
        tn[n++] = (tick_note){ on, off, c->pitch, c->velocity ? c->velocity : 1, (uint8_t)(c->channel & 15) };
    }
    qsort(tn, n, sizeof *tn, cmp_by_key);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && tn[k - 1].ch == tn[i].ch && tn[k - 1].pitch == tn[i].pitch) {
            tick_note *prev = &tn[k - 1];
            if (tn[i].on == prev->on) continue;           /* same start: keep the longer one */
            if (prev->off > tn[i].on) prev->off = tn[i].on;
        }
        tn[k++] = tn[i];
    }
    long m = 0;
    for (size_t i = 0; i < k; i++) {
        ev[m++] = (tick_event){ tn[i].on, 1, tn[i].pitch, tn[i].vel, tn[i].ch };
        ev[m++] = (tick_event){ tn[i].off, 0, tn[i].pitch, 0, tn[i].ch };
    }
    free(tn);
    qsort(ev, (size_t)m, sizeof *ev, cmp_event);
    *out = ev;
    return m;
}

static int add_bytes(smf_track_t *t, int64_t tick, const uint8_t *b, int len) {
    smf_event_t *e = smf_event_new_from_pointer((void *)b, len);
    if (!e) return -1;
    smf_track_add_event_pulses(t, e, (int)tick);
    return 0;
}

static smf_t *build_smf(const cn_song *s, char *why, size_t whylen) {
    smf_t *smf = smf_new();
    if (!smf) { snprintf(why, whylen, "out of memory"); return NULL; }
    smf_track_t *tempo = smf_track_new(), *notes = smf_track_new();
    if (!tempo || !notes || smf_set_ppqn(smf, WRITE_PPQ) != 0) {
        if (tempo) smf_track_delete(tempo);
        if (notes) smf_track_delete(notes);
        smf_delete(smf);
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    smf_add_track(smf, tempo);
    smf_add_track(smf, notes);
    int rc = 0;
    int num = s->ts_num > 0 && s->ts_num < 256 ? s->ts_num : 4, den_log = 2;
    if (s->ts_den > 0 && (s->ts_den & (s->ts_den - 1)) == 0 && s->ts_den <= 128)
        for (den_log = 0; (1 << den_log) < s->ts_den; den_log++) {}
    else num = 4;
    uint8_t ts[7] = { 0xff, 0x58, 4, (uint8_t)num, (uint8_t)den_log, 24, 8 };
    rc |= add_bytes(tempo, 0, ts, 7);
    int64_t last_tick = 0;
    size_t nt = s->tempos ? s->n_tempos : 0;
    for (size_t i = 0; i < (nt ? nt : 1); i++) {
        double bpm = nt ? s->tempos[i].bpm : 120.0;
        int64_t tick = nt ? to_tick(s->tempos[i].beat) : 0;
        if (i == 0) tick = 0;
        if (!(bpm > 0)) bpm = 120;
        long us = lround(60e6 / bpm);
        if (us < 1) us = 1;
        if (us > 0xffffff) us = 0xffffff;
        uint8_t te[6] = { 0xff, 0x51, 3, (uint8_t)(us >> 16), (uint8_t)(us >> 8), (uint8_t)us };
        rc |= add_bytes(tempo, tick, te, 6);
        if (tick > last_tick) last_tick = tick;
    }
    tick_event *ev = NULL;
    long m = note_events(s, &ev);
    if (m < 0) rc = -1;
    if (rc == 0 && s->program >= 0 && s->program < 128) {
        int used[16] = { 0 };
        for (long i = 0; i < m; i++) used[ev[i].ch] = 1;
        if (m == 0) used[0] = 1;
        for (int ch = 0; ch < 16; ch++)
            if (used[ch] && ch != 9) {
                uint8_t pc[2] = { (uint8_t)(0xc0 | ch), (uint8_t)s->program };
                rc |= add_bytes(notes, 0, pc, 2);
            }
    }
    for (long i = 0; rc == 0 && i < m; i++) {
        uint8_t b[3] = { (uint8_t)((ev[i].on ? 0x90 : 0x80) | ev[i].ch), ev[i].pitch, ev[i].on ? ev[i].vel : 0 };
        rc |= add_bytes(notes, ev[i].tick, b, 3);
        if (ev[i].tick > last_tick) last_tick = ev[i].tick;
    }
    free(ev);
    int64_t end = to_tick(s->end_beat);
    if (end < last_tick) end = last_tick;
    if (rc == 0) rc |= smf_track_add_eot_pulses(tempo, (int)end);
    if (rc == 0) rc |= smf_track_add_eot_pulses(notes, (int)end);
    if (rc != 0) { smf_delete(smf); snprintf(why, whylen, "out of memory"); return NULL; }
    return smf;
}

/* libsmf saves only to a named file: it writes into an anonymous memory file (memfd, or an
 * unlinked temporary), whose bytes are then read back whole. */
static uint8_t *smf_to_bytes(smf_t *smf, size_t *len, char *why, size_t whylen) {
    int fd = memfd_create("continuo-midi", MFD_CLOEXEC);
    FILE *tf = NULL;
    if (fd < 0) { tf = tmpfile(); fd = tf ? fileno(tf) : -1; }
    if (fd < 0) { snprintf(why, whylen, "cannot make a scratch file: %s", strerror(errno)); return NULL; }
    char name[64];
    snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
    uint8_t *buf = NULL;
    cn_afile_ignore_sigxfsz();   /* a size limit counts this file too */
    errno = 0;
    if (smf_save(smf, name) != 0) {
        snprintf(why, whylen, "cannot write: %s", errno ? cn_afile_strerror(errno) : "libsmf could not save");
    } else {
        off_t n = lseek(fd, 0, SEEK_END);
        buf = n > 0 ? malloc((size_t)n) : NULL;
        if (!buf) snprintf(why, whylen, n > 0 ? "out of memory" : "libsmf wrote nothing");
        else if (pread(fd, buf, (size_t)n, 0) != n) { snprintf(why, whylen, "cannot read the scratch file back"); free(buf); buf = NULL; }
        else *len = (size_t)n;
    }
    if (tf) fclose(tf); else close(fd);
    return buf;
}

/* Checks what libsmf made is complete and clean before it replaces anything. */
static int verify_bytes(const uint8_t *buf, size_t len, char *why, size_t whylen) {
    uint8_t *clean = NULL; size_t clean_len = 0;
    int repaired = 0;
    char err[256];
    int rc = cn_midi_clean(buf, len, "written file", &clean, &clean_len, &repaired, err, sizeof err);
    free(clean);
    if (rc != 0 || repaired) {
        snprintf(why, whylen, "the MIDI made is incomplete%s%s", rc ? ": " : "", rc ? err : "");
        return -1;
    }
    return 0;
}

int cn_midi_write(const char *path, const cn_song *song, char *err, size_t errlen) {
    char why[320];
    cn_midi_quiet_libsmf();
    smf_t *smf = build_smf(song, why, sizeof why);
    if (!smf) { snprintf(err, errlen, "%s: %s", path, why); return -1; }
    size_t len = 0;
    uint8_t *bytes = smf_to_bytes(smf, &len, why, sizeof why);
    smf_delete(smf);
    if (!bytes || verify_bytes(bytes, len, why, sizeof why)) {
        free(bytes);
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    int rc = cn_afile_write_bytes(path, bytes, len, err, errlen);
    free(bytes);
    return rc;
}
