/* midi.c: reads a Standard MIDI File into a cn_song. The bytes are first checked and made
 * canonical by cn_midi_clean (libsmf 1.3 crashes on malformed input), then loaded with
 * libsmf, whose merged event stream is turned into notes: drums skipped unless asked for,
 * the sustain pedal holding released notes, a new note-on of a sounding pitch ending it. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <smf.h>
#include "midi.h"

cn_midi_opts cn_midi_opts_default(void) {
    return (cn_midi_opts){ .keep_drums = 0, .use_sustain = 1 };
}

/* libsmf reports through glib on stderr; our own messages are clearer, so its log is muted. */
static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer user) {
    (void)domain; (void)level; (void)msg; (void)user;
}
static void install_quiet_log(void) {
    g_log_set_handler("libsmf", (GLogLevelFlags)(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION),
                      quiet_log, NULL);
}
void cn_midi_quiet_libsmf(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_quiet_log);
}

/* One event of the merged stream, in the order notes are built from. */
typedef struct {
    int tick;
    int order;       /* 0 tempo/meter/program, 1 note-off/pedal, 2 note-on: offs before ons at a tick */
    int seq;         /* libsmf's merged order, to keep the sort stable */
    uint8_t st, a, b;
    uint32_t tempo_us;
} raw_event;

static int cmp_raw(const void *x, const void *y) {
    const raw_event *a = x, *b = y;
    if (a->tick != b->tick) return a->tick < b->tick ? -1 : 1;
    if (a->order != b->order) return a->order - b->order;
    return a->seq - b->seq;
}

typedef struct {
    int note[128];        /* index of the sounding note of each pitch, -1 when silent */
    int released[128];    /* its key is up but the pedal holds it */
    int pedal[16];
} note_state;

static void end_note(cn_song *s, note_state *st, int pitch, int tick, int ppq) {
    int i = st->note[pitch];
    if (i < 0) return;
    s->notes[i].dur_beat = (double)tick / ppq - s->notes[i].start_beat;
    st->note[pitch] = -1;
    st->released[pitch] = 0;
}

static int collect_events(smf_t *smf, raw_event **out, size_t *n_out) {
    size_t n = 0, cap = 1024;
    raw_event *ev = malloc(cap * sizeof *ev);
    if (!ev) return -1;
    smf_event_t *e;
    smf_rewind(smf);
    while ((e = smf_get_next_event(smf)) != NULL) {
        const uint8_t *m = e->midi_buffer;
        if (e->midi_buffer_length < 1) continue;
        raw_event r = { .tick = e->time_pulses, .seq = (int)n, .st = m[0] };
        if (m[0] == 0xff) {
            if (e->midi_buffer_length >= 6 && m[1] == 0x51) r.tempo_us = (uint32_t)m[3] << 16 | (uint32_t)m[4] << 8 | m[5];
            else if (e->midi_buffer_length >= 5 && m[1] == 0x58) { r.a = m[3]; r.b = m[4]; }
            else continue;
            r.a = m[1] == 0x51 ? 0x51 : r.a;
            r.b = m[1] == 0x51 ? 0 : r.b;
            r.st = m[1] == 0x51 ? 0xf1 : 0xf2;   /* internal tags: tempo, time signature */
            r.order = 0;
        } else {
            int hi = m[0] & 0xf0;
            if (hi == 0xc0 && e->midi_buffer_length >= 2) { r.a = m[1]; r.order = 0; }
            else if ((hi == 0x80 || hi == 0x90 || hi == 0xb0) && e->midi_buffer_length >= 3) {
                r.a = m[1]; r.b = m[2];
                r.order = (hi == 0x90 && m[2] > 0) ? 2 : 1;
            } else continue;
        }
        if (n == cap) {
            raw_event *ne = realloc(ev, cap * 2 * sizeof *ne);
            if (!ne) { free(ev); return -1; }
            ev = ne; cap *= 2;
        }
        ev[n++] = r;
    }
    qsort(ev, n, sizeof *ev, cmp_raw);
    *out = ev; *n_out = n;
    return 0;
}

static int build_song(const raw_event *ev, size_t n, int ppq, int end_tick, const cn_midi_opts *opts, cn_song *s) {
    note_state st;
    for (int p = 0; p < 128; p++) { st.note[p] = -1; st.released[p] = 0; }
    memset(st.pedal, 0, sizeof st.pedal);
    int seen_ts = 0;
    size_t n_tempo = 0;
    for (size_t i = 0; i < n; i++) if (ev[i].st == 0xf1) n_tempo++;
    if (n_tempo) {
        cn_tempo *t = realloc(s->tempos, (n_tempo + 1) * sizeof *t);
        if (!t) return -1;
        s->tempos = t;
    }
    for (size_t i = 0; i < n; i++) {
        const raw_event *r = &ev[i];
        double beat = (double)r->tick / ppq;
        if (r->st == 0xf1) {
            double bpm = 60e6 / r->tempo_us;
            cn_tempo *last = &s->tempos[s->n_tempos - 1];
            if (last->beat == beat) last->bpm = bpm;        /* several at one tick: the last wins */
            else s->tempos[s->n_tempos++] = (cn_tempo){ .beat = beat, .bpm = bpm };
            continue;
        }
        if (r->st == 0xf2) {
            if (!seen_ts) { s->ts_num = r->a; s->ts_den = 1 << r->b; seen_ts = 1; }
            continue;
        }
        int ch = r->st & 15, hi = r->st & 0xf0;
        if (hi == 0xc0) { if (s->program < 0) s->program = r->a; continue; }
        if (ch == 9 && !opts->keep_drums) continue;
        if (hi == 0xb0) {              /* only CC64 reaches here */
            int down = r->b >= 64;
            if (!opts->use_sustain) continue;
            if (st.pedal[ch] && !down)
                for (int p = 0; p < 128; p++)
                    if (st.note[p] >= 0 && st.released[p] && s->notes[st.note[p]].channel == ch)
                        end_note(s, &st, p, r->tick, ppq);
            st.pedal[ch] = down;
            continue;
        }
        int p = r->a;
        if (hi == 0x90 && r->b > 0) {
            end_note(s, &st, p, r->tick, ppq);          /* a sounding pitch struck again ends first */
            if (cn_song_add_note(s, beat, 0, p, r->b, ch) != 0) return -1;
            st.note[p] = (int)s->n_notes - 1;
            continue;
        }
        /* note-off (or note-on with velocity 0): only for the note this channel started */
        int idx = st.note[p];
        if (idx < 0 || s->notes[idx].channel != ch) continue;
        if (opts->use_sustain && st.pedal[ch]) st.released[p] = 1;
        else end_note(s, &st, p, r->tick, ppq);
    }
    for (int p = 0; p < 128; p++) end_note(s, &st, p, end_tick, ppq);   /* still sounding at the end */
    s->end_beat = (double)end_tick / ppq;
    return 0;
}

int cn_midi_read_mem(const uint8_t *buf, size_t len, const char *name, const cn_midi_opts *opts,
                     cn_song *out, char *err, size_t errlen) {
    cn_midi_opts def = cn_midi_opts_default();
    if (!opts) opts = &def;
    cn_song_init(out);
    if (!out->tempos) { snprintf(err, errlen, "%s: out of memory", name); return -1; }
    uint8_t *clean; size_t clean_len;
    int repairs = 0;
    if (cn_midi_clean(buf, len, name, &clean, &clean_len, &repairs, err, errlen) != 0) { cn_song_free(out); return -1; }
    if (clean_len > 0x7fffffff) { free(clean); cn_song_free(out); snprintf(err, errlen, "%s: file too large", name); return -1; }
    cn_midi_quiet_libsmf();
    smf_t *smf = smf_load_from_memory(clean, (int)clean_len);
    free(clean);
    if (!smf) { cn_song_free(out); snprintf(err, errlen, "%s: libsmf could not load the file", name); return -1; }
    out->repairs = repairs;
    out->ppq = smf->ppqn > 0 ? smf->ppqn : 480;
    raw_event *ev = NULL; size_t n = 0;
    int rc = collect_events(smf, &ev, &n);
    int end_tick = smf_get_length_pulses(smf);
    smf_delete(smf);
    if (rc == 0) rc = build_song(ev, n, out->ppq, end_tick, opts, out);
    free(ev);
    if (rc != 0) { cn_song_free(out); snprintf(err, errlen, "%s: out of memory", name); return -1; }
    double end = out->end_beat;
    cn_song_sort(out);
    if (end > out->end_beat) out->end_beat = end;
    return 0;
}

int cn_midi_read(const char *path, const cn_midi_opts *opts, cn_song *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s: %s", path, strerror(errno)); return -1; }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    int rd_err = 0;
    while (buf) {
        if (len == cap) {
            if (cap >= ((size_t)1 << 30)) { rd_err = EFBIG; break; }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb; cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) { if (ferror(f)) rd_err = errno ? errno : EIO; break; }
    }
    fclose(f);
    if (!buf) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    if (rd_err) { free(buf); snprintf(err, errlen, "%s: %s", path, rd_err == EISDIR ? "is a folder" : strerror(rd_err)); return -1; }
    int rc = cn_midi_read_mem(buf, len, path, opts, out, err, errlen);
    free(buf);
    /* skipped junk and an undercounted header lose nothing: only repairs that may */
    int lossy = out->repairs & ~(CN_MIDI_FIX_JUNK | CN_MIDI_FIX_MORE_TRACKS);
    if (rc == 0 && lossy) {
        char what[400];
        cn_midi_repairs_text(lossy, what, sizeof what);
        fprintf(stderr, "%s: warning: %s: repaired: %s: notes may be missing\n", program_invocation_short_name,
                path, what);
    }
    return rc;
}
