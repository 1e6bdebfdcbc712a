/* continuo_live.c: build/continuo-live, the live engine over PortMIDI for hardware keyboards,
 * and a file mode that needs no device: --in-file SEED.mid --out-file OUT.mid plays the seed
 * into the engine on a simulated clock (engine/jam_sim.c: faster than real time, the same engine
 * calls as live) and records what comes out as a MIDI file. With no MIDI device it says so and
 * exits 1 (a runtime error, as in every tool; 2 is a usage error). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <portmidi.h>
#include <porttime.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "cli.h"
#include "frontend_opts.h"
#include "jam.h"
#include "jam_sim.h"
#include "midi.h"

#define MAX_MSGS 1024
#define PROGRAM "continuo-live"

/* The signal handler can only reach the loop through a global: it holds the flag alone. */
static volatile sig_atomic_t g_signalled;
static void on_signal(int sig) { g_signalled = sig; }

static void usage(FILE *f) {
    fprintf(f,
        "usage: continuo-live [options]\n"
        "       continuo-live --in-file SEED.mid --out-file OUT.mid [options]\n"
        "       continuo-live --list\n"
        "The live engine over PortMIDI: play a phrase on a MIDI keyboard and it answers.\n\n"
        "  --list                  list the MIDI devices\n"
        "  --in DEV, --out DEV     devices by number (from --list) or by part of the name\n"
        "  --latency MS            output latency for PortMIDI (default 10)\n"
        "  --in-file SEED.mid      play this file into the engine on a simulated clock ...\n"
        "  --out-file OUT.mid      ... and record what comes out here (both needed)\n"
        "  --length BEATS          file mode: beats to run after the seed ends\n"
        "                          (default: silence + longest answer + 2)\n"
        "  -h, --help              this text\n"
        "  --version               the program's version\n");
    cn_fe_help(f);
    fprintf(f, "Exit status: 0 ok, 1 runtime error (no MIDI device, a file or model that does not load), 2 usage error.\n");
}

/* ---- file mode: the engine on a simulated clock (engine/jam_sim.c) ---- */
static int file_mode(const cn_fe_opts *o, int bpm_given, cn_jam *jam, const char *in_path, const char *out_path,
                     double length) {
    char err[512];
    cn_song seed;
    cn_midi_opts mo = cn_midi_opts_default();
    if (cn_midi_read(in_path, &mo, &seed, err, sizeof err)) { fprintf(stderr, PROGRAM ": %s\n", err); return CN_EXIT_RUNTIME; }
    if (seed.n_notes == 0) {
        fprintf(stderr, PROGRAM ": %s: no notes to play\n", in_path);
        cn_song_free(&seed);
        return CN_EXIT_RUNTIME;
    }
    double bpm = bpm_given || seed.n_tempos < 1 ? o->params.bpm : seed.tempos[0].bpm;
    if (!(bpm >= 20 && bpm <= 300)) bpm = o->params.bpm;
    cn_jam_params p = o->params;
    p.bpm = (float)bpm;
    cn_jam_set_params(jam, &p);

    cn_jam_sim_opts so;
    cn_jam_sim_defaults(&so);
    so.bpm = bpm;
    so.beats_per_bar = seed.ts_num > 0 ? seed.ts_num : 4;
    so.length_beats = length > 0 ? length : p.silence_beats + p.response_beats + 2;
    so.stop = &g_signalled;
    cn_song rec;
    cn_jam_sim_info info;
    if (cn_jam_sim_run(jam, &seed, &so, &rec, &info, err, sizeof err)) {
        fprintf(stderr, PROGRAM ": %s: %s\n", in_path, err);
        cn_song_free(&seed);
        return 1;
    }
    int rc = 0;
    if (cn_midi_write(out_path, &rec, err, sizeof err)) {
        fprintf(stderr, PROGRAM ": %s\n", err);
        rc = 1;
    } else {
        int engine_notes = 0;
        for (size_t i = 0; i < rec.n_notes; i++)
            if (rec.notes[i].channel == p.channel_out - 1 && rec.notes[i].start_beat >= info.in_end_beat - 1e-9) engine_notes++;
        fprintf(stderr, PROGRAM ": %s: %d primer notes at %.1f bpm in, %zu notes out (%d after the primer), "
                "%.1f beats -> %s\n", in_path, info.in_note_ons, bpm, rec.n_notes, engine_notes,
                info.in_end_beat + so.length_beats, out_path);
    }
    cn_song_free(&rec);
    cn_song_free(&seed);
    return rc;
}

/* ---- live mode ---- */
typedef struct { cn_jam *jam; _Atomic int quit; } worker_ctx;

static void *worker_main(void *arg) {
    worker_ctx *w = arg;
    while (!atomic_load(&w->quit)) {
        int steps = 0;
        for (int guard = 0; guard < 1000 && !atomic_load(&w->quit); guard++) {
            int s = cn_jam_work(w->jam, 64);
            steps += s;
            if (s == 0) break;
        }
        if (steps == 0) { struct timespec ts = { 0, 1000000L }; nanosleep(&ts, NULL); }   /* poll each ms */
    }
    return NULL;
}

static int list_devices(void) {
    int n = Pm_CountDevices();
    if (n <= 0) {
        printf("no MIDI devices (PortMIDI found none; this machine may have no ALSA sequencer)\n");
        return 0;
    }
    for (int i = 0; i < n; i++) {
        const PmDeviceInfo *d = Pm_GetDeviceInfo(i);
        if (!d) continue;
        printf("%2d  %-6s %s%s  %s\n", i, d->input ? "input" : "output", d->interf ? d->interf : "",
               d->opened ? " (busy)" : "", d->name ? d->name : "");
    }
    return 0;
}

/* A device by number, or the first whose name contains the text (any case). -1 if none. */
static int find_device(const char *spec, int want_input) {
    int n = Pm_CountDevices();
    char *end = NULL;
    long id = strtol(spec, &end, 10);
    if (*spec && !*end) {
        const PmDeviceInfo *d = id >= 0 && id < n ? Pm_GetDeviceInfo((int)id) : NULL;
        return d && (want_input ? d->input : d->output) ? (int)id : -1;
    }
    for (int i = 0; i < n; i++) {
        const PmDeviceInfo *d = Pm_GetDeviceInfo(i);
        if (!d || !d->name || !(want_input ? d->input : d->output)) continue;
        size_t ls = strlen(spec), ln = strlen(d->name);
        for (size_t k = 0; ls <= ln && k + ls <= ln; k++)
            if (strncasecmp(d->name + k, spec, ls) == 0) return i;
    }
    return -1;
}

/* The devices asked for (or the defaults), open, on PortMIDI's clock. 0, or the exit status
 * after the message. */
typedef struct { PortMidiStream *in, *out; int in_id, out_id; } live_ports;

static int open_ports(const char *in_spec, const char *out_spec, int latency, live_ports *p) {
    if (Pm_CountDevices() <= 0) {
        fprintf(stderr, PROGRAM ": no MIDI devices: PortMIDI found none (no ALSA sequencer?). "
                        "Connect a keyboard, or use --in-file SEED.mid --out-file OUT.mid\n");
        return CN_EXIT_RUNTIME;
    }
    p->in_id = in_spec ? find_device(in_spec, 1) : Pm_GetDefaultInputDeviceID();
    p->out_id = out_spec ? find_device(out_spec, 0) : Pm_GetDefaultOutputDeviceID();
    if (p->in_id < 0) {
        fprintf(stderr, PROGRAM ": no MIDI input device %s%s (see --list)\n", in_spec ? "matches " : "", in_spec ? in_spec : "");
        return CN_EXIT_RUNTIME;
    }
    if (p->out_id < 0) {
        fprintf(stderr, PROGRAM ": no MIDI output device %s%s (see --list)\n", out_spec ? "matches " : "", out_spec ? out_spec : "");
        return CN_EXIT_RUNTIME;
    }
    Pt_Start(1, NULL, NULL);
    p->in = p->out = NULL;
    PmError e = Pm_OpenInput(&p->in, p->in_id, NULL, 512, NULL, NULL);
    if (e != pmNoError) { fprintf(stderr, PROGRAM ": cannot open input %d: %s\n", p->in_id, Pm_GetErrorText(e)); return 1; }
    e = Pm_OpenOutput(&p->out, p->out_id, NULL, 512, NULL, NULL, latency);
    if (e != pmNoError) {
        fprintf(stderr, PROGRAM ": cannot open output %d: %s\n", p->out_id, Pm_GetErrorText(e));
        Pm_Close(p->in);
        return 1;
    }
    Pm_SetFilter(p->in, PM_FILT_ACTIVE | PM_FILT_CLOCK | PM_FILT_SYSEX);
    return 0;
}

/* The channel messages that arrived since LAST, as frames 0..n-1 of this cycle, sorted. */
static int read_input(PortMidiStream *in, PmTimestamp last, uint32_t n, cn_midi_msg *msgs) {
    PmEvent buf[256];
    int n_in = 0;
    while (Pm_Poll(in) == TRUE && n_in < MAX_MSGS - 256) {
        int k = Pm_Read(in, buf, 256);
        if (k <= 0) break;
        for (int i = 0; i < k; i++) {
            PmMessage m = buf[i].message;
            int st = Pm_MessageStatus(m);
            if (st < 0x80 || st >= 0xF0) continue;
            long f = (long)buf[i].timestamp - (long)last;
            cn_midi_msg *c = &msgs[n_in++];
            c->frame = (uint32_t)(f < 0 ? 0 : f >= (long)n ? (long)n - 1 : f);
            c->size = (st & 0xF0) == 0xC0 || (st & 0xF0) == 0xD0 ? 2 : 3;
            c->data[0] = (uint8_t)st; c->data[1] = (uint8_t)Pm_MessageData1(m); c->data[2] = (uint8_t)Pm_MessageData2(m);
        }
    }
    /* input arrives in order per read; sort anyway, the engine wants frames sorted */
    for (int i = 1; i < n_in; i++)
        for (int k = i; k > 0 && msgs[k].frame < msgs[k - 1].frame; k--) { cn_midi_msg t = msgs[k]; msgs[k] = msgs[k - 1]; msgs[k - 1] = t; }
    return n_in;
}

static int live_mode(const cn_fe_opts *o, cn_jam *jam, const char *in_spec, const char *out_spec, int latency) {
    live_ports p;
    int st = open_ports(in_spec, out_spec, latency, &p);
    if (st) return st;
    worker_ctx w = { jam, 0 };
    pthread_t th;
    if (pthread_create(&th, NULL, worker_main, &w)) { fprintf(stderr, PROGRAM ": cannot start the inference thread\n"); return 1; }
    fprintf(stderr, PROGRAM ": in %s, out %s, mode %s; Ctrl-C to stop\n", Pm_GetDeviceInfo(p.in_id)->name,
            Pm_GetDeviceInfo(p.out_id)->name, cn_fe_mode_name(o->params.mode));
    /* one frame per millisecond: PortMIDI's timestamps are in ms */
    static cn_midi_msg msgs[MAX_MSGS], outs[MAX_MSGS];
    PmTimestamp last = Pt_Time();
    while (!g_signalled) {
        struct timespec ts = { 0, 1000000L };
        nanosleep(&ts, NULL);
        PmTimestamp now = Pt_Time();
        if (now <= last) continue;
        uint32_t n = (uint32_t)(now - last);
        if (n > 1000) { last = now - 1000; n = 1000; }
        int n_in = read_input(p.in, last, n, msgs);
        cn_jam_time t;
        memset(&t, 0, sizeof t);
        t.n_frames = n; t.sample_rate = 1000;
        int k = cn_jam_run(jam, &t, msgs, n_in, outs, MAX_MSGS);
        for (int i = 0; i < k; i++)
            Pm_WriteShort(p.out, last + (PmTimestamp)outs[i].frame, Pm_Message(outs[i].data[0], outs[i].data[1], outs[i].data[2]));
        last = now;
    }
    int k = cn_jam_panic(jam, 0, outs, MAX_MSGS);
    for (int i = 0; i < k; i++) Pm_WriteShort(p.out, 0, Pm_Message(outs[i].data[0], outs[i].data[1], outs[i].data[2]));
    struct timespec ts = { 0, (long)(latency + 20) * 1000000L };
    nanosleep(&ts, NULL);   /* let the note-offs leave before closing */
    atomic_store(&w.quit, 1);
    pthread_join(th, NULL);
    Pm_Close(p.in);
    Pm_Close(p.out);
    fprintf(stderr, PROGRAM ": stopped, all notes off\n");
    return 0;
}

enum { O_LIST = 256, O_IN, O_OUT, O_IN_FILE, O_OUT_FILE, O_LATENCY, O_LENGTH, O_VERSION };
static const struct option own_opts[] = {
    { "list", no_argument, 0, O_LIST }, { "in", required_argument, 0, O_IN }, { "out", required_argument, 0, O_OUT },
    { "in-file", required_argument, 0, O_IN_FILE }, { "out-file", required_argument, 0, O_OUT_FILE },
    { "latency", required_argument, 0, O_LATENCY }, { "length", required_argument, 0, O_LENGTH },
    { "help", no_argument, 0, 'h' }, { "version", no_argument, 0, O_VERSION }, { 0, 0, 0, 0 }
};

typedef struct {
    cn_fe_opts o;
    const char *in_spec, *out_spec, *in_file, *out_file;
    int list, latency, bpm_given;
    double length;
} live_args;

/* -1 to go on, or the exit status (0 after --help or --version). */
static int parse_args(int argc, char **argv, live_args *a) {
    memset(a, 0, sizeof *a);
    cn_fe_opts_default(&a->o);
    a->latency = 10;
    struct option opts[64];
    if (cn_fe_long_opts(own_opts, opts, 64) < 0) return CN_EXIT_RUNTIME;
    char err[512];
    int c;
    while ((c = cn_cli_getopt(argc, argv, ":hm:", opts, PROGRAM)) != -1) {
        int r = cn_fe_apply(c, optarg, &a->o, err, sizeof err);
        if (r < 0) { fprintf(stderr, PROGRAM ": %s\n", err); return CN_EXIT_USAGE; }
        if (r > 0) { if (cn_fe_is(c, "bpm")) a->bpm_given = 1; continue; }
        double d = 0;
        switch (c) {
        case 'h': usage(stdout); return CN_EXIT_OK;
        case O_VERSION: cn_cli_version(PROGRAM); return CN_EXIT_OK;
        case O_LIST: a->list = 1; break;
        case O_IN: a->in_spec = optarg; break;
        case O_OUT: a->out_spec = optarg; break;
        case O_IN_FILE: a->in_file = optarg; break;
        case O_OUT_FILE: a->out_file = optarg; break;
        case O_LATENCY: case O_LENGTH: {
            char *end = NULL;
            d = strtod(optarg, &end);
            if (!*optarg || *end || !isfinite(d) || d < 0 || d > 10000) {
                fprintf(stderr, PROGRAM ": %s: \"%s\" is not a number from 0 to 10000\n",
                        c == O_LATENCY ? "--latency" : "--length", optarg);
                return CN_EXIT_USAGE;
            }
            if (c == O_LATENCY) a->latency = (int)d; else a->length = d;
            break;
        }
        default: return CN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROGRAM ": unexpected argument '%s' (see " PROGRAM " --help)\n", argv[optind]);
        return CN_EXIT_USAGE;
    }
    if ((a->in_file != NULL) != (a->out_file != NULL)) {
        fprintf(stderr, PROGRAM ": --in-file and --out-file go together\n");
        return CN_EXIT_USAGE;
    }
    return -1;
}

static int list_mode(void) {
    Pm_Initialize();
    int rc = list_devices();
    Pm_Terminate();
    return rc;
}

/* PortMIDI started, with at least one device. 0, or the exit status after the message. */
static int start_portmidi(void) {
    Pm_Initialize();
    if (Pm_CountDevices() <= 0) {
        fprintf(stderr, PROGRAM ": no MIDI devices: PortMIDI found none (no ALSA sequencer?). "
                        "Connect a keyboard, or use --in-file SEED.mid --out-file OUT.mid\n");
        Pm_Terminate();
        return CN_EXIT_RUNTIME;
    }
    return 0;
}

/* The engine with its parameters and the model (-m, or the shipped one) in it. 0, or the exit
 * status after the message. */
static int load_engine(const live_args *a, cn_jam **out) {
    char err[512], pathbuf[4096];
    const char *model_path = NULL;
    cn_model *model = cn_fe_load_model(&a->o, pathbuf, sizeof pathbuf, &model_path, err, sizeof err);
    if (!model) { fprintf(stderr, PROGRAM ": %s\n", err); if (!a->in_file) Pm_Terminate(); return CN_EXIT_RUNTIME; }
    cn_jam *jam = cn_jam_new();
    if (!jam) { fprintf(stderr, PROGRAM ": out of memory\n"); cn_model_free(model); return 1; }
    cn_jam_set_params(jam, &a->o.params);
    if (cn_jam_swap_model(jam, model, NULL, err, sizeof err)) {
        fprintf(stderr, PROGRAM ": %s: %s\n", model_path, err);
        cn_model_free(model);
        cn_jam_free(jam);
        return CN_EXIT_RUNTIME;
    }
    cn_fe_warn_ignored(stderr, "continuo-live", jam, &a->o.params);
    *out = jam;
    return 0;
}

int main(int argc, char **argv) {
    live_args a;
    int st = parse_args(argc, argv, &a);
    if (st >= 0) return st;
    if (a.list) return list_mode();
    /* look for devices before loading a model: no device, no wait */
    if (!a.in_file && (st = start_portmidi()) != 0) return st;
    cn_jam *jam;
    if ((st = load_engine(&a, &jam)) != 0) return st;
    cn_cli_on_stop_signals(on_signal);
    int rc;
    if (a.in_file) {
        rc = file_mode(&a.o, a.bpm_given, jam, a.in_file, a.out_file, a.length);
    } else {
        rc = live_mode(&a.o, jam, a.in_spec, a.out_spec, a.latency);
        Pm_Terminate();
    }
    cn_jam_free(jam);
    return rc;
}
