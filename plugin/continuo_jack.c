/* continuo_jack.c: build/continuo-jack, the live engine as a JACK client: one MIDI in, one
 * MIDI out, tempo and transport from JACK's BBT when a timebase master gives it (else its
 * own tempo), inference on its own thread. A port to connect that is not there is a warning
 * listing the ports that are. The process callback only calls the engine's real-time half
 * and posts a semaphore (non-blocking, async-signal-safe) to wake the worker; it never
 * locks or allocates. SIGINT/SIGTERM: a last cycle sends note-offs for every held
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
#include "cli.h"
#include "frontend_opts.h"
#include "jam.h"

#define PROGRAM "continuo-jack"
#define MAX_MSGS 1024
#define MAX_CONNECT 8
#define PANIC_CYCLES 3   /* cycles that send the panic at the end (see on_process) */

typedef struct {
    jack_client_t *client;
    jack_port_t *in, *out;
    cn_jam *jam;
    sem_t wake;
    pthread_t worker;
    _Atomic int quit_req;      /* main -> process: send the note-offs and go quiet */
    _Atomic int flushed;       /* process -> main: the panic went out in PANIC_CYCLES cycles */
    int panics;                /* process only: cycles that have sent the panic */
    _Atomic int worker_quit;
    _Atomic int server_gone;
    _Atomic unsigned cycles, xruns, dropped_in;
    _Atomic unsigned regen_req;   /* main -> process: SIGUSR1s, each answers the last call again */
    unsigned regen_seen;          /* process: the requests acted on */
    cn_jam_params params;         /* process: the parameters, for the regenerate trigger */
    _Atomic uint32_t sample_rate;
    char gone_reason[256];
    cn_midi_msg in_buf[MAX_MSGS], out_buf[MAX_MSGS];
} jack_app;

/* The signal handler can only reach the app through a global: it holds the flag alone. */
static volatile sig_atomic_t g_signalled, g_regen;
static void on_signal(int sig) { g_signalled = sig; }
static void on_usr1(int sig) { (void)sig; g_regen++; }

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
        /* the note-offs, then CC123 again in the next cycles: a cycle that finishes late (an
         * xrun on a loaded machine) has its output dropped by the server, and a note-off lost
         * there would hang the note */
        write_out(a, ob, cn_jam_panic(a->jam, 0, a->out_buf, MAX_MSGS));
        if (++a->panics >= PANIC_CYCLES) atomic_store_explicit(&a->flushed, 1, memory_order_release);
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
    /* JACK's transport as it says it: BBT (integer ticks) from a timebase master, the
     * transport frame, rolling; the engine's host clock makes one steady beat of it */
    jack_position_t pos;
    jack_transport_state_t st = jack_transport_query(a->client, &pos);
    cn_host_pos hp = cn_host_pos_none();
    cn_jam_time t;
    memset(&t, 0, sizeof t);
    t.offset = 0;
    t.n_frames = n;
    t.sample_rate = atomic_load_explicit(&a->sample_rate, memory_order_relaxed);
    if ((pos.valid & JackPositionBBT) && pos.beats_per_minute > 0 && pos.ticks_per_beat > 0) {
        t.host_time = 1;
        t.pos = &hp;
        hp.has_bar = 1; hp.bar = pos.bar - 1;
        hp.has_bar_beat = 1; hp.bar_beat = (pos.beat - 1) + pos.tick / pos.ticks_per_beat;
        hp.resolution = 1.0 / pos.ticks_per_beat;
        hp.bpm = pos.beats_per_minute;
        hp.beats_per_bar = pos.beats_per_bar;
        hp.has_frame = 1; hp.frame = pos.frame;
        hp.has_speed = 1; hp.speed = st == JackTransportRolling;
    }
    unsigned rq = atomic_load_explicit(&a->regen_req, memory_order_relaxed);
    if (rq != a->regen_seen) {   /* the regenerate trigger, from the RT thread as the engine wants */
        a->regen_seen = rq;
        a->params.regenerate++;
        cn_jam_set_params(a->jam, &a->params);
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
        "  -s, --server NAME       the JACK server to join (default: $JACK_DEFAULT_SERVER, or the default server)\n"
        "  --connect-in PORT       connect PORT to our input on start (repeatable); a port that is\n"
        "                          not there gets a warning listing the ports that are\n"
        "  --connect-out PORT      connect our output to PORT on start (repeatable), likewise\n"
        "  -h, --help              this text\n"
        "  --version               the program's version\n");
    cn_fe_help(f);
    fprintf(f, "\nTempo and transport follow JACK's BBT when a timebase master provides it;\n"
               "otherwise --bpm is used. A transport stop sends note-offs and CC123.\n"
               "Exit status: 0 ok, 1 runtime error (no server, a model that does not load), 2 usage error.\n");
}

enum { O_CONNECT_IN = 256, O_CONNECT_OUT, O_VERSION };
static const struct option own_opts[] = {
    { "name", required_argument, 0, 'n' }, { "server", required_argument, 0, 's' },
    { "connect-in", required_argument, 0, O_CONNECT_IN }, { "connect-out", required_argument, 0, O_CONNECT_OUT },
    { "help", no_argument, 0, 'h' }, { "version", no_argument, 0, O_VERSION }, { 0, 0, 0, 0 }
};

typedef struct {
    cn_fe_opts o;
    const char *name, *server;
    const char *conn_in[MAX_CONNECT], *conn_out[MAX_CONNECT];
    int n_conn_in, n_conn_out;
} jack_args;

/* -1 to go on, or the exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, jack_args *a) {
    memset(a, 0, sizeof *a);
    cn_fe_opts_default(&a->o);
    a->name = "continuo";
    struct option opts[64];
    if (cn_fe_long_opts(own_opts, opts, 64) < 0) return CN_EXIT_RUNTIME;
    char err[512];
    int c;
    while ((c = cn_cli_getopt(argc, argv, ":hm:n:s:", opts, PROGRAM)) != -1) {
        int r = cn_fe_apply(c, optarg, &a->o, err, sizeof err);
        if (r < 0) { fprintf(stderr, PROGRAM ": %s\n", err); return CN_EXIT_USAGE; }
        if (r > 0) continue;
        switch (c) {
        case 'h': usage(stdout); return CN_EXIT_OK;
        case O_VERSION: cn_cli_version(PROGRAM); return CN_EXIT_OK;
        case 'n': a->name = optarg; break;
        case 's': a->server = optarg; break;
        case O_CONNECT_IN: case O_CONNECT_OUT: {
            int in = c == O_CONNECT_IN, *n = in ? &a->n_conn_in : &a->n_conn_out;
            if (*n == MAX_CONNECT) {
                fprintf(stderr, PROGRAM ": at most %d --connect-%s\n", MAX_CONNECT, in ? "in" : "out");
                return CN_EXIT_USAGE;
            }
            (in ? a->conn_in : a->conn_out)[(*n)++] = optarg;
            break;
        }
        default: return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROGRAM ": unexpected argument '%s' (see " PROGRAM " --help)\n", argv[optind]);
        return CN_EXIT_USAGE;
    }
    return -1;
}

/* A port to connect that is not there is no reason to stop playing: say so, and list the
 * MIDI ports that are (of the other direction: outputs for our input, inputs for our output). */
static void connect_or_warn(jack_client_t *client, const char *src, const char *dst, const char *missing,
                            unsigned long want_flags) {
    if (jack_connect(client, src, dst) == 0) return;
    fprintf(stderr, PROGRAM ": warning: cannot connect %s to %s: no port %s; going on unconnected.\n", src, dst, missing);
    const char **ports = jack_get_ports(client, NULL, JACK_DEFAULT_MIDI_TYPE, want_flags);
    if (!ports || !ports[0]) fprintf(stderr, "  (the server has no MIDI %s ports)\n", want_flags & JackPortIsOutput ? "output" : "input");
    else {
        fprintf(stderr, "  MIDI %s ports there are:\n", want_flags & JackPortIsOutput ? "output" : "input");
        for (int i = 0; ports[i]; i++) fprintf(stderr, "    %s\n", ports[i]);
    }
    if (ports) jack_free(ports);
}

static void sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* The app with its engine, the model swapped in and the parameters set; NULL when not (the
 * message said). *model_path: the model file used. */
static jack_app *app_new(const cn_fe_opts *o, char *pathbuf, size_t pathlen, const char **model_path) {
    char err[512];
    cn_model *model = cn_fe_load_model(o, pathbuf, pathlen, model_path, err, sizeof err);
    if (!model) { fprintf(stderr, PROGRAM ": %s\n", err); return NULL; }
    jack_app *a = calloc(1, sizeof *a);
    if (!a || !(a->jam = cn_jam_new())) { fprintf(stderr, PROGRAM ": out of memory\n"); return NULL; }
    a->params = o->params;
    cn_jam_set_params(a->jam, &o->params);
    if (cn_jam_swap_model(a->jam, model, NULL, err, sizeof err)) {
        fprintf(stderr, PROGRAM ": %s: %s\n", *model_path, err);
        cn_model_free(model);
        cn_jam_free(a->jam);
        free(a);
        return NULL;
    }
    cn_fe_warn_ignored(stderr, "continuo-jack", a->jam, &o->params);
    sem_init(&a->wake, 0, 0);
    return a;
}

static void app_free(jack_app *a) {
    cn_jam_free(a->jam);
    free(a);
}

/* The client, its two MIDI ports and its callbacks: 0, or -1 (the message said; nothing of
 * JACK's is left open). */
static int client_open(jack_app *a, const jack_args *args) {
    jack_status_t status;
    a->client = args->server ? jack_client_open(args->name, JackNoStartServer | JackServerName, &status, args->server)
                             : jack_client_open(args->name, JackNoStartServer, &status);
    if (!a->client) {
        fprintf(stderr, PROGRAM ": cannot connect to the JACK server%s%s (status 0x%x): is jackd running?\n",
                args->server ? " " : "", args->server ? args->server : "", (unsigned)status);
        return -1;
    }
    atomic_store(&a->sample_rate, jack_get_sample_rate(a->client));
    a->in = jack_port_register(a->client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    a->out = jack_port_register(a->client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    if (!a->in || !a->out) {
        fprintf(stderr, PROGRAM ": cannot register the MIDI ports\n");
        jack_client_close(a->client);
        return -1;
    }
    jack_set_process_callback(a->client, on_process, a);
    jack_set_xrun_callback(a->client, on_xrun, a);
    jack_set_buffer_size_callback(a->client, on_buffer_size, a);
    jack_set_sample_rate_callback(a->client, on_sample_rate, a);
    jack_on_info_shutdown(a->client, on_shutdown, a);
    return 0;
}

/* SIGINT/SIGTERM stop, SIGUSR1 regenerates, SIGPIPE is ignored: a dead server's socket must
 * give an error, not kill us. */
static void install_signals(void) {
    cn_cli_on_stop_signals(on_signal);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Activate, connect, and play until a signal or the server's end: 0, or 1 when the client
 * would not activate. */
static int run_until_stopped(jack_app *a, const jack_args *args, const cn_fe_opts *o, const char *model_path) {
    if (jack_activate(a->client)) {
        fprintf(stderr, PROGRAM ": cannot activate the JACK client\n");
        return 1;
    }
    for (int k = 0; k < args->n_conn_in; k++)
        connect_or_warn(a->client, args->conn_in[k], jack_port_name(a->in), args->conn_in[k], JackPortIsOutput);
    for (int k = 0; k < args->n_conn_out; k++)
        connect_or_warn(a->client, jack_port_name(a->out), args->conn_out[k], args->conn_out[k], JackPortIsInput);
    fprintf(stderr, PROGRAM ": %s running at %u Hz, mode %s, model %s\n", jack_get_client_name(a->client),
            (unsigned)jack_get_sample_rate(a->client), cn_fe_mode_name(o->params.mode), model_path);
    while (!g_signalled && !atomic_load(&a->server_gone)) {
        sleep_ms(20);
        atomic_store_explicit(&a->regen_req, (unsigned)g_regen, memory_order_relaxed);
    }
    return 0;
}

static void stop_worker(jack_app *a) {
    atomic_store(&a->worker_quit, 1);
    sem_post(&a->wake);
    pthread_join(a->worker, NULL);
}

/* The last cycles send the note-offs and CC123, two more let the readers take them; then
 * the client closes and the worker stops. */
static void shut_down(jack_app *a) {
    atomic_store_explicit(&a->quit_req, 1, memory_order_release);
    /* up to 5 s each: a loaded server may run no cycle for a long while */
    for (int k = 0; k < 1000 && !atomic_load(&a->flushed) && !atomic_load(&a->server_gone); k++) sleep_ms(5);
    unsigned c0 = atomic_load(&a->cycles);
    for (int k = 0; k < 1000 && atomic_load(&a->cycles) < c0 + 2 && !atomic_load(&a->server_gone); k++) sleep_ms(5);
    jack_deactivate(a->client);
    jack_client_close(a->client);
    stop_worker(a);
    unsigned xr = atomic_load(&a->xruns), dr = atomic_load(&a->dropped_in);
    if (xr || dr) fprintf(stderr, PROGRAM ": %u xruns, %u input events dropped\n", xr, dr);
    fprintf(stderr, PROGRAM ": stopped%s\n", g_signalled ? " on a signal, all notes off" : "");
}

int main(int argc, char **argv) {
    jack_args args;
    int parsed = parse_args(argc, argv, &args);
    if (parsed >= 0) return parsed;
    char pathbuf[4096];
    const char *model_path = NULL;
    jack_app *a = app_new(&args.o, pathbuf, sizeof pathbuf, &model_path);
    if (!a) return CN_EXIT_RUNTIME;
    if (client_open(a, &args)) { app_free(a); return CN_EXIT_RUNTIME; }
    install_signals();
    if (pthread_create(&a->worker, NULL, worker_main, a) != 0) {
        fprintf(stderr, PROGRAM ": cannot start the inference thread\n");
        jack_client_close(a->client);
        app_free(a);
        return CN_EXIT_RUNTIME;
    }
    int rc = run_until_stopped(a, &args, &args.o, model_path);
    if (atomic_load(&a->server_gone)) {
        /* the client is dead with the server: only the worker is ours to stop */
        fprintf(stderr, PROGRAM ": the JACK server went away (%s); exiting\n", a->gone_reason);
        stop_worker(a);
        return CN_EXIT_RUNTIME;
    }
    shut_down(a);
    sem_destroy(&a->wake);
    app_free(a);
    return rc;
}
