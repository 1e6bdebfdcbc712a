/* listen_run.c: one piece through the listening yardstick (see listen_run.h): the seed and
 * real windows, the generated continuation (offline or live), the features of both. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jam_sim.h"
#include "listen_run.h"
#include "musicstats.h"

/* The continuation's notes, moved so that it starts at 0. */
static cn_note *shifted(const cn_note *src, size_t n, double origin) {
    cn_note *v = malloc((n + 1) * sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) { v[i] = src[i]; v[i].start_beat -= origin; }
    return v;
}

static int fail(char *err, size_t errlen, int rc, const char *msg) {
    snprintf(err, errlen, "%s", msg);
    return rc;
}

/* Offline: cn_continue with the seed included, so the continuation's start is known. */
static int gen_offline(const cn_model *m, const cn_song *seed, const cn_listen_opts *o, uint64_t rng,
                       cn_song *full, int *n_seed, double *origin, char *err, size_t errlen) {
    cn_continue_opts co = o->cont;
    co.n_notes = 0; co.n_beats = o->cont_beats; co.max_tokens = 0;
    co.rng_seed = rng; co.include_seed = 1;
    cn_continue_info info;
    if (cn_continue(m, seed, &co, full, &info, err, errlen)) return -1;
    *n_seed = info.seed_notes;
    *origin = info.cont_start_beat;
    cn_continue_info_free(&info);
    return 0;
}

/* The call's last note-off. */
static double call_end(const cn_song *seed) {
    double end = 0;
    for (size_t i = 0; i < seed->n_notes; i++) end = fmax(end, seed->notes[i].start_beat + seed->notes[i].dur_beat);
    return end;
}

/* Live, the answer lasts as long as the call (first note-on to last note-off, at least one
 * beat), capped by response_beats (= C): the engine's documented turn-taking. */
static double answer_beats(const cn_song *seed, const cn_listen_opts *o) {
    double first_on = seed->n_notes ? seed->notes[0].start_beat : 0;
    return fmin(fmax(call_end(seed) - first_on, 1.0), o->cont_beats);
}

/* Live: the seed is the call, played into a fresh jam on the simulated clock; the answer
 * starts silence_beats after the call's last note-off. full gets the seed, then the answer,
 * on one clock. */
static int gen_live(cn_model *m, const cn_song *seed, const cn_listen_opts *o, uint64_t rng,
                    cn_song *full, int *n_seed, double *origin, char *err, size_t errlen) {
    double bpm = seed->n_tempos ? seed->tempos[0].bpm : 120;
    if (!(bpm >= 20)) bpm = 20;
    if (bpm > 300) bpm = 300;
    cn_jam_params p;
    cn_jam_params_default(&p);
    p.mode = CN_MODE_CALL_RESPONSE;
    p.temperature = o->temperature; p.top_p = o->top_p;
    p.response_beats = (float)o->cont_beats;
    p.thru = 0; p.channel_in = 0; p.channel_out = 1; p.quantize = CN_QUANT_OFF;
    p.seed = (uint32_t)(rng % 0xFFFFFFFFu) + 1;   /* never 0 (random) */
    p.bpm = (float)bpm;
    cn_jam *jam = cn_jam_new();
    if (!jam) return fail(err, errlen, -1, "out of memory");
    cn_jam_set_params(jam, &p);
    if (cn_jam_swap_model(jam, m, NULL, err, errlen)) { cn_jam_free(jam); return -1; }
    double last_off = call_end(seed);
    cn_jam_sim_opts so;
    cn_jam_sim_defaults(&so);
    so.bpm = bpm;
    so.beats_per_bar = seed->ts_num > 0 ? seed->ts_num : 4;
    so.length_beats = p.silence_beats + answer_beats(seed, o) + 2;
    cn_song rec;
    int rc = cn_jam_sim_run(jam, seed, &so, &rec, NULL, err, errlen);
    cn_model *back = NULL;
    cn_jam_swap_model(jam, NULL, &back, err, errlen);   /* m is the caller's again */
    cn_jam_free(jam);
    if (rc) return -1;
    cn_song_init(full);
    int ok = full->tempos != NULL;
    if (ok) { full->tempos[0].bpm = bpm; full->ts_num = seed->ts_num; full->ts_den = seed->ts_den; }
    for (size_t i = 0; ok && i < seed->n_notes; i++) {
        const cn_note *n = &seed->notes[i];
        ok = !cn_song_add_note(full, n->start_beat, n->dur_beat, n->pitch, n->velocity, n->channel);
    }
    *origin = last_off + p.silence_beats;
    for (size_t i = 0; ok && i < rec.n_notes; i++) {
        const cn_note *n = &rec.notes[i];
        if (n->start_beat < *origin - 1e-6) continue;   /* nothing plays before its turn; never counted */
        ok = !cn_song_add_note(full, fmax(n->start_beat, *origin), n->dur_beat, n->pitch, n->velocity, n->channel);
    }
    cn_song_free(&rec);
    if (!ok) { cn_song_free(full); return fail(err, errlen, -1, "out of memory"); }
    cn_song_sort(full);   /* the seed's notes all start before the answer: they stay first */
    *n_seed = (int)seed->n_notes;
    return 0;
}

/* The seed and the real continuation, as one song, for rendering. */
static int real_render(const cn_song *piece, double at, const cn_listen_opts *o, double span, cn_listen_render *r) {
    if (cn_song_window(piece, at, at + o->seed_beats + span, &r->song)) return -1;
    r->n_seed = 0;
    while ((size_t)r->n_seed < r->song.n_notes && r->song.notes[r->n_seed].start_beat < o->seed_beats - 1e-9) r->n_seed++;
    r->split = o->seed_beats;
    return 0;
}

int cn_listen_piece_run(cn_model *m, const cn_song *piece, const cn_listen_opts *o, uint64_t rng,
                        cn_listen_piece *out, cn_listen_render *gen, cn_listen_render *real,
                        char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (piece->n_notes == 0) return fail(err, errlen, 1, "no notes");
    double bar = piece->ts_num > 0 && piece->ts_den > 0 ? piece->ts_num * 4.0 / piece->ts_den : 4.0;
    double at = floor(piece->notes[0].start_beat / bar + 1e-9) * bar;
    out->offset = at;
    if (piece->end_beat < at + o->seed_beats + o->cont_beats - 1e-9) {
        snprintf(err, errlen, "shorter than the seed and the continuation (%.1f beats from beat %g, %g needed)",
                 piece->end_beat - at, at, o->seed_beats + o->cont_beats);
        return 1;
    }
    cn_song seed, truth, full;
    memset(&full, 0, sizeof full);
    if (cn_song_window(piece, at, at + o->seed_beats, &seed)) return fail(err, errlen, -1, "out of memory");
    seed.end_beat = o->seed_beats;   /* the continuation starts where the window ends */
    if (seed.n_notes == 0) { cn_song_free(&seed); return fail(err, errlen, 1, "no notes in the seed"); }
    double span = o->live ? answer_beats(&seed, o) : o->cont_beats;
    out->span = span;
    int rc = -1;
    if (cn_song_window(piece, at + o->seed_beats, at + o->seed_beats + span, &truth)) {
        cn_song_free(&seed);
        return fail(err, errlen, -1, "out of memory");
    }
    if (truth.n_notes == 0) { rc = fail(err, errlen, 1, "no notes in the real continuation"); goto out; }
    if (cn_listen_features(seed.notes, seed.n_notes, truth.notes, truth.n_notes, span, out->real)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    out->seed_notes = (int)seed.n_notes;
    out->real_notes = (int)truth.n_notes;
    if (m) {   /* the generated side */
        int n_seed = 0;
        double origin = 0;
        if (o->live ? gen_live(m, &seed, o, rng, &full, &n_seed, &origin, err, errlen)
                    : gen_offline(m, &seed, o, rng, &full, &n_seed, &origin, err, errlen)) goto out;
        size_t ng = full.n_notes - (size_t)n_seed;
        cn_note *gn = shifted(full.notes + n_seed, ng, origin);
        if (!gn || cn_listen_features(seed.notes, seed.n_notes, gn, ng, span, out->gen)) {
            free(gn);
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        free(gn);
        for (size_t i = 0; i < ng; i++) out->gen_notes += full.notes[n_seed + i].start_beat - origin < span;
        if (gen) { gen->song = full; gen->n_seed = n_seed; gen->split = origin; memset(&full, 0, sizeof full); }
    }
    rc = 0;
    if (real && real_render(piece, at, o, span, real)) {
        snprintf(err, errlen, "out of memory");
        if (gen) cn_song_free(&gen->song);
        rc = -1;
    }
out:
    cn_song_free(&full);
    cn_song_free(&truth);
    cn_song_free(&seed);
    return rc;
}
