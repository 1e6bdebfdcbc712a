/* test_jam.c: the live engine driven as a host would drive it. A simulated audio loop calls
 * cn_jam_run block by block (sizes 0, 1, 7, 64, 4096, mixed) and cn_jam_work between
 * blocks, like a worker thread that is always fast enough; every output is recorded with
 * its absolute frame and checked: answers after the silence, stopping at once when the
 * player comes back, note balance, order and range, the panics, channels and timing. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "jam.h"
#include "jam_controls.h"
#include "jam_internal.h"   /* JAM_PANIC_ECHO */
#include "nn.h"
#include "rng.h"
#include "test.h"
#include "tokens.h"

#define SR 48000.0
#define MAX_REC 20000
#define MAX_IN 4096

typedef struct { uint64_t frame; uint8_t d[3]; uint8_t size; } rec_msg;

typedef struct {
    cn_jam *j;
    uint64_t frame;             /* absolute frame at the next block */
    int host;                   /* host time on */
    double host_bpm, host_beat0;   /* host beat at absolute frame 0 */
    cn_host_pos pos;            /* the report of the segment being run */
    int jack;                   /* report as jack_transport does: integer BBT ticks, once a block */
    int64_t jtick;              /* its ticks since the start (truncated increments, as it does) */
    int64_t jframe;             /* its transport frame */
    int rolling;
    const int *sizes; int n_sizes, size_i;   /* the block sizes, cycled */
    rec_msg rec[MAX_REC]; int n_rec;
    rec_msg in[MAX_IN]; int n_in, in_pos;    /* scheduled player input, sorted by frame */
    int bad_order, bad_range;
} sim;

static const int SIZES_64[] = { 64 };
static const int SIZES_MIX[] = { 0, 1, 7, 64, 4096, 7, 0, 64, 1, 4096, 64 };

/* Every test runs twice: with an event-encoded model, then a note-encoded one. */
static int use_note_model;

static cn_model *note_test_model(uint64_t seed) {
    char err[256];
    cn_model *m = cn_model_new("lstm:16", CN_NT_VOCAB, seed, err, sizeof err);
    if (!m) { fprintf(stderr, "model: %s\n", err); return NULL; }
    m->encoding = CN_ENC_NOTE;
    const cn_tensor *b = cn_model_tensor(m, "out.bias");   /* leaning as the event model's below */
    if (b && b->size == CN_NT_VOCAB) {
        float *bias = m->params + b->offset;
        for (int p = 55; p < 80; p++) bias[CN_NT_PITCH + p] += 3.0f;
        for (int d = 0; d < 12; d++) bias[CN_NT_DUR + d] += 2.0f;
        for (int n = 1; n <= CN_NT_MAX_SHIFT; n++) bias[CN_NT_SHIFT + n - 1] += n <= 6 ? 3.0f : -3.0f;
    } else {
        fprintf(stderr, "model: no out.bias tensor\n");
    }
    return m;
}

static cn_model *test_model(uint64_t seed) {
    if (use_note_model) return note_test_model(seed);
    char err[256];
    cn_model *m = cn_model_new("lstm:16", CN_EV_VOCAB, seed, err, sizeof err);
    if (!m) { fprintf(stderr, "model: %s\n", err); return NULL; }
    /* Untrained weights, with the output bias leaning to what a player does: notes in the
     * middle of the keyboard and short steps. Then every answer has notes, whatever the
     * seed, and the tests check the engine rather than luck. */
    const cn_tensor *b = cn_model_tensor(m, "out.bias");
    if (b && b->size == CN_EV_VOCAB) {
        float *bias = m->params + b->offset;
        for (int p = 55; p < 80; p++) bias[CN_EV_NOTE_ON + p] += 3.0f;
        for (int p = 0; p < 128; p++) bias[CN_EV_NOTE_OFF + p] += 3.0f;
        for (int n = 1; n <= CN_EV_MAX_SHIFT; n++) bias[CN_EV_SHIFT + n - 1] += n <= 6 ? 3.0f : -3.0f;
    } else {
        fprintf(stderr, "model: no out.bias tensor\n");
    }
    return m;
}

static void sim_init(sim *s, const cn_jam_params *p, const int *sizes, int n_sizes) {
    memset(s, 0, sizeof *s);
    s->j = cn_jam_new();
    cn_jam_set_params(s->j, p);
    char err[256];
    cn_model *old = NULL;
    if (cn_jam_swap_model(s->j, test_model(7), &old, err, sizeof err)) fprintf(stderr, "swap: %s\n", err);
    s->sizes = sizes; s->n_sizes = n_sizes;
    s->host_bpm = 120; s->rolling = 1;
}
static void sim_free(sim *s) { cn_jam_free(s->j); }

static double fpb_of(const sim *s, double bpm) { (void)s; return SR * 60.0 / bpm; }

/* schedule a player's message at an absolute frame */
static void sim_in(sim *s, uint64_t frame, uint8_t a, uint8_t b, uint8_t c) {
    if (s->n_in >= MAX_IN) return;
    int i = s->n_in++;
    while (i > s->in_pos && s->in[i - 1].frame > frame) { s->in[i] = s->in[i - 1]; i--; }
    s->in[i].frame = frame; s->in[i].d[0] = a; s->in[i].d[1] = b; s->in[i].d[2] = c; s->in[i].size = 3;
}
static void sim_note(sim *s, double beat, double len, int pitch, int ch, double bpm) {
    double f = fpb_of(s, bpm);
    sim_in(s, (uint64_t)llround(beat * f), (uint8_t)(0x90 | ch), (uint8_t)pitch, 90);
    sim_in(s, (uint64_t)llround((beat + len) * f), (uint8_t)(0x80 | ch), (uint8_t)pitch, 0);
}

static void sim_record(sim *s, uint64_t base, const cn_midi_msg *m, int n, uint32_t lo, uint32_t hi) {
    for (int i = 0; i < n; i++) {
        if (m[i].frame < lo || m[i].frame >= hi) s->bad_range++;
        if (i > 0 && m[i].frame < m[i - 1].frame) s->bad_order++;
        if (s->n_rec > 0 && base + m[i].frame < s->rec[s->n_rec - 1].frame) s->bad_order++;
        if (s->n_rec < MAX_REC) {
            rec_msg *r = &s->rec[s->n_rec++];
            r->frame = base + m[i].frame; r->size = m[i].size; memcpy(r->d, m[i].data, 3);
        }
    }
}

/* A host that reports its exact beat, tempo and rolling state on every segment. */
static cn_jam_time sim_time(sim *s, uint32_t offset, uint32_t n, uint64_t abs_frame) {
    cn_jam_time t; memset(&t, 0, sizeof t);
    t.offset = offset; t.n_frames = n; t.sample_rate = SR;
    t.host_time = s->host;
    s->pos = cn_host_pos_none();
    s->pos.has_beat = 1; s->pos.beat = s->host_beat0 + (double)abs_frame / fpb_of(s, s->host_bpm);
    s->pos.bpm = s->host_bpm; s->pos.beats_per_bar = 4;
    s->pos.has_speed = 1; s->pos.speed = s->rolling ? 1 : 0;
    t.pos = s->host ? &s->pos : NULL;
    if (s->jack) {   /* 1920 ticks a beat, bar 4 beats; the tick runs slow by its truncation */
        s->pos = cn_host_pos_none();
        int64_t beats = s->jtick / 1920;
        s->pos.has_bar = 1; s->pos.bar = (double)(beats / 4);
        s->pos.has_bar_beat = 1; s->pos.bar_beat = (double)(beats % 4) + (double)(s->jtick % 1920) / 1920.0;
        s->pos.resolution = 1.0 / 1920; s->pos.bpm = s->host_bpm; s->pos.beats_per_bar = 4;
        s->pos.has_frame = 1; s->pos.frame = (double)s->jframe;
        s->pos.has_speed = 1; s->pos.speed = s->rolling ? 1 : 0;
        t.pos = offset == 0 ? &s->pos : NULL;   /* JACK: one position a cycle */
    }
    return t;
}

/* jack_transport's BBT after a block of n frames (its timebase callback, increments truncated) */
static void jack_tick_on(sim *s, uint64_t n) {
    if (!s->jack || !s->rolling) return;
    s->jtick += (int64_t)((double)n * 1920.0 * s->host_bpm / (SR * 60.0));
    s->jframe += (int64_t)n;
}
/* the host beat jack_transport reports for an absolute frame of the block starting at base */
static double jack_beat_at(const sim *s, int64_t tick_at_base, uint64_t base, uint64_t frame) {
    (void)s;
    return (double)tick_at_base / 1920.0 + (double)(frame - base) * s->host_bpm / (SR * 60.0);
}

/* Run n frames; blocks are split in two segments half the time, to cover offset > 0. */
static void sim_run(sim *s, uint64_t n) {
    static cn_midi_msg in[MAX_IN], out[512];
    uint64_t end = s->frame + n;
    while (s->frame < end) {
        uint64_t bs = (uint64_t)s->sizes[s->size_i++ % s->n_sizes];
        if (bs > end - s->frame) bs = end - s->frame;
        uint32_t split = (bs > 8 && (s->size_i & 1)) ? (uint32_t)(bs / 3) : (uint32_t)bs;
        for (int seg = 0; seg < 2; seg++) {
            uint32_t lo = seg ? split : 0, hi = seg ? (uint32_t)bs : split;
            if (seg && lo == hi) break;
            int n_in = 0;
            while (s->in_pos < s->n_in && s->in[s->in_pos].frame < s->frame + hi) {
                const rec_msg *r = &s->in[s->in_pos++];
                in[n_in].frame = (uint32_t)(r->frame - s->frame); in[n_in].size = r->size;
                memcpy(in[n_in].data, r->d, 3);
                n_in++;
            }
            cn_jam_time t = sim_time(s, lo, hi - lo, s->frame + lo);
            int k = cn_jam_run(s->j, &t, in, n_in, out, 512);
            sim_record(s, s->frame, out, k, lo, hi);
        }
        if (bs == 0) {   /* run(0) too, then time must still move on */
            cn_jam_time t = sim_time(s, 0, 0, s->frame);
            CHECK(cn_jam_run(s->j, &t, NULL, 0, out, 512) == 0);
            bs = 0;
        }
        s->frame += bs;
        jack_tick_on(s, bs);
        if (cn_jam_wants_work(s->j)) cn_jam_work(s->j, 100000);
    }
}

static void sim_beats(sim *s, double beats, double bpm) { sim_run(s, (uint64_t)llround(beats * fpb_of(s, bpm))); }

/* ---- what came out ---- */
static int is_on(const rec_msg *r, int ch) { return (r->d[0] & 0xF0) == 0x90 && r->d[2] > 0 && (ch < 0 || (r->d[0] & 15) == ch); }
static int is_off(const rec_msg *r, int ch) {
    return ((r->d[0] & 0xF0) == 0x80 || ((r->d[0] & 0xF0) == 0x90 && r->d[2] == 0)) && (ch < 0 || (r->d[0] & 15) == ch);
}
static int is_cc(const rec_msg *r, int cc) { return (r->d[0] & 0xF0) == 0xB0 && r->d[1] == cc; }

static int count_on(const sim *s, int ch, uint64_t from, uint64_t to) {
    int n = 0;
    for (int i = 0; i < s->n_rec; i++) if (is_on(&s->rec[i], ch) && s->rec[i].frame >= from && s->rec[i].frame < to) n++;
    return n;
}
static int64_t first_on(const sim *s, int ch, uint64_t from) {
    for (int i = 0; i < s->n_rec; i++) if (is_on(&s->rec[i], ch) && s->rec[i].frame >= from) return (int64_t)s->rec[i].frame;
    return -1;
}
/* notes of channel ch sounding after all recorded output (-1: an off without an on) */
static int hanging(const sim *s, int ch) {
    int held[128] = {0}, n = 0;
    for (int i = 0; i < s->n_rec; i++) {
        const rec_msg *r = &s->rec[i];
        if (is_on(r, ch)) { if (held[r->d[1]]) return -1000; held[r->d[1]] = 1; }   /* double on */
        else if (is_off(r, ch)) held[r->d[1]] = 0;
        else if (is_cc(r, 123) && (r->d[0] & 15) == ch) memset(held, 0, sizeof held);
    }
    for (int p = 0; p < 128; p++) n += held[p];
    return n;
}

static cn_jam_params params_cr(void) {
    cn_jam_params p;
    cn_jam_params_default(&p);
    p.mode = CN_MODE_CALL_RESPONSE; p.channel_out = 2; p.seed = 42; p.silence_beats = 1; p.response_beats = 8;
    return p;
}

static void seed_phrase(sim *s, double at, int ch, double bpm) {
    static const int pitches[] = { 60, 62, 64, 65, 67, 65, 64, 62 };
    for (int i = 0; i < 8; i++) sim_note(s, at + 0.5 * i, 0.43, pitches[i], ch, bpm);   /* ends off the grid */
}

TEST(answer_after_silence) {
    static sim s;
    cn_jam_params p = params_cr();
    sim_init(&s, &p, SIZES_64, 1);
    seed_phrase(&s, 0.0, 0, 120);   /* last note-off at beat 3.93 */
    sim_beats(&s, 16, 120);
    double fpb = fpb_of(&s, 120);
    int64_t f = first_on(&s, 1, 0);
    CHECKF(f >= 0, "no answer at all");
    CHECKF(f >= (int64_t)llround((3.93 + 1.0) * fpb) - 1, "answer at frame %lld, before the silence ended", (long long)f);
    /* and it begins when due: on the first grid step (1/12 beat) at or after 4.93, beat 5 */
    CHECKF(f >= 0 && llabs(f - (int64_t)llround(5.0 * fpb)) <= 1, "answer at frame %lld, not at beat 5", (long long)f);
    /* the answer's length follows the call: 3.93 beats from 4.93 */
    CHECK(count_on(&s, 1, (uint64_t)llround((4.93 + 3.93) * fpb) + 1, UINT64_MAX) == 0);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) >= 2);
    CHECK(count_on(&s, 0, 0, UINT64_MAX) == 8);   /* thru */
    CHECK(hanging(&s, 1) == 0);
    CHECK(hanging(&s, 0) == 0);
    CHECK(s.bad_order == 0 && s.bad_range == 0);
    sim_free(&s);
}

TEST(no_answer_while_a_key_is_held) {
    static sim s;
    cn_jam_params p = params_cr();
    sim_init(&s, &p, SIZES_64, 1);
    seed_phrase(&s, 0.0, 0, 120);
    sim_note(&s, 0.0, 10.0, 48, 0, 120);   /* a bass note held to beat 10 */
    sim_beats(&s, 24, 120);   /* the answer: 11 to 19 */
    double fpb = fpb_of(&s, 120);
    int64_t f = first_on(&s, 1, 0);
    CHECKF(f >= (int64_t)llround(11.0 * fpb) - 1, "answer at frame %lld while a key was held", (long long)f);
    CHECK(f >= 0);
    CHECK(hanging(&s, 1) == 0);
    sim_free(&s);
}

/* A note-off lost on the way (a cycle a loaded JACK server dropped) then the same key again:
 * its one note-off ends the key, the call ends and is answered. Counting the two note-ons
 * left a key down for ever, and the engine never answered again. */
TEST(a_lost_note_off_does_not_stick_a_key) {
    static sim s;
    cn_jam_params p = params_cr();
    sim_init(&s, &p, SIZES_64, 1);
    double fpb = fpb_of(&s, 120);
    sim_in(&s, 0, 0x90, 64, 90);   /* its note-off never comes */
    sim_note(&s, 1.0, 0.4, 62, 0, 120);
    sim_note(&s, 2.0, 0.4, 64, 0, 120);   /* the same key again, and its note-off */
    sim_beats(&s, 12, 120);
    int64_t f = first_on(&s, 1, 0);
    CHECKF(f >= 0, "no answer: the key whose note-off was lost is still down");
    CHECKF(f >= (int64_t)llround(3.4 * fpb), "answer at frame %lld, before the call ended", (long long)f);
    CHECK(hanging(&s, 1) == 0);
    sim_free(&s);
}

TEST(playing_again_stops_the_answer_at_once) {
    static sim s;
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(&s, &p, SIZES_64, 1);
    for (int i = 0; i < 16; i++) sim_note(&s, 0.5 * i, 0.45, 60 + (i % 5), 0, 120);   /* last off 7.95 */
    double fpb = fpb_of(&s, 120);
    uint64_t back = (uint64_t)llround(11.3 * fpb);   /* the player comes back mid-answer */
    sim_note(&s, 11.3, 0.5, 72, 0, 120);
    sim_beats(&s, 11.0, 120);
    int before = count_on(&s, 1, 0, UINT64_MAX);
    CHECKF(before > 0, "no answer before the player came back");
    /* what the engine holds just before the player's note */
    sim_run(&s, back - s.frame);   /* up to the frame before the player's note */
    int held_now = hanging(&s, 1);
    sim_beats(&s, 0.2, 120);   /* past 11.3 */
    int offs_at = 0;
    for (int i = 0; i < s.n_rec; i++)
        if (s.rec[i].frame == back && is_off(&s.rec[i], 1)) offs_at++;
    CHECKF(offs_at == held_now, "%d note-offs at the player's frame, %d were held", offs_at, held_now);
    CHECK(hanging(&s, 1) == 0);
    /* nothing more until the new call (11.3..11.8) has had its silence */
    sim_beats(&s, 2.0, 120);
    CHECK(count_on(&s, 1, back, (uint64_t)llround(12.8 * fpb) - 1) == 0);
    sim_beats(&s, 6, 120);
    CHECK(hanging(&s, 1) == 0);
    CHECK(s.bad_order == 0 && s.bad_range == 0);
    sim_free(&s);
}

TEST(note_balance_sorted_in_range_any_block_size) {
    static sim s;
    cn_jam_params p = params_cr();
    p.silence_beats = 0.5; p.temperature = 1.5f;
    sim_init(&s, &p, SIZES_MIX, (int)(sizeof SIZES_MIX / sizeof *SIZES_MIX));
    uint64_t rng = cn_rng_seed(5);
    double beat = 0;
    for (int phrase = 0; phrase < 12; phrase++) {   /* phrases with gaps of random length */
        int n = 1 + (int)(cn_rng_uniform(&rng) * 8);
        for (int i = 0; i < n; i++) {
            double gap = 0.25 + cn_rng_uniform(&rng);   /* notes never overlap: the player is clean */
            sim_note(&s, beat, gap - 0.05 - 0.1 * cn_rng_uniform(&rng), 40 + (int)(cn_rng_uniform(&rng) * 40), 0, 120);
            beat += gap;
        }
        beat += cn_rng_uniform(&rng) * 6;
    }
    sim_beats(&s, beat + 30, 120);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 10);
    CHECKF(hanging(&s, 1) == 0, "hanging %d", hanging(&s, 1));
    CHECK(hanging(&s, 0) == 0);
    CHECKF(s.bad_order == 0, "%d out of order", s.bad_order);
    CHECKF(s.bad_range == 0, "%d out of range", s.bad_range);
    sim_free(&s);
}

TEST(transport_stop_panics) {
    static sim s;
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(&s, &p, SIZES_64, 1);
    s.host = 1; s.host_bpm = 120; s.rolling = 1;
    for (int i = 0; i < 16; i++) sim_note(&s, 0.5 * i, 0.45, 60 + (i % 5), 0, 120);
    sim_beats(&s, 10.0, 120);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 0);
    int held = hanging(&s, 1);
    uint64_t stop = s.frame;
    s.rolling = 0;
    sim_beats(&s, 1.0, 120);
    int cc = 0, offs = 0;
    for (int i = 0; i < s.n_rec; i++) {
        if (s.rec[i].frame != stop) continue;
        if (is_cc(&s.rec[i], 123) && (s.rec[i].d[0] & 15) == 1) cc++;
        if (is_off(&s.rec[i], 1)) offs++;
    }
    CHECK(cc == 1);
    CHECKF(offs == held, "%d offs, %d held", offs, held);
    CHECK(count_on(&s, 1, stop, UINT64_MAX) == 0);
    CHECK(hanging(&s, 1) == 0);
    /* the next JAM_PANIC_ECHO blocks open with CC123 again (a block a loaded host drops
     * loses the panic), and then no more */
    int echoes = 0, later = 0;
    for (int i = 0; i < s.n_rec; i++) {
        if (s.rec[i].frame <= stop || !is_cc(&s.rec[i], 123)) continue;
        if (s.rec[i].frame <= stop + 64 * JAM_PANIC_ECHO && (s.rec[i].frame - stop) % 64 == 0) echoes++;
        else later++;
    }
    CHECKF(echoes == JAM_PANIC_ECHO && later == 0, "%d echoes of the panic, %d CC123 later", echoes, later);
    sim_free(&s);
}

/* Notes of channel ch never given a note-off of their own (CC123 not counted), with the
 * output of frames [lo, hi) lost, as a JACK server loses the block of a client that is late. */
static int unended_without(const sim *s, int ch, uint64_t lo, uint64_t hi) {
    int held[128] = {0}, n = 0;
    for (int i = 0; i < s->n_rec; i++) {
        const rec_msg *r = &s->rec[i];
        if (r->frame >= lo && r->frame < hi) continue;
        if (is_on(r, ch)) held[r->d[1]] = 1;
        else if (is_off(r, ch)) held[r->d[1]] = 0;
    }
    for (int p = 0; p < 128; p++) n += held[p];
    return n;
}

/* A call, then the answer run until one of its notes sounds: the panic tests' start. */
static int answer_sounding(sim *s, int host) {
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(s, &p, SIZES_64, 1);
    if (host) { s->host = 1; s->host_bpm = 120; s->rolling = 1; }
    for (int i = 0; i < 16; i++) sim_note(s, 0.5 * i, 0.45, 60 + (i % 5), 0, 120);
    sim_beats(s, 8.5, 120);
    for (int i = 0; i < 64 && hanging(s, 1) == 0; i++) sim_beats(s, 0.125, 120);   /* mid-note */
    return hanging(s, 1);
}

TEST(a_dropped_panic_block_still_ends_every_note) {
    static sim s;
    int held = answer_sounding(&s, 1);
    CHECKF(held > 0, "%d of our notes sounding at the stop", held);
    uint64_t stop = s.frame;
    s.rolling = 0;
    sim_beats(&s, 1.0, 120);
    /* the panic's own block lost: the echoes in the next blocks still end each note with a
     * note-off, for a synth that ignores CC123; losing the first echo as well, the second */
    CHECKF(unended_without(&s, 1, stop, stop + 64) == 0, "%d notes left without a note-off",
           unended_without(&s, 1, stop, stop + 64));
    CHECK(unended_without(&s, 1, stop, stop + 128) == 0);
    /* and each echo ends exactly the notes the panic ended, no others */
    int offs = 0;
    for (int i = 0; i < s.n_rec; i++)
        if (s.rec[i].frame > stop && is_off(&s.rec[i], -1)) offs++;
    CHECKF(offs == JAM_PANIC_ECHO * held, "%d note-offs in the echoes, %d notes", offs, held);
    sim_free(&s);
}

/* continuo-jack's exit panics in three cycles by calling cn_jam_panic in each: every call
 * ends the first call's notes again, since the server may drop any one of those cycles */
TEST(a_repeated_panic_sends_the_offs_again) {
    static sim s;
    int held = answer_sounding(&s, 0);
    CHECKF(held > 0, "%d of our notes sounding", held);
    for (int call = 0; call < 3; call++) {
        cn_midi_msg out[64];
        int n = cn_jam_panic(s.j, 0, out, 64), offs = 0, cc = 0;
        for (int i = 0; i < n; i++) {
            if ((out[i].data[0] & 0xF0) == 0x80 && (out[i].data[0] & 15) == 1) offs++;
            if ((out[i].data[0] & 0xF0) == 0xB0 && out[i].data[1] == 123 && (out[i].data[0] & 15) == 1) cc++;
        }
        CHECKF(offs == held && cc == 1, "panic %d: %d note-offs for %d notes, %d CC123", call + 1, offs, held, cc);
    }
    sim_free(&s);
}

TEST(an_echo_spares_a_note_played_after_the_panic) {
    static sim s;
    cn_jam_params p = params_cr();
    p.thru = 1;
    sim_init(&s, &p, SIZES_64, 1);
    s.host = 1; s.host_bpm = 120; s.rolling = 1;
    sim_in(&s, 1000, 0x90, 60, 90);             /* the player holds C4 through the stop */
    sim_beats(&s, 1.0, 120);
    uint64_t stop = s.frame;
    s.rolling = 0;
    sim_in(&s, stop + 10, 0x80, 60, 0);         /* lets go, and plays it again a block later */
    sim_in(&s, stop + 70, 0x90, 60, 90);
    sim_beats(&s, 0.5, 120);
    int ended = 0, cut = 0;
    for (int i = 0; i < s.n_rec; i++) {
        const rec_msg *r = &s.rec[i];
        if (!is_off(r, 0) || r->d[1] != 60) continue;
        if (r->frame == stop) ended++;           /* the panic ends the passed-through note */
        if (r->frame > stop + 70) cut++;         /* an echo would cut the new one */
    }
    CHECK(ended == 1);
    CHECKF(cut == 0, "%d note-offs cut the note played after the panic", cut);
    CHECK(hanging(&s, 0) == 1);                  /* the new note sounds on */
    sim_free(&s);
}

TEST(incoming_cc123_and_cc120_honoured) {
    for (int which = 0; which < 2; which++) {
        static sim s;
        cn_jam_params p = params_cr();
        p.response_beats = 16;
        sim_init(&s, &p, SIZES_64, 1);
        for (int i = 0; i < 16; i++) sim_note(&s, 0.5 * i, 0.45, 60 + (i % 5), 0, 120);
        double fpb = fpb_of(&s, 120);
        uint64_t at = (uint64_t)llround(10.0 * fpb);
        int cc = which ? 120 : 123;
        sim_in(&s, at, 0xB0, (uint8_t)cc, 0);
        sim_beats(&s, 9.99, 120);
        int held = hanging(&s, 1);
        CHECK(count_on(&s, 1, 0, UINT64_MAX) > 0);
        sim_beats(&s, 8, 120);
        int ours = 0, passed = 0, offs = 0;
        for (int i = 0; i < s.n_rec; i++) {
            if (s.rec[i].frame != at) continue;
            if (is_cc(&s.rec[i], 123) && (s.rec[i].d[0] & 15) == 1) ours++;
            if (is_cc(&s.rec[i], cc) && (s.rec[i].d[0] & 15) == 0) passed++;
            if (is_off(&s.rec[i], 1)) offs++;
        }
        CHECK(ours == 1);
        CHECK(passed == 1);
        CHECK(offs == held);
        CHECK(count_on(&s, 1, at, UINT64_MAX) == 0);
        CHECK(hanging(&s, 1) == 0);
        sim_free(&s);
    }
}

TEST(mode_change_panics) {
    static sim s;
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(&s, &p, SIZES_64, 1);
    for (int i = 0; i < 16; i++) sim_note(&s, 0.5 * i, 0.45, 60 + (i % 5), 0, 120);
    sim_beats(&s, 10.0, 120);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 0);
    uint64_t at = s.frame;
    p.mode = CN_MODE_OFF;
    cn_jam_set_params(s.j, &p);
    sim_beats(&s, 4, 120);
    int cc = 0;
    for (int i = 0; i < s.n_rec; i++) if (s.rec[i].frame == at && is_cc(&s.rec[i], 123)) cc++;
    CHECK(cc == 1);
    CHECK(hanging(&s, 1) == 0);
    CHECK(count_on(&s, 1, at, UINT64_MAX) == 0);
    sim_free(&s);
}

TEST(model_swap_panics) {
    static sim s;
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(&s, &p, SIZES_64, 1);
    for (int i = 0; i < 16; i++) sim_note(&s, 0.5 * i, 0.45, 60 + (i % 5), 0, 120);
    sim_beats(&s, 10.0, 120);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 0);
    char err[256];
    cn_model *old = NULL;
    CHECK(cn_jam_swap_model(s.j, test_model(8), &old, err, sizeof err) == 0);
    CHECK(old != NULL);
    cn_model_free(old);
    uint64_t at = s.frame;
    sim_beats(&s, 2, 120);
    int cc = 0;
    for (int i = 0; i < s.n_rec; i++) if (s.rec[i].frame == at && is_cc(&s.rec[i], 123)) cc++;
    CHECK(cc == 1);
    CHECK(hanging(&s, 1) == 0);
    /* and the new model answers the next call */
    uint64_t from = s.frame;
    seed_phrase(&s, (double)s.frame / fpb_of(&s, 120) + 0.5, 0, 120);
    sim_beats(&s, 14, 120);
    CHECK(count_on(&s, 1, from, UINT64_MAX) > 0);
    CHECK(hanging(&s, 1) == 0);
    sim_free(&s);
}

TEST(continuous_mode_plays_along) {
    static sim s;
    cn_jam_params p = params_cr();
    p.mode = CN_MODE_CONTINUOUS;
    sim_init(&s, &p, SIZES_MIX, (int)(sizeof SIZES_MIX / sizeof *SIZES_MIX));
    seed_phrase(&s, 0.0, 0, 120);
    sim_beats(&s, 16, 120);
    double fpb = fpb_of(&s, 120);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 4);
    CHECK(count_on(&s, 1, (uint64_t)llround(8 * fpb), UINT64_MAX) > 0);   /* still going after the player */
    p.mode = CN_MODE_OFF;
    cn_jam_set_params(s.j, &p);
    sim_beats(&s, 2, 120);
    CHECK(hanging(&s, 1) == 0);
    CHECK(s.bad_order == 0 && s.bad_range == 0);
    sim_free(&s);
}

TEST(channel_filter) {
    static sim s;
    cn_jam_params p = params_cr();
    p.channel_in = 3;
    sim_init(&s, &p, SIZES_64, 1);
    seed_phrase(&s, 0.0, 0, 120);   /* channel 1: not ours */
    sim_beats(&s, 12, 120);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) == 0);
    CHECK(count_on(&s, 0, 0, UINT64_MAX) == 8);   /* still passed through */
    uint64_t from = s.frame;
    seed_phrase(&s, 12.5, 2, 120);   /* channel 3 */
    sim_beats(&s, 14, 120);
    CHECK(count_on(&s, 1, from, UINT64_MAX) > 0);
    CHECK(hanging(&s, 1) == 0);
    sim_free(&s);
}

TEST(thru_off_passes_only_the_panic) {
    static sim s;
    cn_jam_params p = params_cr();
    p.thru = 0;
    sim_init(&s, &p, SIZES_64, 1);
    seed_phrase(&s, 0.0, 0, 120);
    sim_beats(&s, 12, 120);
    CHECK(count_on(&s, 0, 0, UINT64_MAX) == 0);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 0);
    sim_free(&s);
}

/* Every generated event sits on the 1/12-beat grid, so its frame must be
 * (k/12 - beat_at_frame0) * fpb within one frame, for some integer k. */
static int grid_misses(const sim *s, int ch, double beat0, double fpb) {
    int bad = 0;
    for (int i = 0; i < s->n_rec; i++) {
        const rec_msg *r = &s->rec[i];
        if (!is_on(r, ch)) continue;
        double b = beat0 + (double)r->frame / fpb;
        double k = floor(b * 12 + 0.5);
        double want = (k / 12 - beat0) * fpb;
        if (fabs(want - (double)r->frame) > 1.0) {
            bad++;
            fprintf(stderr, "  on at frame %llu, grid frame %.2f\n", (unsigned long long)r->frame, want);
        }
    }
    return bad;
}

TEST(timing_own_tempo_and_host_tempo) {
    static sim s;
    cn_jam_params p = params_cr();
    p.bpm = 120;
    sim_init(&s, &p, SIZES_MIX, (int)(sizeof SIZES_MIX / sizeof *SIZES_MIX));
    seed_phrase(&s, 0.0, 0, 120);
    sim_beats(&s, 16, 120);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 0);
    CHECK(grid_misses(&s, 1, 0.0, fpb_of(&s, 120)) == 0);
    sim_free(&s);

    /* host tempo 100 bpm, host beat 0.37 at frame 0: the own tempo must not matter */
    p.bpm = 171;
    sim_init(&s, &p, SIZES_MIX, (int)(sizeof SIZES_MIX / sizeof *SIZES_MIX));
    s.host = 1; s.host_bpm = 100; s.host_beat0 = 0.37;
    seed_phrase(&s, 0.0, 0, 100);
    sim_beats(&s, 16, 100);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 0);
    CHECK(grid_misses(&s, 1, 0.37, fpb_of(&s, 100)) == 0);
    sim_free(&s);
}

/* The bug of issue 12: a JACK timebase master (jack_transport) reports integer BBT ticks once
 * a cycle, and its tick runs slow by the truncation of each cycle's increment. The engine must
 * answer as with a clean host, its notes on that host's reported 1/12-beat grid (within the
 * clock's slew lag, 0.01 beat), at 90 and at 140 bpm. */
TEST(answer_under_a_jittery_timebase_master) {
    static const double tempos[] = { 90, 140 };
    for (int k = 0; k < 2; k++) {
        static sim s;
        cn_jam_params p = params_cr();
        p.quantize = CN_QUANT_BEAT;
        sim_init(&s, &p, SIZES_64, 1);   /* 256-frame cycles, as jackd -p 256 */
        static const int SIZES_256[] = { 256 };
        s.sizes = SIZES_256; s.n_sizes = 1;
        s.host = 1; s.jack = 1; s.host_bpm = tempos[k]; s.rolling = 1;
        seed_phrase(&s, 0.25, 0, tempos[k]);
        /* run block by block, noting the host's reported tick at each block's start */
        static int64_t tick_at[4096];
        uint64_t blocks = (uint64_t)(16 * fpb_of(&s, tempos[k]) / 256);
        for (uint64_t b = 0; b < blocks && b < 4096; b++) { tick_at[b] = s.jtick; sim_run(&s, 256); }
        int n = count_on(&s, 1, 0, UINT64_MAX), off_grid = 0;
        for (int i = 0; i < s.n_rec; i++) {
            if (!is_on(&s.rec[i], 1)) continue;
            uint64_t b = s.rec[i].frame / 256;
            double hb = jack_beat_at(&s, tick_at[b], b * 256, s.rec[i].frame);
            double miss = fabs(hb * 12 - floor(hb * 12 + 0.5)) / 12;
            if (miss > 0.01) { off_grid++; fprintf(stderr, "  %g bpm: on at host beat %.4f\n", tempos[k], hb); }
        }
        CHECKF(n >= 3, "%g bpm: %d notes of the answer", tempos[k], n);
        CHECKF(off_grid == 0, "%g bpm: %d of %d notes off the host's grid", tempos[k], off_grid, n);
        CHECK(hanging(&s, 1) == 0 || s.n_rec > 0);
        sim_free(&s);
    }
}

/* A relocation (the transport frame jumps) mid-answer cancels it: note-offs at once, no more
 * notes of that answer. */
/* The transport stopped at first (a master, not rolling), then rolling: it answers. */
TEST(answer_after_the_transport_starts) {
    static sim s;
    cn_jam_params p = params_cr();
    p.quantize = CN_QUANT_BEAT;
    sim_init(&s, &p, SIZES_64, 1);
    static const int SIZES_256[] = { 256 };
    s.sizes = SIZES_256; s.n_sizes = 1;
    s.host = 1; s.jack = 1; s.host_bpm = 90; s.rolling = 0;
    sim_beats(&s, 3.3, 90);
    s.rolling = 1;
    sim_beats(&s, 1.1, 90);
    seed_phrase(&s, 5.0, 0, 90);   /* absolute beats of the sim's own clock */
    sim_beats(&s, 16, 90);
    CHECKF(count_on(&s, 1, 0, UINT64_MAX) > 0, "no answer");
    sim_free(&s);
}

TEST(relocation_cancels_the_answer) {
    static sim s;
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(&s, &p, SIZES_64, 1);
    static const int SIZES_256[] = { 256 };
    s.sizes = SIZES_256; s.n_sizes = 1;
    s.host = 1; s.jack = 1; s.host_bpm = 120; s.rolling = 1;
    for (int i = 0; i < 16; i++) sim_note(&s, 0.5 * i, 0.45, 60 + (i % 5), 0, 120);
    sim_beats(&s, 8.0, 120);
    int sounding = 0;
    for (int guard = 0; guard < 400 && !(sounding = hanging(&s, 1) > 0); guard++) sim_run(&s, 256);
    CHECK(sounding);
    uint64_t at = s.frame;
    s.jframe += 480000; s.jtick += 1920 * 20;   /* locate 10 s on */
    sim_run(&s, 256);
    CHECK(hanging(&s, 1) == 0);
    int offs = 0;
    for (int i = 0; i < s.n_rec; i++) if (s.rec[i].frame == at && is_off(&s.rec[i], 1)) offs++;
    CHECK(offs >= 1);
    sim_beats(&s, 6.0, 120);
    CHECKF(count_on(&s, 1, at, UINT64_MAX) == 0, "%d notes after the relocation", count_on(&s, 1, at, UINT64_MAX));
    sim_free(&s);
}

/* A tempo change mid-answer: the rest of it follows the new tempo (its notes on the 1/12 grid
 * at the new tempo), and nothing is cancelled by the change itself. */
TEST(tempo_change_mid_answer_follows) {
    static sim s;
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(&s, &p, SIZES_64, 1);
    s.host = 1; s.host_bpm = 140; s.rolling = 1;
    for (int i = 0; i < 16; i++) sim_note(&s, 0.5 * i, 0.45, 60 + (i % 5), 0, 140);
    sim_beats(&s, 9.5, 140);
    int before = count_on(&s, 1, 0, UINT64_MAX);
    /* from here the host runs at 90 bpm, its beat continuous */
    uint64_t at = s.frame;
    double beat_at = s.host_beat0 + (double)at / fpb_of(&s, 140);
    s.host_bpm = 90; s.host_beat0 = beat_at - (double)at / fpb_of(&s, 90);
    sim_beats(&s, 12.0, 90);
    int after = count_on(&s, 1, at, UINT64_MAX);
    CHECKF(before > 0 && after > 0, "%d notes before the change, %d after", before, after);
    int bad = 0;
    for (int i = 0; i < s.n_rec; i++) {
        const rec_msg *r = &s.rec[i];
        if (!is_on(r, 1) || r->frame < at) continue;
        double b = s.host_beat0 + (double)r->frame / fpb_of(&s, 90);
        if (fabs(b * 12 - floor(b * 12 + 0.5)) * fpb_of(&s, 90) / 12 > 1.0) bad++;
    }
    CHECKF(bad == 0, "%d of %d notes after the change off the 90 bpm grid", bad, after);
    CHECK(hanging(&s, 1) == 0);
    sim_free(&s);
}

/* the pitches of our note-ons from frame `from` on, into buf; returns how many */
static int pitches_from(const sim *s, uint64_t from, int *buf, int cap) {
    int n = 0;
    for (int i = 0; i < s->n_rec && n < cap; i++)
        if (is_on(&s->rec[i], 1) && s->rec[i].frame >= from) buf[n++] = s->rec[i].d[1];
    return n;
}

/* regenerate: the last call answered again with a fresh random stream (a different answer
 * from the same seed, yet the same one on every run: it is seeded); triggered mid-answer it
 * ends the sounding notes at once. */
static int regen_run(sim *s, int *first, int *n_first, int *again, int *n_again) {
    cn_jam_params p = params_cr();
    sim_init(s, &p, SIZES_64, 1);
    seed_phrase(s, 0.0, 0, 120);
    sim_beats(s, 16, 120);
    *n_first = pitches_from(s, 0, first, 64);
    uint64_t at = s->frame;
    p.regenerate++;
    cn_jam_set_params(s->j, &p);
    sim_beats(s, 16, 120);
    *n_again = pitches_from(s, at, again, 64);
    int held = hanging(s, 1);
    sim_free(s);
    return held;
}

TEST(regenerate_answers_the_last_call_again) {
    static sim s;
    int a[64], b[64], c[64], d[64], na, nb, nc, nd;
    CHECK(regen_run(&s, a, &na, b, &nb) == 0);
    CHECKF(na > 0 && nb > 0, "%d notes first, %d regenerated", na, nb);
    CHECKF(nb != na || memcmp(a, b, (size_t)na * sizeof *a) != 0, "the regenerated answer repeats the first");
    CHECK(regen_run(&s, c, &nc, d, &nd) == 0);
    CHECK(nc == na && nd == nb && memcmp(a, c, (size_t)na * sizeof *a) == 0 && memcmp(b, d, (size_t)nb * sizeof *b) == 0);

    /* mid-answer: the sounding notes end at the trigger's frame */
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(&s, &p, SIZES_64, 1);
    for (int i = 0; i < 16; i++) sim_note(&s, 0.5 * i, 0.45, 60 + (i % 5), 0, 120);
    sim_beats(&s, 8.0, 120);
    int sounding = 0;
    for (int guard = 0; guard < 2000 && !(sounding = hanging(&s, 1) > 0); guard++) sim_run(&s, 64);
    CHECK(sounding);
    uint64_t at = s.frame;
    p.regenerate++;
    cn_jam_set_params(s.j, &p);
    sim_run(&s, 64);
    CHECKF(hanging(&s, 1) == 0, "%d notes still sound after the trigger", hanging(&s, 1));
    int offs = 0;
    for (int i = 0; i < s.n_rec; i++) if (s.rec[i].frame == at && is_off(&s.rec[i], 1)) offs++;
    CHECK(offs >= 1);
    sim_beats(&s, 20.0, 120);
    CHECK(count_on(&s, 1, at + 64, UINT64_MAX) > 0);   /* and answers again */
    CHECK(hanging(&s, 1) == 0);
    sim_free(&s);
}

/* max_run reaches the sampler; key and density reach the inference side; a model without
 * conditioning says so */
TEST(new_controls_reach_the_inference_side) {
    static sim s;
    cn_jam_params p = params_cr();
    p.key = 5; p.density = 2.5f; p.max_run = 2;
    sim_init(&s, &p, SIZES_64, 1);
    seed_phrase(&s, 0.0, 0, 120);
    sim_beats(&s, 12, 120);
    const cn_jam *j = s.j;
    /* event models: no conditioning; note models: key and density */
    CHECK(cn_jam_model_conditions(j) == (use_note_model ? (CN_JAM_COND_KEY | CN_JAM_COND_DENSITY) : 0));
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 0);
    sim_free(&s);
    cn_jam_params q = params_cr();
    q.key = 99; q.density = -1; q.max_run = 1000; q.seed = 4294967295u;
    cn_jam_params_clamp(&q);
    CHECK(q.key == 25 && q.density == 0.0f && q.max_run == 16 && q.seed == 16777215u);
}

TEST(quantize_to_bar) {
    static sim s;
    cn_jam_params p = params_cr();
    p.quantize = CN_QUANT_BAR;
    sim_init(&s, &p, SIZES_64, 1);
    s.host = 1; s.host_bpm = 120; s.host_beat0 = 0.0;
    seed_phrase(&s, 0.0, 0, 120);   /* silence ends at 4.93; the next bar is at 8 */
    sim_beats(&s, 20, 120);
    int64_t f = first_on(&s, 1, 0);
    CHECK(f >= 0);
    CHECKF(f >= (int64_t)llround(8.0 * fpb_of(&s, 120)) - 1, "answer at %lld, before the bar", (long long)f);
    sim_free(&s);
}

/* The control table: each symbol, port and flag once; the ports 3..18 but the latency
 * output (14); a default inside its range; the words of an enumeration one a value; and the
 * engine's defaults and clamping are the table's. */
TEST(control_table_defines_each_control_once) {
    int seen_port[32] = { 0 };
    for (int i = 0; i < cn_jam_n_controls; i++) {
        const cn_jam_control *c = &cn_jam_controls[i];
        CHECKF(c->port >= 3 && c->port <= 18 && c->port != 14, "%s at port %d", c->symbol, c->port);
        if (c->port >= 0 && c->port < 32) CHECKF(seen_port[c->port]++ == 0, "port %d twice", c->port);
        CHECKF(c->min <= c->def && c->def <= c->max, "%s: default %g outside %g..%g", c->symbol, c->def, c->min, c->max);
        CHECKF(c->label && c->comment && *c->comment, "%s: no label or comment", c->symbol);
        CHECK(cn_jam_control_find(c->symbol) == c);
        for (int j = 0; j < i; j++) {
            CHECKF(strcmp(c->symbol, cn_jam_controls[j].symbol) != 0, "symbol %s twice", c->symbol);
            if (c->flag && cn_jam_controls[j].flag) CHECKF(strcmp(c->flag, cn_jam_controls[j].flag) != 0, "--%s twice", c->flag);
        }
        if (c->kind == CN_CT_ENUM) {
            CHECKF(c->labels != NULL, "%s: an enumeration without labels", c->symbol);
            for (int v = (int)c->min; c->words && v <= (int)c->max; v++) CHECK(cn_jam_control_word(c, v) != NULL);
        }
    }
    CHECK(cn_jam_n_controls == 15);
    cn_jam_params p;
    cn_jam_params_default(&p);
    for (int i = 0; i < cn_jam_n_controls; i++)
        CHECK_NEAR(cn_jam_control_get(&p, &cn_jam_controls[i]), cn_jam_controls[i].def, 1e-6);
    CHECK(p.mode == CN_MODE_CALL_RESPONSE && p.max_run == 4 && p.channel_out == 1 && p.thru == 1);
    const cn_jam_control *ch = cn_jam_control_find("channel_in"), *key = cn_jam_control_find("key");
    CHECK(ch && !strcmp(cn_jam_control_word(ch, 0), "any") && !strcmp(cn_jam_control_word(ch, 16), "16"));
    CHECK(key && !strcmp(cn_jam_control_word(key, 1), "call") && !strcmp(cn_jam_control_word(key, 25), "Bm"));
    /* whole-number controls are rounded, not truncated */
    cn_jam_control_set(&p, cn_jam_control_find("max_run"), 6.6);
    CHECK(p.max_run == 7);
    cn_jam_control_set(&p, cn_jam_control_find("seed"), 1e12);
    CHECK(p.seed == 16777215u);
}

TEST(out_of_range_params_clamped) {
    cn_jam_params p;
    cn_jam_params_default(&p);
    p.mode = 7; p.temperature = NAN; p.top_p = 5; p.silence_beats = -3; p.response_beats = 1e9f;
    p.channel_in = -4; p.channel_out = 99; p.thru = 5; p.quantize = -1; p.bpm = INFINITY;
    cn_jam_params_clamp(&p);
    CHECK(p.mode == CN_MODE_CONTINUOUS);
    CHECK(p.temperature >= 0 && p.temperature <= 2);
    CHECK(p.top_p >= 0 && p.top_p <= 1);
    CHECK(p.silence_beats > 0 && p.silence_beats <= 16);
    CHECK(p.response_beats >= 1 && p.response_beats <= 64);
    CHECK(p.channel_in == 0);
    CHECK(p.channel_out == 16);
    CHECK(p.thru == 1);
    CHECK(p.quantize == CN_QUANT_OFF);
    CHECK(p.bpm >= 20 && p.bpm <= 300);
    /* and an engine given such controls still runs and answers */
    static sim s;
    cn_jam_params q = params_cr();
    q.temperature = 1e9f; q.top_p = NAN; q.silence_beats = NAN; q.response_beats = -5; q.channel_out = 2;
    sim_init(&s, &q, SIZES_64, 1);
    seed_phrase(&s, 0.0, 0, 120);
    sim_beats(&s, 16, 120);
    CHECK(count_on(&s, 1, 0, UINT64_MAX) > 0);
    CHECK(hanging(&s, 1) == 0);
    sim_free(&s);
}

TEST(paper_model_refused) {
    cn_jam *j = cn_jam_new();
    cn_model *m = test_model(3);
    m->encoding = CN_ENC_PAPER;
    char err[256] = "";
    cn_model *old = NULL;
    CHECK(cn_jam_swap_model(j, m, &old, err, sizeof err) == -1);
    CHECKF(strstr(err, "paper") != NULL, "err: %s", err);
    CHECK(cn_jam_model(j) == NULL);
    cn_model_free(m);
    cn_jam_free(j);
}

TEST(no_model_passes_through_quietly) {
    cn_jam *j = cn_jam_new();
    cn_jam_params p = params_cr();
    cn_jam_set_params(j, &p);
    cn_midi_msg in[2] = { { 10, 3, { 0x90, 60, 100 } }, { 20, 3, { 0x80, 60, 0 } } }, out[16];
    cn_jam_time t; memset(&t, 0, sizeof t);
    t.n_frames = 64; t.sample_rate = SR;
    CHECK(cn_jam_run(j, &t, in, 2, out, 16) == 2);
    for (int k = 0; k < 2000; k++) {
        t.offset = 0;
        CHECK(cn_jam_run(j, &t, NULL, 0, out, 16) == 0);
        cn_jam_work(j, 1000);
    }
    CHECK(cn_jam_latency(j) == 0);
    cn_jam_free(j);
}

/* Every answer note ends within JAM_GEN_NOTE_BEATS (4) of its start: a note model decides
 * the length at the onset, the event model's notes are ended by the engine. No drone. */
TEST(answer_notes_end_in_time) {
    static sim s;
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(&s, &p, SIZES_MIX, sizeof SIZES_MIX / sizeof *SIZES_MIX);
    for (int k = 0; k < 4; k++) seed_phrase(&s, 16.0 * k, 0, 120);
    sim_beats(&s, 64, 120);
    double fpb = fpb_of(&s, 120);
    int notes = 0, long_ones = 0;
    for (int i = 0; i < s.n_rec; i++) {
        if (!is_on(&s.rec[i], 1)) continue;
        notes++;
        for (int k = i + 1; k < s.n_rec; k++)
            if ((is_off(&s.rec[k], 1) || is_cc(&s.rec[k], 123)) && (s.rec[k].d[1] == s.rec[i].d[1] || is_cc(&s.rec[k], 123))) {
                if ((double)(s.rec[k].frame - s.rec[i].frame) > 4.0 * fpb + 1) long_ones++;
                break;
            }
    }
    CHECKF(notes >= 8, "%d answer notes", notes);
    CHECKF(long_ones == 0, "%d of %d notes longer than 4 beats", long_ones, notes);
    CHECK(hanging(&s, 1) == 0);
    sim_free(&s);
}

/* What a display shows (cn_jam_get_view), mid-answer: the call's eight notes where and as long
 * as they were played, the answer's played notes as many as went out, its scheduled ones
 * ahead of now, the answer's window; a new call starts a new exchange. */
TEST(view_shows_the_call_and_its_answer) {
    static sim s;
    static const int pitches[] = { 60, 62, 64, 65, 67, 65, 64, 62 };
    cn_jam_params p = params_cr();
    sim_init(&s, &p, SIZES_MIX, (int)(sizeof SIZES_MIX / sizeof SIZES_MIX[0]));
    uint32_t changes0 = cn_jam_view_changes(s.j);
    seed_phrase(&s, 0.0, 0, 120);
    sim_beats(&s, 6.5, 120);   /* the answer: 4.93 to 8.86 (its first note on the grid, at 5) */
    static cn_jam_view v;
    cn_jam_get_view(s.j, &v);
    CHECK(cn_jam_view_changes(s.j) != changes0);
    CHECK(v.mode == CN_MODE_CALL_RESPONSE);
    CHECKF(v.n_call == 8, "%d call notes", v.n_call);
    for (int i = 0; i < v.n_call && i < 8; i++) {
        CHECK(v.call[i].pitch == pitches[i] && v.call[i].state == CN_VIEW_ENDED);
        CHECK_NEAR(v.call[i].start, 0.5 * i - 6.5, 0.02);
        CHECK_NEAR(v.call[i].end - v.call[i].start, 0.43, 0.02);
    }
    int played = 0, ahead = 0;
    for (int i = 0; i < v.n_answer; i++) {
        if (v.answer[i].state == CN_VIEW_SCHEDULED) { ahead++; CHECK(v.answer[i].start >= -0.01f); }
        else played++;
        CHECK(v.answer[i].end >= v.answer[i].start);
    }
    CHECKF(played == count_on(&s, 1, 0, UINT64_MAX), "%d played in the view, %d sent", played,
           count_on(&s, 1, 0, UINT64_MAX));
    CHECK(played > 0 && ahead > 0);
    CHECK(v.answer_due);
    CHECK_NEAR(v.answer_from, 4.93 - 6.5, 0.02);   /* the silence after the last note-off */
    CHECK(v.answer_to > 0);
    sim_note(&s, 12.0, 0.5, 72, 0, 120);   /* after the answer: a new call */
    sim_beats(&s, 6.0, 120);
    cn_jam_get_view(s.j, &v);
    CHECK(v.n_call == 1 && v.call[0].pitch == 72);
    if (use_note_model) CHECKF(v.call_key >= 0, "no key heard in the call");
    sim_free(&s);
}

/* A note model that wants full chords of long notes: pitches 40..90 likely, a time shift of
 * one beat only when it must, the longest length. */
static cn_model *chord_model(void) {
    cn_model *m = note_test_model(9);
    const cn_tensor *b = m ? cn_model_tensor(m, "out.bias") : NULL;
    if (!b) return m;
    float *bias = m->params + b->offset;
    for (int p = 40; p <= 90; p++) bias[CN_NT_PITCH + p] += 6.0f;
    bias[CN_NT_DUR + CN_NT_DUR_BINS - 1] += 8.0f;
    for (int n = 1; n <= CN_NT_MAX_SHIFT; n++) bias[CN_NT_SHIFT + n - 1] = n == CN_NT_GRID ? -4.0f : -30.0f;
    return m;
}

/* Note models: an onset may hold a chord of CN_NT_MAX_GROUP (8) notes, as offline, never more;
 * the engine holds up to JAM_MAX_POLY (16) notes at once, never more. A cap of 12 tokens an
 * instant once cut live chords at six notes, and a cap of 8 notes held live answers to
 * fewer notes at once than the music sounds. */
TEST(note_answer_chords_within_the_caps) {
    static sim s;
    cn_jam_params p = params_cr();
    p.response_beats = 16;
    sim_init(&s, &p, SIZES_MIX, sizeof SIZES_MIX / sizeof *SIZES_MIX);
    char err[256];
    cn_model *old = NULL;
    CHECK(cn_jam_swap_model(s.j, chord_model(), &old, err, sizeof err) == 0);
    cn_model_free(old);
    for (int i = 0; i < 16; i++) sim_note(&s, 0.5 * i, 0.45, 60 + (i % 5), 0, 120);
    sim_beats(&s, 30, 120);
    int held[128] = { 0 }, sounding = 0, most_held = 0, chord = 0, most_chord = 0, notes = 0;
    uint64_t at = UINT64_MAX;
    for (int i = 0; i < s.n_rec; i++) {
        const rec_msg *r = &s.rec[i];
        if (is_on(r, 1)) {
            chord = r->frame == at ? chord + 1 : 1;
            at = r->frame;
            if (chord > most_chord) most_chord = chord;
            if (!held[r->d[1]]) { held[r->d[1]] = 1; sounding++; }
            if (sounding > most_held) most_held = sounding;
            notes++;
        } else if (is_off(r, 1) && held[r->d[1]]) {
            held[r->d[1]] = 0; sounding--;
        } else if (is_cc(r, 123) && (r->d[0] & 15) == 1) {
            memset(held, 0, sizeof held); sounding = 0;
        }
    }
    CHECKF(notes >= 16, "%d answer notes", notes);
    CHECKF(most_chord == CN_NT_MAX_GROUP, "the largest chord has %d notes", most_chord);
    CHECKF(most_held > 8 && most_held <= JAM_MAX_POLY, "%d notes held at once at the most", most_held);
    CHECK(hanging(&s, 1) == 0);
    sim_free(&s);
}

static void run_all(void) {
    RUN(view_shows_the_call_and_its_answer);
    RUN(answer_notes_end_in_time);
    RUN(answer_after_silence);
    RUN(no_answer_while_a_key_is_held);
    RUN(a_lost_note_off_does_not_stick_a_key);
    RUN(playing_again_stops_the_answer_at_once);
    RUN(note_balance_sorted_in_range_any_block_size);
    RUN(transport_stop_panics);
    RUN(a_dropped_panic_block_still_ends_every_note);
    RUN(a_repeated_panic_sends_the_offs_again);
    RUN(an_echo_spares_a_note_played_after_the_panic);
    RUN(incoming_cc123_and_cc120_honoured);
    RUN(mode_change_panics);
    RUN(model_swap_panics);
    RUN(continuous_mode_plays_along);
    RUN(channel_filter);
    RUN(thru_off_passes_only_the_panic);
    RUN(timing_own_tempo_and_host_tempo);
    RUN(answer_under_a_jittery_timebase_master);
    RUN(answer_after_the_transport_starts);
    RUN(relocation_cancels_the_answer);
    RUN(tempo_change_mid_answer_follows);
    RUN(regenerate_answers_the_last_call_again);
    RUN(new_controls_reach_the_inference_side);
    RUN(quantize_to_bar);
    RUN(out_of_range_params_clamped);
    RUN(control_table_defines_each_control_once);
    RUN(paper_model_refused);
    RUN(no_model_passes_through_quietly);
}

int main(void) {
    run_all();
    printf("-- the same with a note-encoded model\n");
    use_note_model = 1;
    run_all();
    RUN(note_answer_chords_within_the_caps);
    return test_summary();
}
