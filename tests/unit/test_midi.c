/* test_midi.c: the MIDI reader and writer on small files the test builds itself: formats
 * 0 and 1, PPQ variants, tempo maps, running status, drums, sustain, overlapping notes,
 * writing and reading back, and the recursive folder listing. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "midi.h"
#include "smf_build.h"
#include "test.h"

static char tmpdir[256];

static int read_buf(const smf_buf *b, const cn_midi_opts *o, cn_song *s) {
    char err[512];
    int rc = cn_midi_read_mem(b->b, b->n, "mem.mid", o, s, err, sizeof err);
    if (rc) fprintf(stderr, "  read failed: %s\n", err);
    return rc;
}

/* format 0, one track: C4 for one beat then E4 for half a beat, at a given ppq */
static void simple_song(smf_buf *b, int ppq) {
    sb_header(b, 0, 1, ppq);
    sb_track_begin(b);
    sb_tempo(b, 0, 120);
    sb_ev3(b, 0, 0x90, 60, 100);
    sb_ev3(b, (uint32_t)ppq, 0x80, 60, 0);
    sb_ev3(b, 0, 0x90, 64, 80);
    sb_ev3(b, (uint32_t)ppq / 2, 0x80, 64, 0);
    sb_eot(b, 0);
    sb_track_end(b);
}

TEST(format0_notes_beats_seconds) {
    smf_buf b; simple_song(&b, 96);
    cn_song s;
    CHECK(read_buf(&b, NULL, &s) == 0);
    CHECK(s.n_notes == 2);
    if (s.n_notes == 2) {
        CHECK(s.notes[0].pitch == 60 && s.notes[0].velocity == 100);
        CHECK_NEAR(s.notes[0].start_beat, 0, 1e-9);
        CHECK_NEAR(s.notes[0].dur_beat, 1, 1e-9);
        CHECK_NEAR(s.notes[0].dur_sec, 0.5, 1e-9);
        CHECK(s.notes[1].pitch == 64 && s.notes[1].velocity == 80);
        CHECK_NEAR(s.notes[1].start_beat, 1, 1e-9);
        CHECK_NEAR(s.notes[1].start_sec, 0.5, 1e-9);
        CHECK_NEAR(s.notes[1].dur_beat, 0.5, 1e-9);
    }
    CHECK(s.ppq == 96);
    CHECK(s.ts_num == 4 && s.ts_den == 4 && s.program == -1);
    CHECK_NEAR(s.end_beat, 1.5, 1e-9);
    cn_song_free(&s);
}

TEST(ppq_variants_give_same_beats) {
    int ppqs[] = { 1, 24, 96, 480, 960, 7680, 32767 };
    for (size_t i = 0; i < sizeof ppqs / sizeof *ppqs; i++) {
        smf_buf b; simple_song(&b, ppqs[i] < 2 ? 2 : ppqs[i]);
        cn_song s;
        CHECK(read_buf(&b, NULL, &s) == 0);
        CHECKF(s.n_notes == 2, "ppq %d", ppqs[i]);
        if (s.n_notes == 2) {
            CHECK_NEAR(s.notes[1].start_beat, 1, 1e-9);
            CHECK_NEAR(s.notes[0].dur_beat, 1, 1e-9);
        }
        cn_song_free(&s);
    }
}

TEST(format1_tracks_merged_with_meter_and_program) {
    smf_buf b;
    sb_header(&b, 1, 3, 480);
    sb_track_begin(&b); sb_tempo(&b, 0, 90); sb_timesig(&b, 0, 3, 2); sb_eot(&b, 0); sb_track_end(&b);
    sb_track_begin(&b);
    sb_ev2(&b, 0, 0xc0, 5);
    sb_ev3(&b, 0, 0x90, 72, 90); sb_ev3(&b, 960, 0x80, 72, 0);
    sb_eot(&b, 0); sb_track_end(&b);
    sb_track_begin(&b);
    sb_ev3(&b, 480, 0x91, 48, 70); sb_ev3(&b, 480, 0x81, 48, 0);
    sb_eot(&b, 480); sb_track_end(&b);
    cn_song s;
    CHECK(read_buf(&b, NULL, &s) == 0);
    CHECK(s.n_notes == 2);
    if (s.n_notes == 2) {
        CHECK(s.notes[0].pitch == 72 && s.notes[0].channel == 0);
        CHECK(s.notes[1].pitch == 48 && s.notes[1].channel == 1);
        CHECK_NEAR(s.notes[1].start_beat, 1, 1e-9);
        CHECK_NEAR(s.notes[1].start_sec, 60.0 / 90, 1e-6);    /* tempo kept in whole microseconds */
    }
    CHECK(s.ts_num == 3 && s.ts_den == 4);
    CHECK(s.program == 5);
    CHECK_NEAR(s.tempos[0].bpm, 90, 1e-3);
    CHECK_NEAR(s.end_beat, 3, 1e-9);           /* the last End-of-Track, after the notes */
    cn_song_free(&s);
}

TEST(tempo_map_seconds) {
    smf_buf b;
    sb_header(&b, 1, 2, 480);
    sb_track_begin(&b); sb_tempo(&b, 0, 120); sb_tempo(&b, 960, 60); sb_tempo(&b, 960, 240); sb_eot(&b, 0); sb_track_end(&b);
    sb_track_begin(&b);
    sb_ev3(&b, 480, 0x90, 60, 64);        /* beat 1 .. 3, across the change at beat 2 */
    sb_ev3(&b, 960, 0x80, 60, 0);
    sb_ev3(&b, 960, 0x90, 62, 64);        /* beat 5, under 240 bpm since beat 4 */
    sb_ev3(&b, 480, 0x80, 62, 0);
    sb_eot(&b, 0); sb_track_end(&b);
    cn_song s;
    CHECK(read_buf(&b, NULL, &s) == 0);
    CHECK(s.n_tempos == 3);
    CHECK(s.n_notes == 2);
    if (s.n_notes == 2 && s.n_tempos == 3) {
        CHECK_NEAR(s.tempos[1].sec, 1.0, 1e-6);
        CHECK_NEAR(s.tempos[2].sec, 3.0, 1e-6);
        CHECK_NEAR(s.notes[0].start_sec, 0.5, 1e-6);
        CHECK_NEAR(s.notes[0].dur_sec, 1.5, 1e-6);     /* 0.5 s at 120 + 1 s at 60 */
        CHECK_NEAR(s.notes[1].start_sec, 3.25, 1e-6);
        CHECK_NEAR(s.notes[1].dur_sec, 0.25, 1e-6);
        CHECK_NEAR(cn_song_sec_to_beat(&s, 2.0), 3.0, 1e-6);
        CHECK_NEAR(cn_song_sec_to_beat(&s, 3.5), 6.0, 1e-6);
        CHECK_NEAR(cn_song_beat_to_sec(&s, 6.0), 3.5, 1e-6);
    }
    cn_song_free(&s);
}

TEST(running_status_and_zero_velocity_off) {
    smf_buf b;
    sb_header(&b, 0, 1, 96);
    sb_track_begin(&b);
    sb_ev3(&b, 0, 0x90, 60, 64);
    sb_varlen(&b, 0); sb_byte(&b, 64); sb_byte(&b, 70);     /* running status: E4 on */
    sb_varlen(&b, 96); sb_byte(&b, 60); sb_byte(&b, 0);     /* C4 off by velocity 0 */
    sb_varlen(&b, 48); sb_byte(&b, 64); sb_byte(&b, 0);     /* E4 off */
    sb_bytes(&b, "\x00\xff\x01\x03" "abc", 7);              /* a text meta in between */
    sb_varlen(&b, 0); sb_byte(&b, 67); sb_byte(&b, 50);     /* running status survives a meta */
    sb_ev3(&b, 96, 0x80, 67, 0);
    sb_eot(&b, 0); sb_track_end(&b);
    cn_song s;
    CHECK(read_buf(&b, NULL, &s) == 0);
    CHECK(s.n_notes == 3);
    if (s.n_notes == 3) {
        CHECK(s.notes[0].pitch == 60); CHECK_NEAR(s.notes[0].dur_beat, 1, 1e-9);
        CHECK(s.notes[1].pitch == 64); CHECK_NEAR(s.notes[1].dur_beat, 1.5, 1e-9);
        CHECK(s.notes[1].velocity == 70);
        CHECK(s.notes[2].pitch == 67); CHECK_NEAR(s.notes[2].start_beat, 1.5, 1e-9);
    }
    cn_song_free(&s);
}

TEST(drums_skipped_unless_kept) {
    smf_buf b;
    sb_header(&b, 0, 1, 96);
    sb_track_begin(&b);
    sb_ev3(&b, 0, 0x99, 36, 100); sb_ev3(&b, 0, 0x90, 60, 100);
    sb_ev3(&b, 96, 0x89, 36, 0); sb_ev3(&b, 0, 0x80, 60, 0);
    sb_eot(&b, 0); sb_track_end(&b);
    cn_song s;
    CHECK(read_buf(&b, NULL, &s) == 0);
    CHECK(s.n_notes == 1 && s.notes[0].pitch == 60);
    cn_song_free(&s);
    cn_midi_opts o = cn_midi_opts_default();
    o.keep_drums = 1;
    CHECK(read_buf(&b, &o, &s) == 0);
    CHECK(s.n_notes == 2 && s.notes[0].pitch == 36 && s.notes[0].channel == 9);
    cn_song_free(&s);
}

static void sustain_song(smf_buf *b) {
    sb_header(b, 0, 1, 100);
    sb_track_begin(b);
    sb_ev3(b, 0, 0x90, 60, 100);
    sb_ev3(b, 50, 0xb0, 64, 127);      /* pedal down at beat .5 */
    sb_ev3(b, 50, 0x80, 60, 0);        /* key up at 1: held by the pedal */
    sb_ev3(b, 0, 0x90, 62, 100);
    sb_ev3(b, 50, 0x80, 62, 0);        /* key up at 1.5: held */
    sb_ev3(b, 50, 0x90, 62, 90);       /* struck again at 2 under the pedal: the first 62 ends */
    sb_ev3(b, 100, 0xb0, 64, 0);       /* pedal up at 3: 60 ends; 62 is still down */
    sb_ev3(b, 100, 0x80, 62, 0);       /* 62 up at 4 */
    sb_eot(b, 0); sb_track_end(b);
}

TEST(sustain_pedal_extends_notes) {
    smf_buf b; sustain_song(&b);
    cn_song s;
    CHECK(read_buf(&b, NULL, &s) == 0);
    CHECK(s.n_notes == 3);
    if (s.n_notes == 3) {
        CHECK(s.notes[0].pitch == 60); CHECK_NEAR(s.notes[0].dur_beat, 3, 1e-9);
        CHECK(s.notes[1].pitch == 62); CHECK_NEAR(s.notes[1].start_beat, 1, 1e-9); CHECK_NEAR(s.notes[1].dur_beat, 1, 1e-9);
        CHECK(s.notes[2].pitch == 62); CHECK_NEAR(s.notes[2].start_beat, 2, 1e-9); CHECK_NEAR(s.notes[2].dur_beat, 2, 1e-9);
    }
    cn_song_free(&s);
    cn_midi_opts o = cn_midi_opts_default();
    o.use_sustain = 0;
    CHECK(read_buf(&b, &o, &s) == 0);
    CHECK(s.n_notes == 3);
    if (s.n_notes == 3) {
        CHECK_NEAR(s.notes[0].dur_beat, 1, 1e-9);
        CHECK_NEAR(s.notes[1].dur_beat, 0.5, 1e-9);
    }
    cn_song_free(&s);
}

TEST(overlapping_same_pitch_resolved) {
    smf_buf b;
    sb_header(&b, 0, 1, 100);
    sb_track_begin(&b);
    sb_ev3(&b, 0, 0x90, 60, 100);
    sb_ev3(&b, 100, 0x90, 60, 90);     /* struck again while sounding: the first ends at 1 */
    sb_ev3(&b, 100, 0x80, 60, 0);      /* ends the second at 2 */
    sb_ev3(&b, 100, 0x80, 60, 0);      /* a stray off: ignored */
    sb_ev3(&b, 0, 0x91, 64, 80);       /* channel 2 E4 at 3 */
    sb_ev3(&b, 50, 0x92, 64, 70);      /* channel 3 E4 at 3.5 ends channel 2's */
    sb_ev3(&b, 25, 0x81, 64, 0);       /* channel 2's off: its note already ended, ignored */
    sb_ev3(&b, 25, 0x82, 64, 0);       /* channel 3's off at 4 */
    sb_ev3(&b, 0, 0x90, 67, 60);       /* never released: ends at the end of track */
    sb_eot(&b, 200); sb_track_end(&b);
    cn_song s;
    CHECK(read_buf(&b, NULL, &s) == 0);
    CHECK(s.n_notes == 5);
    if (s.n_notes == 5) {
        CHECK_NEAR(s.notes[0].dur_beat, 1, 1e-9);
        CHECK_NEAR(s.notes[1].start_beat, 1, 1e-9); CHECK_NEAR(s.notes[1].dur_beat, 1, 1e-9);
        CHECK(s.notes[1].velocity == 90);
        CHECK(s.notes[2].channel == 1); CHECK_NEAR(s.notes[2].dur_beat, 0.5, 1e-9);
        CHECK(s.notes[3].channel == 2); CHECK_NEAR(s.notes[3].dur_beat, 0.5, 1e-9);
        CHECK(s.notes[4].pitch == 67); CHECK_NEAR(s.notes[4].dur_beat, 2, 1e-9);
    }
    CHECK_NEAR(s.end_beat, 6, 1e-9);
    cn_song_free(&s);
}

/* Walks a clean canonical buffer and checks every note-on has its note-off later. */
static int balanced_notes(const uint8_t *b, size_t n, int *n_on) {
    int sounding[16][128] = { { 0 } };
    size_t pos = 14;
    *n_on = 0;
    while (pos + 8 <= n) {
        size_t end = pos + 8 + ((size_t)b[pos + 4] << 24 | (size_t)b[pos + 5] << 16 | (size_t)b[pos + 6] << 8 | b[pos + 7]);
        pos += 8;
        while (pos < end) {
            while (b[pos] & 0x80) pos++;
            pos++;
            uint8_t st = b[pos];
            if (st == 0xff) { pos += 3 + b[pos + 2]; continue; }
            int hi = st & 0xf0, ch = st & 15;
            if (hi == 0x90 && b[pos + 2]) { if (sounding[ch][b[pos + 1]]) return 0; sounding[ch][b[pos + 1]] = 1; (*n_on)++; }
            else if (hi == 0x80 || hi == 0x90) { if (!sounding[ch][b[pos + 1]]) return 0; sounding[ch][b[pos + 1]] = 0; }
            pos += hi == 0xc0 || hi == 0xd0 ? 2 : 3;
        }
    }
    for (int c = 0; c < 16; c++) for (int p = 0; p < 128; p++) if (sounding[c][p]) return 0;
    return 1;
}

static int slurp(const char *path, uint8_t **buf, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    *buf = malloc(1 << 20);
    *len = *buf ? fread(*buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return *buf ? 0 : -1;
}

TEST(write_then_read_back) {
    cn_song s; cn_song_init(&s);
    s.tempos[0].bpm = 90; s.ts_num = 6; s.ts_den = 8; s.program = 5;
    CHECK(cn_song_add_note(&s, 0, 1, 60, 100, 0) == 0);
    CHECK(cn_song_add_note(&s, 0, 1, 64, 90, 0) == 0);
    CHECK(cn_song_add_note(&s, 0, 1, 67, 80, 0) == 0);
    CHECK(cn_song_add_note(&s, 1.0 / 3, 0.25, 72, 30, 0) == 0);
    CHECK(cn_song_add_note(&s, 1, 2, 60, 110, 0) == 0);     /* touches the first C4: off then on */
    CHECK(cn_song_add_note(&s, 2, 2, 60, 50, 0) == 0);      /* overlaps the one before: it is cut at 2 */
    CHECK(cn_song_add_note(&s, 3, 0, 50, 40, 3) == 0);      /* zero length: written as one tick */
    cn_song_sort(&s);
    char path[512]; snprintf(path, sizeof path, "%s/out.mid", tmpdir);
    char err[512] = "";
    CHECKF(cn_midi_write(path, &s, err, sizeof err) == 0, "%s", err);
    cn_song r;
    CHECKF(cn_midi_read(path, NULL, &r, err, sizeof err) == 0, "%s", err);
    CHECK(r.n_notes == 7);
    CHECK(r.program == 5 && r.ts_num == 6 && r.ts_den == 8);
    CHECK_NEAR(r.tempos[0].bpm, 90, 1e-3);
    double want[7][3] = { { 0, 1, 60 }, { 0, 1, 64 }, { 0, 1, 67 }, { 1.0 / 3, 0.25, 72 }, { 1, 1, 60 }, { 2, 2, 60 }, { 3, 1.0 / 480, 50 } };
    for (size_t i = 0; i < 7 && i < r.n_notes; i++) {
        CHECK_NEAR(r.notes[i].start_beat, want[i][0], 1.0 / 960);
        CHECK_NEAR(r.notes[i].dur_beat, want[i][1], 1.0 / 960);
        CHECK(r.notes[i].pitch == (int)want[i][2]);
    }
    if (r.n_notes == 7) { CHECK(r.notes[3].velocity == 30); CHECK(r.notes[6].channel == 3); }
    uint8_t *raw, *clean; size_t rawlen, cleanlen; int repaired = 1, n_on = 0;
    CHECK(slurp(path, &raw, &rawlen) == 0);
    CHECK(cn_midi_clean(raw, rawlen, path, &clean, &cleanlen, &repaired, err, sizeof err) == 0);
    CHECK(repaired == 0);                       /* complete, with End-of-Track in every track */
    CHECK(balanced_notes(clean, cleanlen, &n_on) && n_on == 7);
    free(raw); free(clean);
    /* nothing left beside it */
    DIR *d = opendir(tmpdir); struct dirent *e; int extra = 0;
    while (d && (e = readdir(d))) if (strstr(e->d_name, ".tmp-")) extra++;
    if (d) closedir(d);
    CHECK(extra == 0);
    unlink(path);
    cn_song_free(&r); cn_song_free(&s);
}

TEST(write_tempo_map_round_trip) {
    cn_song s; cn_song_init(&s);
    cn_tempo *t = realloc(s.tempos, 2 * sizeof *t);
    CHECK(t != NULL);
    if (!t) return;
    s.tempos = t; s.n_tempos = 2;
    s.tempos[0] = (cn_tempo){ 0, 0, 100 }; s.tempos[1] = (cn_tempo){ 4, 0, 50 };
    CHECK(cn_song_add_note(&s, 5, 1, 60, 64, 0) == 0);
    cn_song_sort(&s);
    CHECK_NEAR(s.notes[0].start_sec, 2.4 + 1.2, 1e-9);
    char path[512]; snprintf(path, sizeof path, "%s/tempo.mid", tmpdir);
    char err[512] = "";
    CHECKF(cn_midi_write(path, &s, err, sizeof err) == 0, "%s", err);
    cn_song r;
    CHECKF(cn_midi_read(path, NULL, &r, err, sizeof err) == 0, "%s", err);
    CHECK(r.n_tempos == 2 && r.n_notes == 1);
    if (r.n_notes == 1) CHECK_NEAR(r.notes[0].start_sec, 3.6, 1e-4);
    unlink(path);
    cn_song_free(&r); cn_song_free(&s);
}

TEST(write_failure_leaves_nothing) {
    cn_song s; cn_song_init(&s);
    for (int i = 0; i < 2000; i++) CHECK(cn_song_add_note(&s, i * 0.25, 0.25, 40 + i % 40, 64, 0) == 0);
    cn_song_sort(&s);
    char err[512] = "";
    char path[512]; snprintf(path, sizeof path, "%s/no/such/dir/x.mid", tmpdir);
    CHECK(cn_midi_write(path, &s, err, sizeof err) == -1);
    CHECKF(strncmp(err, path, strlen(path)) == 0 && strstr(err, "cannot write: No such file") != NULL, "%s", err);
    /* a full disk: the file size limit makes writes fail like ENOSPC does */
    snprintf(path, sizeof path, "%s/full.mid", tmpdir);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old; lim.rlim_cur = 1000;
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    int rc = cn_midi_write(path, &s, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK(rc == -1);
    CHECKF(strncmp(err, path, strlen(path)) == 0 && strstr(err, "file too large"), "%s", err);
    CHECK(access(path, F_OK) != 0);
    DIR *d = opendir(tmpdir); struct dirent *e; int extra = 0;
    while (d && (e = readdir(d))) if (strstr(e->d_name, "full.mid")) extra++;
    if (d) closedir(d);
    CHECK(extra == 0);
    cn_song_free(&s);
}

TEST(listing_is_recursive_sorted_and_filtered) {
    char p[600];
    snprintf(p, sizeof p, "%s/corpus", tmpdir); mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/corpus/sub", tmpdir); mkdir(p, 0755);
    const char *names[] = { "corpus/b.MID", "corpus/a.mid", "corpus/sub/c.midi", "corpus/readme.txt", "corpus/sub/x.mid.bak" };
    smf_buf b; simple_song(&b, 96);
    for (int i = 0; i < 5; i++) { snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]); CHECK(sb_save(&b, p) == 0); }
    char **paths = NULL; char err[512];
    snprintf(p, sizeof p, "%s/corpus/", tmpdir);
    int n = cn_midi_list(p, &paths, err, sizeof err);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(strstr(paths[0], "corpus/a.mid") != NULL);
        CHECK(strstr(paths[1], "corpus/b.MID") != NULL);
        CHECK(strstr(paths[2], "corpus/sub/c.midi") != NULL);
        CHECK(strstr(paths[0], "//") == NULL);
    }
    cn_midi_list_free(paths, n);
    snprintf(p, sizeof p, "%s/corpus/readme.txt", tmpdir);    /* a file is itself */
    n = cn_midi_list(p, &paths, err, sizeof err);
    CHECK(n == 1 && strcmp(paths[0], p) == 0);
    cn_midi_list_free(paths, n);
    snprintf(p, sizeof p, "%s/nothing-here", tmpdir);
    CHECK(cn_midi_list(p, &paths, err, sizeof err) == -1);
    CHECK(strncmp(err, p, strlen(p)) == 0);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/continuo-test-midi-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    RUN(format0_notes_beats_seconds);
    RUN(ppq_variants_give_same_beats);
    RUN(format1_tracks_merged_with_meter_and_program);
    RUN(tempo_map_seconds);
    RUN(running_status_and_zero_velocity_off);
    RUN(drums_skipped_unless_kept);
    RUN(sustain_pedal_extends_notes);
    RUN(overlapping_same_pitch_resolved);
    RUN(write_then_read_back);
    RUN(write_tempo_map_round_trip);
    RUN(write_failure_leaves_nothing);
    RUN(listing_is_recursive_sorted_and_filtered);
    char cmd[300]; snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_summary();
}
