/* continuo_jack.c: build/continuo-jack, the live engine as a JACK client: one MIDI in, one
 * MIDI out, tempo and transport from JACK's BBT when a timebase master gives it (else its
 * own tempo), inference on its own thread. The process callback only calls the engine's
 * real-time half and posts a semaphore (non-blocking, async-signal-safe) to wake the worker;
 * it never locks or allocates. SIGINT/SIGTERM: a last cycle sends note-offs for every held
 * note, then the client closes. The server going away: a message and exit status 1. */
#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/transport.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "frontend_opts.h"
#include "jam.h"

#define MAX_MSGS 1024
#define MAX_CONNECT 8

typedef struct {
    jack_client_t *client;
    jack_port_t *in, *out;
    cn_jam *jam;
    sem_t wake;
    pthread_t worker;
    _Atomic int quit_req;      /* main -> process: send the note-offs and go quiet */
    _Atomic int flushed;       /* process -> main: done */
    _Atomic int worker_quit;
    _Atomic int server_gone;
    _Atomic unsigned cycles, xruns, dropped_in;
    _Atomic uint32_t sample_rate;
    char gone_reason[256];
    cn_midi_msg in_buf[MAX_MSGS], out_buf[MAX_MSGS];
} jack_app;

/* The signal handler can only reach the app through a global: it holds the flag alone. */
static volatile sig_atomic_t g_signalled;
static void on_signal(int sig) { g_signalled = sig; }

static void write_out(jack_app *a, void *ob, int n) {
    for (int i = 0; i < n; i++)
        jack_midi_event_write(ob, a->out_buf[i].frame, a->out_buf[i].data, a->out_buf[i].size);
}

static int on_process(jack_nframes_t n, void *arg) {
    jack_app *a = arg;
    void *ib = jack_port_get_buffer(a->in, n), *ob = jack_port_get_buffer(a->out, n);
    jack_midi_clear_buffer(ob);
    atomic_fetch_add_explicit(&a->cycles, 1, memory_order_relaxed);
    if (atomic_load_explicit(&a->flushed, memory_order_acquire)) return 0;
    if (atomic_load_explicit(&a->quit_req, memory_order_acquire)) {
        write_out(a, ob, cn_jam_panic(a->jam, 0, a->out_buf, MAX_MSGS));
        atomic_store_explicit(&a->flushed, 1, memory_order_release);
        return 0;
    }
    int n_in = 0;
    uint32_t count = jack_midi_get_event_count(ib);
    for (uint32_t i = 0; i < count; i++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, ib, i) != 0) continue;
        if (ev.size < 1 || ev.size > 3 || ev.buffer[0] < 0x80 || ev.buffer[0] >= 0xF0) continue;   /* channel messages only */
        if (n_in == MAX_MSGS) { atomic_fetch_add_explicit(&a->dropped_in, 1, memory_order_relaxed); continue; }
        cn_midi_msg *m = &a->in_buf[n_in++];
        m->frame = ev.time < n ? ev.time : n - 1;
        m->size = (uint8_t)ev.size;
        memset(m->data, 0, 3);
        memcpy(m->data, ev.buffer, ev.size);
    }
    jack_position_t pos;
    jack_transport_state_t st = jack_transport_query(a->client, &pos);
    cn_jam_time t;
    memset(&t, 0, sizeof t);
    t.offset = 0;
    t.n_frames = n;
    t.sample_rate = atomic_load_explicit(&a->sample_rate, memory_order_relaxed);
    t.beats_per_bar = 4;
    if ((pos.valid & JackPositionBBT) && pos.beats_per_minute > 0 && pos.ticks_per_beat > 0) {
        t.host_time = 1;
        t.bpm = pos.beats_per_minute;
        t.beats_per_bar = pos.beats_per_bar > 0 ? pos.beats_per_bar : 4;
        t.beat = (pos.bar - 1) * t.beats_per_bar + (pos.beat - 1) + pos.tick / pos.ticks_per_beat;
        t.rolling = st == JackTransportRolling;
    }
    write_out(a, ob, cn_jam_run(a->jam, &t, a->in_buf, n_in, a->out_buf, MAX_MSGS));
    if (cn_jam_wants_work(a->jam)) {
        int v = 0;
        if (sem_getvalue(&a->wake, &v) == 0 && v < 1) sem_post(&a->wake);
    }
    return 0;
}

static void *worker_main(void *arg) {
    jack_app *a = arg;
    while (!atomic_load(&a->worker_quit)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        sem_timedwait(&a->wake, &ts);   /* woken by process(), or every 100 ms regardless */
        for (int guard = 0; guard < 10000 && !atomic_load(&a->worker_quit); guard++)
            if (cn_jam_work(a->jam, 64) == 0) break;
    }
    return NULL;
}

static void on_xrun_count(jack_app *a) { atomic_fetch_add_explicit(&a->xruns, 1, memory_order_relaxed); }
static int on_xrun(void *arg) { on_xrun_count(arg); return 0; }
/* Nothing is sized by the buffer: every table is fixed, so a new size needs no work. */
static int on_buffer_size(jack_nframes_t n, void *arg) { (void)n; (void)arg; return 0; }
static int on_sample_rate(jack_nframes_t sr, void *arg) {
    jack_app *a = arg;
    atomic_store_explicit(&a->sample_rate, sr, memory_order_relaxed);
    return 0;
}
static void on_shutdown(jack_status_t code, const char *reason, void *arg) {
    jack_app *a = arg;
    (void)code;
    snprintf(a->gone_reason, sizeof a->gone_reason, "%s", reason ? reason : "no reason given");
    atomic_store(&a->server_gone, 1);
}

static void usage(FILE *f) {
    fprintf(f,
        "usage: continuo-jack [options]\n"
        "A JACK MIDI client that jams with you: play a phrase into its input and it answers\n"
        "(call and response) or plays along (continuous) on its output.\n\n"
        "  -n, --name NAME         JACK client name (default continuo)\n"
        "  --connect-in PORT       connect PORT to our input on start (repeatable)\n"
        "  --connect-out PORT      connect our output to PORT on start (repeatable)\n"
        "  -h, --help              this text\n");
    cn_fe_help(f);
    fprintf(f, "\nTempo and transport follow JACK's BBT when a timebase master provides it;\n"
               "otherwise --bpm is used. A transport stop sends note-offs and CC123.\n");
}

static void sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int main(int argc, char **argv) {
    cn_fe_opts o;
    cn_fe_opts_default(&o);
    const char *name = "continuo";
    const char *conn_in[MAX_CONNECT], *conn_out[MAX_CONNECT];
    int n_conn_in = 0, n_conn_out = 0;
    char err[512];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cn_fe_parse(argc, argv, &i, &o, err, sizeof err);
        if (r < 0) { fprintf(stderr, "continuo-jack: %s\n", err); return 2; }
        if (r > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        int is_name = !strcmp(a, "-n") || !strcmp(a, "--name");
        int is_in = !strcmp(a, "--connect-in"), is_out = !strcmp(a, "--connect-out");
        if (is_name || is_in || is_out) {
            if (i + 1 >= argc) { fprintf(stderr, "continuo-jack: %s needs a value\n", a); return 2; }
            const char *v = argv[++i];
            if (is_name) name = v;
            else if (is_in && n_conn_in < MAX_CONNECT) conn_in[n_conn_in++] = v;
            else if (is_out && n_conn_out < MAX_CONNECT) conn_out[n_conn_out++] = v;
            else { fprintf(stderr, "continuo-jack: at most %d %s\n", MAX_CONNECT, a); return 2; }
            continue;
        }
        fprintf(stderr, "continuo-jack: unknown option \"%s\" (see --help)\n", a);
        return 2;
    }

    char pathbuf[4096];
    const char *model_path = NULL;
    cn_model *model = cn_fe_load_model(&o, pathbuf, sizeof pathbuf, &model_path, err, sizeof err);
    if (!model) { fprintf(stderr, "continuo-jack: %s\n", err); return 2; }

    jack_app *a = calloc(1, sizeof *a);
    if (!a || !(a->jam = cn_jam_new())) { fprintf(stderr, "continuo-jack: out of memory\n"); return 1; }
    cn_jam_set_params(a->jam, &o.params);
    if (cn_jam_swap_model(a->jam, model, NULL, err, sizeof err)) {
        fprintf(stderr, "continuo-jack: %s: %s\n", model_path, err);
        cn_model_free(model);
        cn_jam_free(a->jam);
        free(a);
        return 2;
    }
    sem_init(&a->wake, 0, 0);

    jack_status_t status;
    a->client = jack_client_open(name, JackNoStartServer, &status);
    if (!a->client) {
        fprintf(stderr, "continuo-jack: cannot connect to the JACK server (status 0x%x): is jackd running?\n",
                (unsigned)status);
        cn_jam_free(a->jam);
        free(a);
        return 1;
    }
    atomic_store(&a->sample_rate, jack_get_sample_rate(a->client));
    a->in = jack_port_register(a->client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    a->out = jack_port_register(a->client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    if (!a->in || !a->out) {
        fprintf(stderr, "continuo-jack: cannot register the MIDI ports\n");
        jack_client_close(a->client);
        cn_jam_free(a->jam);
        free(a);
        return 1;
    }
    jack_set_process_callback(a->client, on_process, a);
    jack_set_xrun_callback(a->client, on_xrun, a);
    jack_set_buffer_size_callback(a->client, on_buffer_size, a);
    jack_set_sample_rate_callback(a->client, on_sample_rate, a);
    jack_on_info_shutdown(a->client, on_shutdown, a);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);   /* a dead server's socket must give an error, not kill us */

    if (pthread_create(&a->worker, NULL, worker_main, a) != 0) {
        fprintf(stderr, "continuo-jack: cannot start the inference thread\n");
        jack_client_close(a->client);
        cn_jam_free(a->jam);
        free(a);
        return 1;
    }
    int rc = 0;
    if (jack_activate(a->client)) {
        fprintf(stderr, "continuo-jack: cannot activate the JACK client\n");
        rc = 1;
    }
    for (int k = 0; !rc && k < n_conn_in; k++)
        if (jack_connect(a->client, conn_in[k], jack_port_name(a->in))) {
            fprintf(stderr, "continuo-jack: cannot connect %s to %s (no such port?)\n", conn_in[k], jack_port_name(a->in));
            rc = 1;
        }
    for (int k = 0; !rc && k < n_conn_out; k++)
        if (jack_connect(a->client, jack_port_name(a->out), conn_out[k])) {
            fprintf(stderr, "continuo-jack: cannot connect %s to %s (no such port?)\n", jack_port_name(a->out), conn_out[k]);
            rc = 1;
        }
    if (!rc) {
        fprintf(stderr, "continuo-jack: %s running at %u Hz, mode %s, model %s\n", jack_get_client_name(a->client),
                (unsigned)jack_get_sample_rate(a->client), cn_fe_mode_name(o.params.mode), model_path);
        while (!g_signalled && !atomic_load(&a->server_gone)) sleep_ms(20);
    }

    if (atomic_load(&a->server_gone)) {
        /* the client is dead with the server: only the worker is ours to stop */
        fprintf(stderr, "continuo-jack: the JACK server went away (%s); exiting\n", a->gone_reason);
        atomic_store(&a->worker_quit, 1);
        sem_post(&a->wake);
        pthread_join(a->worker, NULL);
        return 1;
    }
    /* a last cycle sends the note-offs; one more lets the readers take them */
    atomic_store_explicit(&a->quit_req, 1, memory_order_release);
    for (int k = 0; k < 100 && !atomic_load(&a->flushed) && !atomic_load(&a->server_gone); k++) sleep_ms(5);
    unsigned c0 = atomic_load(&a->cycles);
    for (int k = 0; k < 100 && atomic_load(&a->cycles) < c0 + 2 && !atomic_load(&a->server_gone); k++) sleep_ms(5);
    jack_deactivate(a->client);
    jack_client_close(a->client);
    atomic_store(&a->worker_quit, 1);
    sem_post(&a->wake);
    pthread_join(a->worker, NULL);
    unsigned xr = atomic_load(&a->xruns), dr = atomic_load(&a->dropped_in);
    if (xr || dr) fprintf(stderr, "continuo-jack: %u xruns, %u input events dropped\n", xr, dr);
    fprintf(stderr, "continuo-jack: stopped%s\n", g_signalled ? " on a signal, all notes off" : "");
    sem_destroy(&a->wake);
    cn_jam_free(a->jam);
    free(a);
    return rc;
}
