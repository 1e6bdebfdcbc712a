/* midi.h: Standard MIDI Files in and out, as a flat list of notes.
 * Reading checks every byte (chunk bounds, event lengths, End-of-Track) before libsmf
 * sees the file, because libsmf 1.3 crashes on malformed input; a bad file gives one
 * message naming the file and the problem. Time is kept in beats (ticks/PPQ, quarter
 * notes) and in seconds (through the tempo map). */
#ifndef CONTINUO_MIDI_H
#define CONTINUO_MIDI_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    double start_beat, dur_beat;   /* quarter-note beats from the file's start */
    double start_sec, dur_sec;     /* through the tempo map */
    uint8_t pitch, velocity, channel; /* channel 0..15 */
} cn_note;

typedef struct {
    double beat;   /* where this tempo starts */
    double sec;    /* the same point in seconds */
    double bpm;
} cn_tempo;

typedef struct {
    cn_note *notes;     size_t n_notes;   /* sorted by start_beat, then pitch */
    cn_tempo *tempos;   size_t n_tempos;  /* >= 1; first at beat 0 (120 bpm when the file has none) */
    int ppq;            /* ticks per quarter in the source file (480 for songs made in memory) */
    int ts_num, ts_den; /* first time signature, 4/4 when none */
    int program;        /* first program change, -1 when none */
    double end_beat;    /* last note-off or end of track */
    int repairs;        /* CN_MIDI_FIX_* bits: what reading had to repair (0 for none) */
} cn_song;

typedef struct {
    int keep_drums;   /* 0: notes on channel 10 (index 9) are skipped */
    int use_sustain;  /* 1: CC64 >= 64 holds notes until the pedal lifts */
} cn_midi_opts;

cn_midi_opts cn_midi_opts_default(void);   /* drums off, sustain on */

/* Read a file. 0 on success; on error -1, err holds "PATH: problem" and *out holds nothing
 * (no need to free it). What can be read of a damaged file is read: when the file needed a
 * repair, one warning "PROGRAM: warning: PATH: ...: notes may be missing" goes to stderr. */
int cn_midi_read(const char *path, const cn_midi_opts *opts, cn_song *out, char *err, size_t errlen);
/* Same from memory; name is used in messages; out->repairs holds the repairs, silently. */
int cn_midi_read_mem(const uint8_t *buf, size_t len, const char *name, const cn_midi_opts *opts,
                     cn_song *out, char *err, size_t errlen);

/* Write format 1: a tempo track (tempo map, time signature) and one note track (program,
 * notes) at 480 PPQ. Uses notes' start_beat/dur_beat and the song's tempos (one for songs
 * made in memory). Same-pitch overlaps are cut, notes last >= 1 tick, no stuck notes. Writes a temporary file,
 * fsyncs and renames, so a failure never leaves a half-written file. 0 or -1 with err. */
int cn_midi_write(const char *path, const cn_song *song, char *err, size_t errlen);

/* The byte check behind cn_midi_read_mem: validates buf and writes a clean canonical copy
 * (*out, malloc'd) that libsmf can load safely; *repaired = 1 when something was fixed
 * (missing End-of-Track, chunk length past the end, junk). 0, or -1 with err "NAME: problem". */
int cn_midi_clean(const uint8_t *buf, size_t len, const char *name, uint8_t **out, size_t *out_len,
                  int *repaired, char *err, size_t errlen);
/* The repairs, as bits of *repaired (nonzero: something was fixed). */
#define CN_MIDI_FIX_EOT          1    /* a track without End-of-Track */
#define CN_MIDI_FIX_CUT          2    /* a track length past the end of the file: truncated */
#define CN_MIDI_FIX_RESYNC       4    /* a track length that swallowed the next track */
#define CN_MIDI_FIX_JUNK         8    /* bytes after the declared tracks */
#define CN_MIDI_FIX_FEWER_TRACKS 16   /* the header claims more tracks than there are */
#define CN_MIDI_FIX_MORE_TRACKS  32   /* more tracks than the header claims */
/* The repairs in words, "; " between them ("" for none). */
void cn_midi_repairs_text(int repaired, char *buf, size_t len);

/* Mutes libsmf's glib messages on stderr (our messages name the file and the problem).
 * Called by the reader and the writer; idempotent and thread-safe. */
void cn_midi_quiet_libsmf(void);

/* A live message d[0..n) is well formed: a status byte and exactly its data bytes (< 0x80);
 * sysex only whole (F0 ... F7); undefined system statuses refused. 1 or 0. Real-time safe. */
int cn_midi_msg_ok(const uint8_t *d, size_t n);
void cn_song_init(cn_song *s);            /* empty song, 120 bpm, 4/4, ppq 480 */
void cn_song_free(cn_song *s);
/* Appends a note (velocity clamped to 1..127); the notes array grows in powers of two, so only
 * add notes through this call. -1 on OOM or a pitch outside 0..127. */
int  cn_song_add_note(cn_song *s, double start_beat, double dur_beat, int pitch, int vel, int ch);
void cn_song_sort(cn_song *s);           /* sort notes and tempos, recompute seconds; end_beat grows to the last note end */
double cn_song_beat_to_sec(const cn_song *s, double beat);
double cn_song_sec_to_beat(const cn_song *s, double sec);

/* List the MIDI files (.mid/.midi, any case) under a folder, recursively, sorted.
 * A path that is a file is returned as itself. Returns count, -1 on error. */
int cn_midi_list(const char *path, char ***out_paths, char *err, size_t errlen);
/* The same, appended to a growing list (*list of *n paths, freed with cn_midi_list_free):
 * the count added, or -1 with err (the list as it was). What every tool that takes files and
 * folders on its command line does with each argument. */
int cn_midi_list_append(const char *path, char ***list, int *n, char *err, size_t errlen);
void cn_midi_list_free(char **paths, int n);
#endif
