/* jack_master.c: build/jack-master, a JACK timebase master for tests/hosts/transport.sh. It stands
 * for a DAW's transport where jack_transport cannot: jack_transport told to `locate` while it
 * is master leaves the transport Starting for seconds with its BBT at millions of bars (jackd2
 * 1.9.21), so a relocation could not be tested with it.
 *
 * The BBT it reports is exact: one linear map from frames to beats, anchored at a frame and a
 * beat, at BPM (4/4, 1920 ticks a beat; the tick is an integer, as JACK's field is, so a client
 * sees the same truncation as from any master). A tempo change re-anchors the map at the cycle
 * it takes effect, so the beat is continuous across it. Commands, one a line on stdin:
 *   tempo BPM      the new tempo from the next cycle on
 *   locate BEAT    relocate the transport to BEAT on the current map (jack_transport_locate)
 *   play | stop    start or stop the transport
 * Threads: main reads stdin and calls the transport functions; the timebase callback runs on
 * JACK's process thread and reads the pending tempo through an atomic. */
#include <jack/jack.h>
#include <jack/transport.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICKS_PER_BEAT 1920.0
#define BEATS_PER_BAR 4

typedef struct {
    jack_client_t *client;
    _Atomic double pending_bpm;     /* written by main, taken by the timebase callback */
    /* the map, owned by the process thread after activation: beat = beat0 + (f - frame0) * bpm / (60 rate) */
    double bpm, beat0;
    jack_nframes_t frame0;
    _Atomic double map_bpm, map_beat0;   /* copies for main's `locate` (a relocation uses the current map) */
    _Atomic long map_frame0;
} master;

/* process thread: re-anchor the map at the cycle's frame when the tempo changed */
static void take_tempo(master *m, jack_nframes_t frame, double rate) {
    double want = atomic_load_explicit(&m->pending_bpm, memory_order_acquire);
    if (want == m->bpm) return;
    m->beat0 += ((double)frame - (double)m->frame0) * m->bpm / (60.0 * rate);
    m->frame0 = frame;
    m->bpm = want;
    atomic_store(&m->map_beat0, m->beat0);
    atomic_store(&m->map_frame0, (long)m->frame0);
    atomic_store(&m->map_bpm, m->bpm);
}

/* process thread: fill the BBT fields of the cycle's position from the map */
static void timebase(jack_transport_state_t st, jack_nframes_t n, jack_position_t *pos, int new_pos, void *arg) {
    (void)st; (void)n; (void)new_pos;
    master *m = arg;
    double rate = pos->frame_rate;
    take_tempo(m, pos->frame, rate);
    double beat = m->beat0 + ((double)pos->frame - (double)m->frame0) * m->bpm / (60.0 * rate);
    if (beat < 0) beat = 0;
    double whole = floor(beat);
    pos->valid = JackPositionBBT;
    pos->bar = (int32_t)(whole / BEATS_PER_BAR) + 1;
    pos->beat = (int32_t)fmod(whole, BEATS_PER_BAR) + 1;
    pos->tick = (int32_t)((beat - whole) * TICKS_PER_BEAT);
    pos->bar_start_tick = (double)(pos->bar - 1) * BEATS_PER_BAR * TICKS_PER_BEAT;
    pos->beats_per_bar = BEATS_PER_BAR;
    pos->beat_type = 4;
    pos->ticks_per_beat = TICKS_PER_BEAT;
    pos->beats_per_minute = m->bpm;
}

/* main thread: the frame of BEAT on the current map (never before frame 0) */
static jack_nframes_t frame_of(master *m, double beat) {
    double rate = jack_get_sample_rate(m->client);
    double f = (double)atomic_load(&m->map_frame0) +
               (beat - atomic_load(&m->map_beat0)) * 60.0 * rate / atomic_load(&m->map_bpm);
    return f < 0 ? 0 : (jack_nframes_t)llround(f);
}

/* main thread: one command line; 0, or -1 with a message on stderr */
static int command(master *m, const char *line) {
    double v;
    if (sscanf(line, "tempo %lf", &v) == 1 && v > 0 && v < 1000) {
        atomic_store_explicit(&m->pending_bpm, v, memory_order_release);
    } else if (sscanf(line, "locate %lf", &v) == 1 && v >= 0) {
        jack_transport_locate(m->client, frame_of(m, v));
    } else if (!strncmp(line, "play", 4)) {
        jack_transport_start(m->client);
    } else if (!strncmp(line, "stop", 4)) {
        jack_transport_stop(m->client);
    } else {
        fprintf(stderr, "jack-master: %s: unknown command (tempo BPM, locate BEAT, play, stop)\n", line);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    static master m;
    const char *name = argc > 1 ? argv[1] : "master";
    double bpm = argc > 2 ? atof(argv[2]) : 120;
    if (!(bpm > 0 && bpm < 1000)) { fprintf(stderr, "jack-master: %s: tempo out of range (0..1000)\n", argv[2]); return 2; }
    m.bpm = bpm;
    atomic_store(&m.pending_bpm, bpm);
    atomic_store(&m.map_bpm, bpm);
    jack_status_t status;
    m.client = jack_client_open(name, JackNoStartServer, &status);
    if (!m.client) { fprintf(stderr, "jack-master: no JACK server (status 0x%x)\n", (unsigned)status); return 1; }
    if (jack_set_timebase_callback(m.client, 0, timebase, &m)) { fprintf(stderr, "jack-master: cannot become timebase master\n"); return 1; }
    if (jack_activate(m.client)) { fprintf(stderr, "jack-master: cannot activate\n"); return 1; }
    signal(SIGPIPE, SIG_IGN);
    char line[128];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0]) command(&m, line);
    }
    jack_client_close(m.client);
    return 0;
}
