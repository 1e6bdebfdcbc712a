/* jack_probe.c: build/jack-probe, a JACK client for tests/hosts/jack.sh that records the MIDI it
 * receives together with the host's transport at that very frame: one line an event,
 *   STATUS PITCH VELOCITY HOSTBEAT BPM TRANSPORTFRAME ROLLING OFFSET PERIOD RATE
 * where HOSTBEAT is the BBT position (bar, beat, tick of the cycle's start) plus the event's
 * offset at the stated tempo, so a test can check notes land on the host's beat grid; OFFSET
 * is the event's frame in its cycle, PERIOD the cycle's length and RATE the sample rate (a note
 * that was due in a cycle the graph lost comes at offset 0 of the next cycle its sender runs, or
 * a period late at its own offset when the probe reads a buffer its late sender wrote for the
 * cycle before). The
 * process callback only copies into a lock-free ring; the main thread prints. */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/transport.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define RING 4096
typedef struct {
    unsigned char d[3];
    double beat, bpm, rate;
    long frame;
    int rolling;
    unsigned off, period;
} probe_ev;
typedef struct {
    jack_client_t *client;
    jack_port_t *in;
    probe_ev ring[RING];
    _Atomic unsigned head, tail;
    /* the previous cycle, to see a cycle the loaded graph lost (process thread only) */
    int have_prev, prev_rolling;
    jack_nframes_t prev_time;
    double prev_beat0, prev_bpm;
} probe;

/* process thread: one line into the ring (dropped when it is full) */
static void push(probe *p, const unsigned char *d, size_t size, double beat, double bpm, long frame, int rolling,
                 unsigned off, unsigned period, double rate) {
    unsigned h = atomic_load_explicit(&p->head, memory_order_relaxed);
    if (h - atomic_load_explicit(&p->tail, memory_order_acquire) >= RING) return;
    probe_ev *e = &p->ring[h % RING];
    memset(e->d, 0, 3);
    memcpy(e->d, d, size);
    e->beat = beat;
    e->bpm = bpm;
    e->frame = frame;
    e->rolling = rolling;
    e->off = off;
    e->period = period;
    e->rate = rate;
    atomic_store_explicit(&p->head, h + 1, memory_order_release);
}

/* process thread: a line "00 KIND 0 ..." when this cycle does not follow the last one: KIND 1,
 * cycles were skipped (the frame time moved by more than one period: an xrun lost them); KIND 2,
 * the BBT does not follow on from the last cycle's at its tempo (a stale or late position) */
static void check_cycle(probe *p, jack_nframes_t n, const jack_position_t *pos, double beat0, int rolling) {
    jack_nframes_t t = jack_last_frame_time(p->client);
    if (p->have_prev) {
        unsigned char gap[2] = { 0, 1 }, bbt[2] = { 0, 2 };
        if (t - p->prev_time != n)
            push(p, gap, 2, beat0, pos->beats_per_minute, (long)pos->frame, rolling, 0, n, pos->frame_rate);
        double want = p->prev_beat0 + n * p->prev_bpm / (60.0 * pos->frame_rate);
        if (rolling && p->prev_rolling && beat0 >= 0 && p->prev_beat0 >= 0 && fabs(beat0 - want) > 1e-3)
            push(p, bbt, 2, beat0, pos->beats_per_minute, (long)pos->frame, rolling, 0, n, pos->frame_rate);
    }
    p->have_prev = 1;
    p->prev_time = t;
    p->prev_beat0 = beat0;
    p->prev_bpm = pos->beats_per_minute;
    p->prev_rolling = rolling;
}

static volatile sig_atomic_t g_stop;
static void on_signal(int s) { (void)s; g_stop = 1; }

static int process(jack_nframes_t n, void *arg) {
    probe *p = arg;
    void *buf = jack_port_get_buffer(p->in, n);
    jack_position_t pos;
    jack_transport_state_t st = jack_transport_query(p->client, &pos);
    int bbt = (pos.valid & JackPositionBBT) && pos.ticks_per_beat > 0 && pos.beats_per_minute > 0;
    double beat0 = bbt ? (pos.bar - 1) * pos.beats_per_bar + (pos.beat - 1) + pos.tick / pos.ticks_per_beat : -1;
    int rolling = st == JackTransportRolling;
    check_cycle(p, n, &pos, beat0, rolling);
    uint32_t count = jack_midi_get_event_count(buf);
    for (uint32_t i = 0; i < count; i++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, i) || ev.size < 1 || ev.size > 3) continue;
        double beat = bbt ? beat0 + ev.time * pos.beats_per_minute / (60.0 * pos.frame_rate) : -1;
        push(p, ev.buffer, ev.size, beat, bbt ? pos.beats_per_minute : 0, (long)pos.frame + (long)ev.time, rolling,
             ev.time, n, pos.frame_rate);
    }
    return 0;
}

int main(int argc, char **argv) {
    static probe p;
    const char *name = argc > 1 ? argv[1] : "probe";
    jack_status_t status;
    p.client = jack_client_open(name, JackNoStartServer, &status);
    if (!p.client) { fprintf(stderr, "jack-probe: no JACK server (status 0x%x)\n", (unsigned)status); return 1; }
    p.in = jack_port_register(p.client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    if (!p.in) { fprintf(stderr, "jack-probe: cannot register its port\n"); return 1; }
    jack_set_process_callback(p.client, process, &p);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (jack_activate(p.client)) { fprintf(stderr, "jack-probe: cannot activate\n"); return 1; }
    while (!g_stop) {
        unsigned t = atomic_load_explicit(&p.tail, memory_order_relaxed);
        if (t == atomic_load_explicit(&p.head, memory_order_acquire)) {
            struct timespec ts = { 0, 5000000L };
            nanosleep(&ts, NULL);
            continue;
        }
        const probe_ev *e = &p.ring[t % RING];
        printf("%02x %d %d %.6f %.3f %ld %d %u %u %.0f\n", e->d[0], e->d[1], e->d[2], e->beat, e->bpm, e->frame,
               e->rolling, e->off, e->period, e->rate);
        fflush(stdout);
        atomic_store_explicit(&p.tail, t + 1, memory_order_release);
    }
    jack_client_close(p.client);
    return 0;
}
