/* test_midi_bad.c: broken MIDI input, run under ASan and UBSan: each case gives one clear
 * message "NAME: problem" (or is repaired when it safely can be), and nothing crashes.
 * Ends with a deterministic fuzz: every truncation and many byte flips of a valid file. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "midi.h"
#include "smf_build.h"
#include "test.h"

static char tmpdir[256];

/* Two tracks: a tempo track and four notes with running status and a sysex. */
static void good_song(smf_buf *b) {
    sb_header(b, 1, 2, 96);
    sb_track_begin(b); sb_tempo(b, 0, 100); sb_timesig(b, 0, 4, 2); sb_eot(b, 0); sb_track_end(b);
    sb_track_begin(b);
    sb_varlen(b, 0); sb_bytes(b, "\xf0\x03\x7e\x7f\xf7", 5);
    sb_ev3(b, 0, 0x90, 60, 100);
    sb_varlen(b, 0); sb_byte(b, 64); sb_byte(b, 90);
    sb_ev3(b, 96, 0x80, 60, 0);
    sb_ev3(b, 0, 0x80, 64, 0);
    sb_ev3(b, 0, 0x90, 67, 80);
    sb_ev3(b, 48, 0x90, 67, 0);
    sb_ev3(b, 0, 0x90, 72, 70);
    sb_ev3(b, 48, 0x80, 72, 0);
    sb_eot(b, 0); sb_track_end(b);
}

/* Reads and expects failure with a message that starts with the name and holds `word`. */
static int fails_with(const uint8_t *buf, size_t len, const char *word) {
    cn_song s; char err[512] = "";
    int rc = cn_midi_read_mem(buf, len, "bad.mid", NULL, &s, err, sizeof err);
    cn_song_free(&s);
    if (rc != -1) { fprintf(stderr, "  expected failure (%s), got success\n", word); return 0; }
    if (strncmp(err, "bad.mid: ", 9) != 0 || !strstr(err, word) || strchr(err, '\n')) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, word);
        return 0;
    }
    return 1;
}

static size_t read_ok(const uint8_t *buf, size_t len) {
    cn_song s; char err[512] = "";
    int rc = cn_midi_read_mem(buf, len, "fixable.mid", NULL, &s, err, sizeof err);
    if (rc) fprintf(stderr, "  unexpected failure: %s\n", err);
    size_t n = rc ? (size_t)-1 : s.n_notes;
    cn_song_free(&s);
    return n;
}

TEST(good_file_reads) {
    smf_buf b; good_song(&b);
    CHECK(read_ok(b.b, b.n) == 4);
}

TEST(empty_and_not_midi) {
    CHECK(fails_with((const uint8_t *)"", 0, "empty file"));
    const char *text = "hello, this is not a MIDI file at all\n";
    CHECK(fails_with((const uint8_t *)text, strlen(text), "not a MIDI file"));
    uint8_t rnd[300]; uint32_t x = 12345;
    for (size_t i = 0; i < sizeof rnd; i++) { x = x * 1103515245u + 12345u; rnd[i] = (uint8_t)(x >> 16); }
    CHECK(fails_with(rnd, sizeof rnd, "not a MIDI file"));
    CHECK(fails_with((const uint8_t *)"MThd\0\0", 6, "truncated"));
}

TEST(zero_and_smpte_division) {
    smf_buf b; good_song(&b);
    b.b[12] = 0; b.b[13] = 0;
    CHECK(fails_with(b.b, b.n, "zero division"));
    b.b[12] = 0xe7; b.b[13] = 40;                     /* -25 fps, 40 ticks per frame */
    CHECK(fails_with(b.b, b.n, "SMPTE"));
}

TEST(bad_header_and_format) {
    smf_buf b; good_song(&b);
    b.b[7] = 2;
    CHECK(fails_with(b.b, b.n, "header length"));
    good_song(&b); b.b[9] = 2;
    CHECK(fails_with(b.b, b.n, "format 2"));
    good_song(&b); b.b[9] = 7;
    CHECK(fails_with(b.b, b.n, "unknown format"));
    good_song(&b); b.n = 14;                          /* header only */
    CHECK(fails_with(b.b, b.n, "no track"));
}

TEST(truncated_in_an_event) {
    smf_buf b; good_song(&b);
    size_t cut = b.n - 6;                             /* inside the last note-off */
    CHECK(fails_with(b.b, cut - 1, "truncated"));
    CHECK(fails_with(b.b, 41 + 8 + 3, "truncated"));     /* inside the sysex of track 2 */
    CHECK(fails_with(b.b, 41 + 8 + 8, "truncated"));     /* inside the first note-on */
}

TEST(truncated_between_events_is_repaired) {
    smf_buf b; good_song(&b);
    /* cut right after the second note-off: the chunk length runs past the end, events are whole */
    size_t n = b.n - 4 /*eot*/ - 4 - 4 - 4;           /* drop 72 off, 72 on, 67 off */
    size_t got = read_ok(b.b, n);
    CHECK(got == 3);                                   /* 60, 64, 67 (ended at the end) */
}

TEST(missing_end_of_track_is_repaired) {
    smf_buf b;
    sb_header(&b, 0, 1, 96);
    sb_track_begin(&b);
    sb_ev3(&b, 0, 0x90, 60, 100); sb_ev3(&b, 96, 0x80, 60, 0);
    sb_track_end(&b);                                 /* no End-of-Track */
    CHECK(read_ok(b.b, b.n) == 1);
    uint8_t *clean; size_t cl; int rep = 0; char err[256];
    CHECK(cn_midi_clean(b.b, b.n, "x", &clean, &cl, &rep, err, sizeof err) == 0 && rep == 1);
    if (clean) CHECK(cl >= 4 && memcmp(clean + cl - 3, "\xff\x2f\x00", 3) == 0);
    free(clean);
    /* format 1: the first track lacks its End-of-Track, the second is fine */
    sb_header(&b, 1, 2, 96);
    sb_track_begin(&b); sb_tempo(&b, 0, 120); sb_track_end(&b);
    sb_track_begin(&b); sb_ev3(&b, 0, 0x90, 60, 100); sb_ev3(&b, 96, 0x80, 60, 0); sb_eot(&b, 0); sb_track_end(&b);
    CHECK(read_ok(b.b, b.n) == 1);
}

TEST(wrong_chunk_lengths) {
    smf_buf b; good_song(&b);
    size_t t2 = 14 + 8 + 4 + 7 + 8;                   /* second MTrk: after header and track 1 */
    CHECK(memcmp(b.b + t2, "MTrk", 4) == 0);
    uint32_t len2 = (uint32_t)(b.n - t2 - 8);
    sb_be32_at(&b, t2 + 4, len2 - 5);                 /* too short: the last events cross the end */
    CHECK(fails_with(b.b, b.n, "chunk length"));
    sb_be32_at(&b, t2 + 4, len2 + 1000000);           /* far past the end: cut to the file */
    CHECK(read_ok(b.b, b.n) == 4);
    good_song(&b);
    sb_be32_at(&b, 14 + 4, 4 + 7 + 8 + 50);           /* track 1 swallows track 2's start */
    CHECK(read_ok(b.b, b.n) == 4);                    /* resynchronised at its End-of-Track */
    good_song(&b);
    sb_be32_at(&b, 14 + 4, 4 + 7 + 1);                /* too short: the End-of-Track is cut */
    CHECK(fails_with(b.b, b.n, "chunk length"));
}

TEST(garbage_inside_tracks) {
    smf_buf b;
    sb_header(&b, 0, 1, 96);
    sb_track_begin(&b); sb_varlen(&b, 0); sb_byte(&b, 60); sb_byte(&b, 100); sb_eot(&b, 0); sb_track_end(&b);
    CHECK(fails_with(b.b, b.n, "no running status"));
    sb_header(&b, 0, 1, 96);
    sb_track_begin(&b); sb_ev3(&b, 0, 0x90, 0x90, 100); sb_eot(&b, 0); sb_track_end(&b);
    CHECK(fails_with(b.b, b.n, "data byte"));
    sb_header(&b, 0, 1, 96);
    sb_track_begin(&b); sb_bytes(&b, "\xff\xff\xff\xff\x7f", 5); sb_eot(&b, 0); sb_track_end(&b);
    CHECK(fails_with(b.b, b.n, "longer than 4 bytes"));
    sb_header(&b, 0, 1, 96);
    sb_track_begin(&b); sb_varlen(&b, 0); sb_byte(&b, 0xf4); sb_eot(&b, 0); sb_track_end(&b);
    CHECK(fails_with(b.b, b.n, "not allowed"));
    sb_header(&b, 0, 1, 96);
    sb_track_begin(&b); sb_varlen(&b, 0); sb_bytes(&b, "\xff\x01\x7f" "abc", 6); sb_track_end(&b);
    CHECK(fails_with(b.b, b.n, "meta event cut off"));
    sb_header(&b, 0, 2, 96);
    sb_track_begin(&b); sb_eot(&b, 0); sb_track_end(&b);
    sb_bytes(&b, "\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9);
    CHECK(fails_with(b.b, b.n, "garbage"));
}

TEST(folder_with_files_that_are_not_midi) {
    char p[600];
    smf_buf good; good_song(&good);
    smf_buf smpte; good_song(&smpte); smpte.b[12] = 0xe7;
    struct { const char *name; const void *data; size_t len; } files[] = {
        { "a_good.mid", good.b, good.n },
        { "b_text.mid", "just text\n", 10 },
        { "c_empty.mid", "", 0 },
        { "d_smpte.mid", smpte.b, smpte.n },
        { "e_cut.mid", good.b, good.n - 7 },
        { "f_notes.txt", "ignored", 7 },
        { "g_good.midi", good.b, good.n },
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, files[i].name);
        FILE *f = fopen(p, "wb");
        CHECK(f != NULL);
        if (!f) return;
        if (files[i].len) fwrite(files[i].data, 1, files[i].len, f);
        fclose(f);
    }
    snprintf(p, sizeof p, "%s/sub.mid", tmpdir); mkdir(p, 0755);   /* a folder named like a file */
    char **paths; char err[512];
    int n = cn_midi_list(tmpdir, &paths, err, sizeof err);
    CHECK(n == 6);
    int ok = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        cn_song s;
        if (cn_midi_read(paths[i], NULL, &s, err, sizeof err) == 0) { ok++; CHECK(s.n_notes == 4); }
        else { bad++; CHECKF(strncmp(err, paths[i], strlen(paths[i])) == 0 && err[strlen(paths[i])] == ':', "%s", err); }
        cn_song_free(&s);
    }
    CHECK(ok == 2 && bad == 4);
    cn_song s;
    CHECK(cn_midi_read(p, NULL, &s, err, sizeof err) == -1);            /* reading a folder */
    CHECKF(strstr(err, "folder") != NULL, "%s", err);
    cn_song_free(&s);
    snprintf(p, sizeof p, "%s/missing.mid", tmpdir);
    CHECK(cn_midi_read(p, NULL, &s, err, sizeof err) == -1 && strstr(err, "No such file"));
    cn_song_free(&s);
    cn_midi_list_free(paths, n);
}

/* Every prefix of a valid file, and 4000 random corruptions: no crash, no sanitizer report,
 * and a failure always comes with a message naming the file. */
TEST(fuzz_truncations_and_flips) {
    smf_buf b; good_song(&b);
    int bad_msgs = 0, n_ok = 0;
    for (size_t cut = 0; cut <= b.n; cut++) {
        cn_song s; char err[512] = "";
        int rc = cn_midi_read_mem(b.b, cut, "f.mid", NULL, &s, err, sizeof err);
        if (rc == 0) n_ok++;
        else if (strncmp(err, "f.mid: ", 7) != 0) bad_msgs++;
        cn_song_free(&s);
    }
    CHECK(n_ok >= 1);           /* at least the whole file */
    uint32_t x = 987654321u;
    for (int iter = 0; iter < 4000; iter++) {
        smf_buf c = b;
        int flips = 1 + iter % 4;
        for (int k = 0; k < flips; k++) {
            x = x * 1664525u + 1013904223u;
            size_t at = 8 + (x >> 8) % (c.n - 8);
            x = x * 1664525u + 1013904223u;
            c.b[at] = (uint8_t)(x >> 24);
        }
        x = x * 1664525u + 1013904223u;
        size_t len = (iter % 3 == 0) ? c.n - (x >> 8) % 12 : c.n;
        cn_song s; char err[512] = "";
        int rc = cn_midi_read_mem(c.b, len, "f.mid", NULL, &s, err, sizeof err);
        if (rc != 0 && strncmp(err, "f.mid: ", 7) != 0) bad_msgs++;
        if (rc == 0) for (size_t i = 0; i < s.n_notes; i++) CHECK(s.notes[i].dur_beat >= 0 && s.notes[i].pitch < 128);
        cn_song_free(&s);
    }
    CHECK(bad_msgs == 0);
}

/* Reads path with stderr caught in a file; returns what cn_midi_read printed. */
static int read_catching_stderr(const char *path, cn_song *s, char *caught, size_t len) {
    char log[300], err[512];
    snprintf(log, sizeof log, "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    FILE *f = fopen(log, "w+");
    if (!f || saved < 0) return -2;
    dup2(fileno(f), 2);
    int rc = cn_midi_read(path, NULL, s, err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(f);
    size_t n = fread(caught, 1, len - 1, f);
    caught[n] = 0;
    fclose(f);
    return rc;
}

static int count_lines(const char *t) { int n = 0; for (; *t; t++) n += *t == '\n'; return n; }

static void write_file(const char *path, const uint8_t *b, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f) { fwrite(b, 1, n, f); fclose(f); }
}

/* A repaired file is read, and said so once on stderr: the file, what was repaired, and
 * that notes may be missing. A clean file says nothing; so does a repair that loses nothing. */
TEST(repairs_are_said_once) {
    char p[300], caught[2048];
    cn_song s;
    smf_buf b; good_song(&b);
    snprintf(p, sizeof p, "%s/cut.mid", tmpdir);
    write_file(p, b.b, b.n - 16);                     /* the last chunk runs past the end */
    CHECK(read_catching_stderr(p, &s, caught, sizeof caught) == 0);
    CHECK(s.n_notes == 3 && (s.repairs & CN_MIDI_FIX_CUT));
    cn_song_free(&s);
    CHECKF(count_lines(caught) == 1 && strstr(caught, p) && strstr(caught, "warning") &&
           strstr(caught, "truncated") && strstr(caught, "notes may be missing"), "stderr: '%s'", caught);
    good_song(&b);
    b.b[11] = 3;                                      /* the header claims 3 tracks of 2 */
    snprintf(p, sizeof p, "%s/tracks.mid", tmpdir);
    write_file(p, b.b, b.n);
    CHECK(read_catching_stderr(p, &s, caught, sizeof caught) == 0);
    CHECK(s.n_notes == 4 && s.repairs == CN_MIDI_FIX_FEWER_TRACKS);
    cn_song_free(&s);
    CHECKF(count_lines(caught) == 1 && strstr(caught, p) && strstr(caught, "claims more tracks"), "stderr: '%s'", caught);
    good_song(&b);
    snprintf(p, sizeof p, "%s/fine.mid", tmpdir);
    write_file(p, b.b, b.n);
    CHECK(read_catching_stderr(p, &s, caught, sizeof caught) == 0 && s.repairs == 0);
    cn_song_free(&s);
    CHECKF(caught[0] == 0, "stderr: '%s'", caught);
}

/* A read that fails leaves nothing allocated in the song (the tools used to leak it). */
TEST(failed_read_holds_nothing) {
    cn_song s;
    char err[256];
    CHECK(cn_midi_read_mem((const uint8_t *)"MThd", 4, "bad.mid", NULL, &s, err, sizeof err) == -1);
    CHECK(s.tempos == NULL && s.notes == NULL && s.n_tempos == 0);
    CHECK(cn_midi_read("/nonexistent/x.mid", NULL, &s, err, sizeof err) == -1);
    CHECK(s.tempos == NULL && s.notes == NULL);
}

/* Deltas of dropped events add up into the next kept one: past 28 bits it would not fit a
 * variable-length quantity and the clean copy's times would be wrong (found by fuzz-midi). */
TEST(track_longer_than_a_delta_can_say) {
    smf_buf b;
    sb_header(&b, 0, 1, 96);
    sb_track_begin(&b);
    sb_bytes(&b, "\xff\xff\xff\x7f\xb0\x07\x64", 7);        /* 2^28 - 1 ticks, then a dropped CC7 */
    sb_ev3(&b, 1, 0x90, 60, 100); sb_ev3(&b, 96, 0x80, 60, 0);
    sb_eot(&b, 0); sb_track_end(&b);
    CHECK(fails_with(b.b, b.n, "track longer than"));
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/continuo-test-midibad-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    RUN(good_file_reads);
    RUN(empty_and_not_midi);
    RUN(zero_and_smpte_division);
    RUN(bad_header_and_format);
    RUN(truncated_in_an_event);
    RUN(truncated_between_events_is_repaired);
    RUN(missing_end_of_track_is_repaired);
    RUN(wrong_chunk_lengths);
    RUN(garbage_inside_tracks);
    RUN(folder_with_files_that_are_not_midi);
    RUN(fuzz_truncations_and_flips);
    RUN(track_longer_than_a_delta_can_say);
    RUN(repairs_are_said_once);
    RUN(failed_read_holds_nothing);
    char cmd[300]; snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_summary();
}
