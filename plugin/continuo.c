/* continuo.c: the continuo LV2 plugin (urn:continuo:continuo), a MIDI generator that jams
 * with the player. A thin adapter over the live engine (engine/jam.h):
 *   run()      reads the controls, splits the block where the host's time:Position changes,
 *              hands each segment's MIDI to cn_jam_run and forges its output, sample-accurate.
 *              It never allocates, locks, waits or does I/O; inference and model loading are
 *              asked of the LV2 worker (at most one inference request outstanding).
 *   work()     runs the model (cn_jam_work), loads model files and swaps them in; the old
 *              model is freed there, off the audio thread.
 *   state      saves the model path through map_path, copying the file into the session with
 *              makePath when the host offers it; restores it; the default model in the
 *              bundle (default.cnm) loads when none is set.
 *   render()   the inline display (display.h), on the host's GUI thread, when the host offers
 *              it: run() hands it snapshots of what the engine plays and asks for redraws.
 * The model is the patch:writable parameter urn:continuo:model (atom:Path), set and read with
 * patch:Set/patch:Get on the one atom input; replies go out on the notify port. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/core/lv2_util.h>
#include <lv2/log/log.h>
#include <lv2/log/logger.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/state/state.h>
#include <lv2/worker/worker.h>

#include "atomicfile.h"
#include "display.h"
#include "jam.h"
#include "jam_controls.h"
#include "midi.h"
#include "modelfile.h"
#include "uris.h"

#define CN_LV2_PATH_MAX     1024  /* longest model path; fits any host's worker ring */
#define CN_LV2_MAX_IN       512   /* incoming MIDI events per engine segment; a block with more
                                     is run in chunks, none dropped */
#define CN_LV2_MAX_OUT      512   /* outgoing events per segment */
#define CN_LV2_WORK_STEPS   32    /* model steps per worker request */
#define CN_LV2_DEFAULT_FILE "default.cnm"

/* Worker requests (run -> work) and replies (work -> work_response): a header, then for
 * paths the bytes with their terminating NUL. */
typedef enum {
    CN_WORK_INFER = 1,     /* run the model a little */
    CN_WORK_LOAD,          /* load the model file that follows */
    CN_WORK_REPORT,        /* log a problem run() found (it may not log itself) */
    CN_REPLY_INFER_DONE,
    CN_REPLY_LOADED,       /* the path that follows is now the model */
    CN_REPLY_LOAD_FAILED
} cn_work_type;

typedef enum {
    CN_REPORT_NOT_A_PATH = 1, CN_REPORT_EMPTY_PATH, CN_REPORT_PATH_TOO_LONG, CN_REPORT_QUEUE_FULL
} cn_report_code;

typedef struct {
    uint32_t type;   /* cn_work_type */
    uint32_t arg;    /* path length without NUL, or a cn_report_code */
} cn_work_head;

typedef struct {
    cn_work_head head;
    char path[CN_LV2_PATH_MAX];
} cn_work_msg;

typedef struct {
    /* host features */
    LV2_URID_Map *map;
    LV2_Worker_Schedule *schedule;
    LV2_Log_Logger logger;
    cn_lv2_uris uris;
    LV2_Atom_Forge forge;          /* output MIDI */
    LV2_Atom_Forge notify_forge;   /* patch:Set replies */
    LV2_Atom_Forge_Frame out_frame, notify_frame;
    int out_ok, notify_ok;         /* this cycle's sequence head was written */

    /* ports; any of them may be NULL */
    const LV2_Atom_Sequence *in;
    LV2_Atom_Sequence *out, *notify;
    const float *control[CN_PORT_COUNT];
    float *latency;

    /* the engine, its parameters as last given; the host's clock is the engine's */
    cn_jam *jam;
    cn_jam_params params;
    double rate;
    cn_host_pos pos;               /* the time:Position being handed to the next segment */
    int regen_high;                /* the regenerate trigger's last value */
    const char *notice;            /* the last notice sent (a static string), NULL none yet */

    /* per-block scratch, so run() needs no memory of its own */
    cn_midi_msg seg_in[CN_LV2_MAX_IN];
    int n_seg_in;
    cn_midi_msg seg_out[CN_LV2_MAX_OUT];
    cn_midi_msg pending[CN_LV2_MAX_OUT];  /* the panic of deactivate(), sent on the next run */
    int n_pending;
    uint32_t dropped_in;                  /* incoming events that could not be kept (see add_input) */
    cn_work_msg rt_msg;                   /* a request being built in run() */

    /* real-time side view of the model */
    int infer_outstanding;
    double infer_waited;                  /* frames since that request, to notice a lost reply */
    char rt_model_path[CN_LV2_PATH_MAX];  /* what patch:Get answers */
    int notify_path;                      /* send the path on the notify port */

    /* non-real-time side: worker, state, instantiate. run() takes neither lock. */
    pthread_mutex_t infer_lock;           /* cn_jam_work vs cn_jam_swap_model from restore() */
    pthread_mutex_t path_lock;            /* model_path vs save() on another thread */
    char model_path[CN_LV2_PATH_MAX];
    int model_user_set;                   /* 0: the default model, not saved in the state */
    char bundle_path[CN_LV2_PATH_MAX];

    /* the inline display: snapshots from run(), pictures on the GUI thread */
    cn_display display;
    int disp_status;                      /* cn_display_status, written where run() may write */
} Continuo;

/* ---------------------------------------------------------------- helpers */

/* A time:Position field as a number, whatever numeric atom the host used. */
static int atom_number(const cn_lv2_uris *u, const LV2_Atom *a, double *v) {
    if (!a) return 0;
    if (a->type == u->atom_Float)       *v = ((const LV2_Atom_Float *)a)->body;
    else if (a->type == u->atom_Double) *v = ((const LV2_Atom_Double *)a)->body;
    else if (a->type == u->atom_Int)    *v = ((const LV2_Atom_Int *)a)->body;
    else if (a->type == u->atom_Long)   *v = (double)((const LV2_Atom_Long *)a)->body;
    else return 0;
    return isfinite(*v);
}

/* Copy a path into one of the fixed path buffers (callers have checked the length). */
static void set_path(char *dst, const char *src) {
    size_t n = strnlen(src, CN_LV2_PATH_MAX - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static float control_value(const Continuo *c, cn_lv2_port port, float fallback) {
    const float *p = c->control[port];
    return (p && isfinite(*p)) ? *p : fallback;
}

/* Controls -> engine parameters, through the control table (engine/jam_controls.c): a port
 * not connected, or not finite, keeps the default; the table clamps and rounds; the engine
 * panics on a mode change. Audio thread. */
static void apply_controls(Continuo *c) {
    cn_jam_params p;
    cn_jam_params_default(&p);
    for (int i = 0; i < cn_jam_n_controls; i++) {
        const cn_jam_control *ct = &cn_jam_controls[i];
        if (ct->kind == CN_CT_TRIGGER) continue;
        cn_jam_control_set(&p, ct, control_value(c, (cn_lv2_port)ct->port, (float)ct->def));
    }
    /* the trigger: each rising edge answers the last call again */
    int trig = control_value(c, CN_PORT_REGENERATE, 0.0f) > 0.5f;
    p.regenerate = c->params.regenerate + (trig && !c->regen_high ? 1u : 0u);
    c->regen_high = trig;
    cn_jam_params_clamp(&p);
    if (memcmp(&p, &c->params, sizeof p) != 0) {
        c->params = p;
        cn_jam_set_params(c->jam, &p);
    }
}

/* The conditioning controls set that the model cannot honour: one notice on the notify port
 * each time that changes (patch:Set urn:continuo:notice "..."). */
static const char *ignored_notice(const Continuo *c) {
    int cond = cn_jam_model_conditions(c->jam);
    int key = c->params.key != 0 && !(cond & CN_JAM_COND_KEY);
    int dens = c->params.density > 0 && !(cond & CN_JAM_COND_DENSITY);
    if (key && dens) return "key and density are ignored: the model has no key or density conditioning";
    if (key) return "key is ignored: the model has no key conditioning";
    if (dens) return "density is ignored: the model has no density conditioning";
    return "";
}

/* patch:Set PROPERTY "text" on the notify port, as a string or a path atom: 0, or -1 when it
 * does not fit this cycle. Audio thread. */
static int write_patch_set(Continuo *c, LV2_URID property, const char *text, int as_path) {
    if (!c->notify_ok) return -1;
    const cn_lv2_uris *u = &c->uris;
    uint32_t len = (uint32_t)strlen(text);
    /* event, object, two keys, a URID and the text, all padded */
    uint32_t need = (uint32_t)(sizeof(LV2_Atom_Event) + sizeof(LV2_Atom_Object) + 2 * sizeof(LV2_Atom_Property_Body) +
                               sizeof(LV2_Atom_URID) + 8) + lv2_atom_pad_size(len + 1) + 16;
    if (c->notify_forge.offset + need > c->notify_forge.size) return -1;
    LV2_Atom_Forge *f = &c->notify_forge;
    LV2_Atom_Forge_Frame obj;
    lv2_atom_forge_frame_time(f, 0);
    lv2_atom_forge_object(f, &obj, 0, u->patch_Set);
    lv2_atom_forge_key(f, u->patch_property);
    lv2_atom_forge_urid(f, property);
    lv2_atom_forge_key(f, u->patch_value);
    if (as_path) lv2_atom_forge_path(f, text, len);
    else lv2_atom_forge_string(f, text, len);
    lv2_atom_forge_pop(f, &obj);
    return 0;
}

/* A notice (urn:continuo:notice) for the host to show. Audio thread. */
static void write_notice(Continuo *c, const char *text) {
    if (write_patch_set(c, c->uris.cn_notice, text, 0) == 0) c->notice = text;
}

/* Append one MIDI event to the output, or drop it whole when it does not fit: a half-written
 * event would corrupt the host's sequence. */
static void write_midi(Continuo *c, uint32_t frame, const uint8_t *data, uint32_t size) {
    if (!c->out_ok || size == 0) return;
    uint32_t need = (uint32_t)sizeof(LV2_Atom_Event) + lv2_atom_pad_size(size);
    if (c->forge.offset + need > c->forge.size) return;
    lv2_atom_forge_frame_time(&c->forge, frame);
    lv2_atom_forge_atom(&c->forge, size, c->uris.midi_Event);
    lv2_atom_forge_write(&c->forge, data, size);
}

/* patch:Set urn:continuo:model <path> on the notify port; kept for the next cycle when it
 * does not fit. Audio thread. */
static void write_model_path(Continuo *c) {
    if (write_patch_set(c, c->uris.cn_model, c->rt_model_path, 1) == 0) c->notify_path = 0;
}

/* Start this cycle's output sequences, reading each port's capacity afresh. */
static void begin_outputs(Continuo *c) {
    c->out_ok = c->notify_ok = 0;
    if (c->out && c->out->atom.size >= sizeof(LV2_Atom_Sequence)) {
        lv2_atom_forge_set_buffer(&c->forge, (uint8_t *)c->out, c->out->atom.size);
        c->out_ok = lv2_atom_forge_sequence_head(&c->forge, &c->out_frame, 0) != 0;
    }
    if (c->notify && c->notify->atom.size >= sizeof(LV2_Atom_Sequence)) {
        lv2_atom_forge_set_buffer(&c->notify_forge, (uint8_t *)c->notify, c->notify->atom.size);
        c->notify_ok = lv2_atom_forge_sequence_head(&c->notify_forge, &c->notify_frame, 0) != 0;
    }
}

static void end_outputs(Continuo *c) {
    if (c->out_ok) lv2_atom_forge_pop(&c->forge, &c->out_frame);
    if (c->notify_ok) lv2_atom_forge_pop(&c->notify_forge, &c->notify_frame);
}

/* Ask the worker for something. run() cannot log, so failures are counted or reported. */
static int schedule(Continuo *c, const cn_work_msg *m, uint32_t size) {
    if (!c->schedule) return 0;
    return c->schedule->schedule_work(c->schedule->handle, size, m) == LV2_WORKER_SUCCESS;
}

static void report(Continuo *c, cn_report_code code) {
    c->rt_msg.head.type = CN_WORK_REPORT;
    c->rt_msg.head.arg = code;
    schedule(c, &c->rt_msg, sizeof(cn_work_head));
}

/* ---------------------------------------------------------------- run */

/* Run the engine over frames [start, end) with the MIDI collected so far that falls in it;
 * pos is the host's time:Position at start, or NULL. Events at `end` stay for the next one. */
static void run_segment(Continuo *c, uint32_t start, uint32_t end, uint32_t n_samples, const cn_host_pos *pos) {
    if (end <= start) return;   /* nothing to run; events wait for a segment with frames */
    int k = 0;
    while (k < c->n_seg_in && c->seg_in[k].frame < end) k++;
    cn_jam_time t = {
        .offset = start, .n_frames = end - start, .sample_rate = c->rate, .host_time = 1, .pos = pos,
    };
    int n_out = cn_jam_run(c->jam, &t, c->seg_in, k, c->seg_out, CN_LV2_MAX_OUT);
    /* The engine promises sorted frames in [start, end); holding it to that here keeps a
     * host safe even from an engine bug. */
    uint32_t last = start;
    for (int i = 0; i < n_out && n_samples > 0; i++) {
        uint32_t f = c->seg_out[i].frame;
        if (f < last) f = last;
        if (f >= n_samples) f = n_samples - 1;
        last = f;
        write_midi(c, f, c->seg_out[i].data, c->seg_out[i].size);
    }
    if (k > 0) {
        memmove(c->seg_in, c->seg_in + k, (size_t)(c->n_seg_in - k) * sizeof c->seg_in[0]);
        c->n_seg_in -= k;
    }
}

/* A time:Position, field by field as the host gave it, for the engine's host clock. */
static void read_position(Continuo *c, const LV2_Atom_Object *obj) {
    const cn_lv2_uris *u = &c->uris;
    const LV2_Atom *bar = NULL, *bar_beat = NULL, *beat = NULL, *bpb = NULL, *bpm = NULL, *speed = NULL, *frame = NULL;
    lv2_atom_object_get(obj, u->time_bar, &bar, u->time_barBeat, &bar_beat, u->time_beat, &beat,
                        u->time_beatsPerBar, &bpb, u->time_beatsPerMinute, &bpm,
                        u->time_speed, &speed, u->time_frame, &frame, 0);
    cn_host_pos *p = &c->pos;
    *p = cn_host_pos_none();
    p->has_bar = atom_number(u, bar, &p->bar);
    p->has_bar_beat = atom_number(u, bar_beat, &p->bar_beat);
    p->has_beat = atom_number(u, beat, &p->beat);
    p->has_speed = atom_number(u, speed, &p->speed);
    p->has_frame = atom_number(u, frame, &p->frame);
    if (!atom_number(u, bpb, &p->beats_per_bar)) p->beats_per_bar = 0;
    if (!atom_number(u, bpm, &p->bpm)) p->bpm = 0;
}

/* patch:Set of the model: hand the path to the worker. */
static void handle_set(Continuo *c, const LV2_Atom_Object *obj) {
    const cn_lv2_uris *u = &c->uris;
    const LV2_Atom *property = NULL, *value = NULL;
    lv2_atom_object_get(obj, u->patch_property, &property, u->patch_value, &value, 0);
    if (!property || property->type != u->atom_URID ||
        ((const LV2_Atom_URID *)property)->body != u->cn_model)
        return;   /* not ours */
    if (!value || value->type != u->atom_Path) { report(c, CN_REPORT_NOT_A_PATH); return; }
    const char *path = (const char *)LV2_ATOM_BODY_CONST(value);
    size_t len = strnlen(path, value->size);
    if (len == 0) { report(c, CN_REPORT_EMPTY_PATH); return; }
    if (len >= CN_LV2_PATH_MAX) { report(c, CN_REPORT_PATH_TOO_LONG); return; }
    c->rt_msg.head.type = CN_WORK_LOAD;
    c->rt_msg.head.arg = (uint32_t)len;
    memcpy(c->rt_msg.path, path, len);
    c->rt_msg.path[len] = '\0';
    if (!schedule(c, &c->rt_msg, (uint32_t)(sizeof(cn_work_head) + len + 1)))
        report(c, CN_REPORT_QUEUE_FULL);
}

static void handle_get(Continuo *c, const LV2_Atom_Object *obj) {
    const LV2_Atom *property = NULL;
    lv2_atom_object_get(obj, c->uris.patch_property, &property, 0);
    if (!property || (property->type == c->uris.atom_URID &&
                      ((const LV2_Atom_URID *)property)->body == c->uris.cn_model))
        c->notify_path = 1;
}

static int is_note_off(const cn_midi_msg *m) {
    int st = m->data[0] & 0xF0;
    return m->size == 3 && (st == 0x80 || (st == 0x90 && m->data[2] == 0));
}

/* Keeps one incoming message for the engine. Only well-formed messages of three bytes or
 * fewer are the engine's (longer sysex is not passed, rather than passed in part). When the
 * buffer is full, what came before runs now as a segment ending just after this frame, so a
 * flood of any size is taken in chunks. Only at the block's last frame, with the buffer full
 * of events of that one frame, is something dropped: never a note-off, which takes the
 * place of the latest event that is not one. */
static void add_input(Continuo *c, uint32_t frame, const LV2_Atom *midi, uint32_t *seg_start,
                      const cn_host_pos **seg_pos, uint32_t n_samples) {
    if (midi->size < 1 || midi->size > 3) return;
    const uint8_t *b = (const uint8_t *)LV2_ATOM_BODY_CONST(midi);
    if (!cn_midi_msg_ok(b, midi->size)) return;
    if (c->n_seg_in >= CN_LV2_MAX_IN && frame + 1 > *seg_start) {
        run_segment(c, *seg_start, frame + 1, n_samples, *seg_pos);
        *seg_start = frame + 1;
        *seg_pos = NULL;   /* the host's position was for the chunk's start: the clock runs on */
    }
    cn_midi_msg in;
    memset(&in, 0, sizeof in);
    in.frame = frame < *seg_start ? *seg_start : frame;
    in.size = (uint8_t)midi->size;
    memcpy(in.data, b, midi->size);
    if (c->n_seg_in >= CN_LV2_MAX_IN) {
        c->dropped_in++;
        if (!is_note_off(&in)) return;
        int k = c->n_seg_in - 1;
        while (k >= 0 && is_note_off(&c->seg_in[k])) k--;
        if (k < 0) return;   /* 512 note-offs at one frame, all kept */
        memmove(c->seg_in + k, c->seg_in + k + 1, (size_t)(c->n_seg_in - k - 1) * sizeof c->seg_in[0]);
        c->n_seg_in--;
    }
    cn_midi_msg *m = &c->seg_in[c->n_seg_in++];
    memset(m, 0, sizeof *m);
    *m = in;
}

static void run(LV2_Handle instance, uint32_t n_samples) {
    Continuo *c = (Continuo *)instance;
    const cn_lv2_uris *u = &c->uris;
    begin_outputs(c);
    apply_controls(c);

    /* the panic of the last deactivate() leads the first block with room for it */
    if (c->n_pending > 0 && n_samples > 0) {
        for (int i = 0; i < c->n_pending; i++) write_midi(c, 0, c->pending[i].data, c->pending[i].size);
        c->n_pending = 0;
    }

    /* events a flood left past the last block's end (see add_input) open this one */
    for (int i = 0; i < c->n_seg_in; i++) c->seg_in[i].frame = 0;
    uint32_t seg_start = 0, last_frame = 0;
    const cn_host_pos *seg_pos = NULL;
    if (c->in) {
        LV2_ATOM_SEQUENCE_FOREACH(c->in, ev) {
            /* frames out of order or past the block are pulled back into it */
            int64_t t = ev->time.frames;
            uint32_t f = t < 0 ? 0 : (t >= (int64_t)n_samples ? (n_samples ? n_samples - 1 : 0) : (uint32_t)t);
            if (f < last_frame) f = last_frame;
            last_frame = f;
            if (ev->body.type == u->midi_Event) {
                if (n_samples > 0) add_input(c, f, &ev->body, &seg_start, &seg_pos, n_samples);
            } else if (ev->body.type == u->atom_Object || ev->body.type == u->atom_Blank) {
                const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
                if (obj->body.otype == u->time_Position) {
                    run_segment(c, seg_start, f, n_samples, seg_pos);
                    read_position(c, obj);
                    seg_pos = &c->pos;
                    if (f > seg_start) seg_start = f;   /* a flood's chunk may have run past f */
                } else if (obj->body.otype == u->patch_Set) {
                    handle_set(c, obj);
                } else if (obj->body.otype == u->patch_Get) {
                    handle_get(c, obj);
                }
            }
        }
    }
    run_segment(c, seg_start, n_samples, n_samples, seg_pos);

    if (c->notify_path) write_model_path(c);
    const char *nt = ignored_notice(c);
    if (nt != c->notice && (c->notice || nt[0])) write_notice(c, nt);
    if (c->latency) *c->latency = (float)cn_jam_latency(c->jam);
    /* A host may drop a request or its reply (Ardour loses the one from its latency-probing
     * run); after half a second without one, ask again rather than stall for good. */
    if (c->infer_outstanding && (c->infer_waited += n_samples) > 0.5 * c->rate) c->infer_outstanding = 0;
    if (!c->infer_outstanding && cn_jam_wants_work(c->jam)) {
        c->rt_msg.head.type = CN_WORK_INFER;
        c->rt_msg.head.arg = 0;
        if (schedule(c, &c->rt_msg, sizeof(cn_work_head))) { c->infer_outstanding = 1; c->infer_waited = 0; }
    }
    cn_display_run(&c->display, c->jam, c->disp_status, n_samples);
    end_outputs(c);
}

/* ---------------------------------------------------------------- model loading (not RT) */

/* Load a model file and swap it in; the old model is freed here. 0, or -1 after logging. */
static int load_model(Continuo *c, const char *path, int user_set) {
    char err[512];
    if (strlen(path) >= CN_LV2_PATH_MAX) {
        lv2_log_error(&c->logger, "continuo: %s: model path too long (limit %d bytes)\n", path, CN_LV2_PATH_MAX - 1);
        return -1;
    }
    cn_model *m = cn_model_load(path, err, sizeof err);
    if (!m) {
        lv2_log_error(&c->logger, "continuo: cannot load the model: %s\n", err);
        return -1;
    }
    cn_model *old = NULL;
    pthread_mutex_lock(&c->infer_lock);
    int rc = cn_jam_swap_model(c->jam, m, &old, err, sizeof err);
    pthread_mutex_unlock(&c->infer_lock);
    if (rc != 0) {
        lv2_log_error(&c->logger, "continuo: %s: cannot jam with this model: %s\n", path, err);
        cn_model_free(m);
        return -1;
    }
    cn_model_free(old);
    pthread_mutex_lock(&c->path_lock);
    set_path(c->model_path, path);
    c->model_user_set = user_set;
    pthread_mutex_unlock(&c->path_lock);
    lv2_log_note(&c->logger, "continuo: model %s\n", path);
    return 0;
}

/* The shipped model: the bundle's default.cnm, unless $CONTINUO_MODEL names another;
 * then the engine's own search (installed copy, source tree). Instantiate only. */
static void load_default_model(Continuo *c) {
    c->disp_status = CN_DISPLAY_NO_MODEL;
    char path[CN_LV2_PATH_MAX + 32];
    const char *found = NULL;
    if (!getenv("CONTINUO_MODEL") && c->bundle_path[0]) {
        size_t n = strlen(c->bundle_path);
        snprintf(path, sizeof path, "%s%s%s", c->bundle_path, (n && c->bundle_path[n - 1] == '/') ? "" : "/",
                 CN_LV2_DEFAULT_FILE);
        if (access(path, R_OK) == 0) found = path;
    }
    if (!found) found = cn_default_model_path(path, sizeof path);
    if (!found) {
        lv2_log_warning(&c->logger, "continuo: no default model found (bundle %s); it passes MIDI "
                        "through until a model is set\n", c->bundle_path);
        return;
    }
    c->disp_status = CN_DISPLAY_LOAD_FAILED;
    if (load_model(c, found, 0) == 0) {
        set_path(c->rt_model_path, found);
        c->disp_status = CN_DISPLAY_OK;
    }
}

/* ---------------------------------------------------------------- worker */

static LV2_Worker_Status work(LV2_Handle instance, LV2_Worker_Respond_Function respond,
                              LV2_Worker_Respond_Handle handle, uint32_t size, const void *data) {
    Continuo *c = (Continuo *)instance;
    cn_work_msg msg;
    if (size < sizeof(cn_work_head) || size > sizeof msg) return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&msg, data, size);
    switch (msg.head.type) {
    case CN_WORK_INFER: {
        pthread_mutex_lock(&c->infer_lock);
        cn_jam_work(c->jam, CN_LV2_WORK_STEPS);
        pthread_mutex_unlock(&c->infer_lock);
        cn_work_head r = { CN_REPLY_INFER_DONE, 0 };
        respond(handle, sizeof r, &r);
        return LV2_WORKER_SUCCESS;
    }
    case CN_WORK_LOAD: {
        if (msg.head.arg >= CN_LV2_PATH_MAX || size != sizeof(cn_work_head) + msg.head.arg + 1)
            return LV2_WORKER_ERR_UNKNOWN;
        msg.path[msg.head.arg] = '\0';
        if (load_model(c, msg.path, 1) == 0) {
            msg.head.type = CN_REPLY_LOADED;
            respond(handle, size, &msg);
        } else {
            cn_work_head r = { CN_REPLY_LOAD_FAILED, 0 };
            respond(handle, sizeof r, &r);
        }
        return LV2_WORKER_SUCCESS;
    }
    case CN_WORK_REPORT:
        switch (msg.head.arg) {
        case CN_REPORT_NOT_A_PATH:
            lv2_log_error(&c->logger, "continuo: patch:Set of %s ignored: the value is not an atom:Path\n", CN_LV2_MODEL_URI);
            break;
        case CN_REPORT_EMPTY_PATH:
            lv2_log_error(&c->logger, "continuo: patch:Set of %s ignored: the path is empty\n", CN_LV2_MODEL_URI);
            break;
        case CN_REPORT_PATH_TOO_LONG:
            lv2_log_error(&c->logger, "continuo: patch:Set of %s ignored: the path is longer than %d bytes\n",
                          CN_LV2_MODEL_URI, CN_LV2_PATH_MAX - 1);
            break;
        default:
            lv2_log_error(&c->logger, "continuo: the host's worker queue was full; a model change was lost\n");
        }
        return LV2_WORKER_SUCCESS;
    default:
        return LV2_WORKER_ERR_UNKNOWN;
    }
}

/* Runs in the audio thread's context: bounded copies only. */
static LV2_Worker_Status work_response(LV2_Handle instance, uint32_t size, const void *data) {
    Continuo *c = (Continuo *)instance;
    cn_work_head head;
    if (size < sizeof head) return LV2_WORKER_ERR_UNKNOWN;
    memcpy(&head, data, sizeof head);
    switch (head.type) {
    case CN_REPLY_INFER_DONE:
        c->infer_outstanding = 0;
        break;
    case CN_REPLY_LOADED: {
        const cn_work_msg *m = (const cn_work_msg *)data;
        if (head.arg < CN_LV2_PATH_MAX && size == sizeof head + head.arg + 1) {
            memcpy(c->rt_model_path, m->path, head.arg);
            c->rt_model_path[head.arg] = '\0';
        }
        c->notify_path = 1;
        c->disp_status = CN_DISPLAY_OK;
        break;
    }
    case CN_REPLY_LOAD_FAILED:
        c->notify_path = 1;   /* tell the UI the model it still has */
        c->disp_status = CN_DISPLAY_LOAD_FAILED;
        break;
    default:
        return LV2_WORKER_ERR_UNKNOWN;
    }
    return LV2_WORKER_SUCCESS;
}

/* ---------------------------------------------------------------- state (not RT) */

static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Copy src to dst through atomicfile.h, so dst is never half-written. */
static int copy_file(Continuo *c, const char *src, const char *dst) {
    FILE *in = fopen(src, "rb");
    if (!in) {
        lv2_log_error(&c->logger, "continuo: %s: cannot read the model to save it: %s\n", src, strerror(errno));
        return -1;
    }
    char err[CN_LV2_PATH_MAX + 256];
    cn_afile out;
    if (cn_afile_open(&out, dst, err, sizeof err)) {
        lv2_log_error(&c->logger, "continuo: %s\n", err);
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out.f) != n) break;
    int bad_in = ferror(in);
    fclose(in);
    if (bad_in) {
        cn_afile_abort(&out);
        lv2_log_error(&c->logger, "continuo: %s: cannot read the model to save it\n", src);
        return -1;
    }
    if (cn_afile_commit(&out, err, sizeof err)) {
        lv2_log_error(&c->logger, "continuo: cannot copy the model into the session: %s\n", err);
        return -1;
    }
    return 0;
}

static LV2_State_Status save(LV2_Handle instance, LV2_State_Store_Function store, LV2_State_Handle handle,
                             uint32_t flags, const LV2_Feature *const *features) {
    Continuo *c = (Continuo *)instance;
    (void)flags;
    LV2_State_Map_Path *map_path = NULL;
    LV2_State_Make_Path *make_path = NULL;
    LV2_State_Free_Path *free_path = NULL;
    lv2_features_query(features, LV2_STATE__mapPath, &map_path, false, LV2_STATE__makePath, &make_path, false,
                       LV2_STATE__freePath, &free_path, false, NULL);

    char path[CN_LV2_PATH_MAX];
    pthread_mutex_lock(&c->path_lock);
    int user_set = c->model_user_set;
    set_path(path, c->model_path);
    pthread_mutex_unlock(&c->path_lock);
    if (!user_set || !path[0]) return LV2_STATE_SUCCESS;   /* the default model needs no state */

    /* Copy the model into the session, so moving the original does not break it. */
    char *copy = NULL;
    const char *keep = path;
    if (make_path) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        copy = make_path->path(make_path->handle, base);
        if (copy && (same_file(path, copy) || copy_file(c, path, copy) == 0)) keep = copy;
    }
    char *abstract = map_path ? map_path->abstract_path(map_path->handle, keep) : NULL;
    const char *stored = abstract ? abstract : keep;
    LV2_State_Status st = store(handle, c->uris.cn_model, stored, strlen(stored) + 1, c->uris.atom_Path,
                                LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE);
    if (free_path) {
        if (abstract) free_path->free_path(free_path->handle, abstract);
        if (copy) free_path->free_path(free_path->handle, copy);
    } else {
        free(abstract);
        free(copy);
    }
    return st;
}

static LV2_State_Status restore(LV2_Handle instance, LV2_State_Retrieve_Function retrieve,
                                LV2_State_Handle handle, uint32_t flags, const LV2_Feature *const *features) {
    Continuo *c = (Continuo *)instance;
    (void)flags;
    size_t size = 0;
    uint32_t type = 0, vflags = 0;
    const void *value = retrieve(handle, c->uris.cn_model, &size, &type, &vflags);
    if (!value) return LV2_STATE_SUCCESS;   /* no model in the state: keep the current one */
    if (type != c->uris.atom_Path) {
        lv2_log_error(&c->logger, "continuo: the saved state's model is not an atom:Path\n");
        return LV2_STATE_ERR_BAD_TYPE;
    }
    const char *stored = (const char *)value;
    if (size == 0 || strnlen(stored, size) == size) {
        lv2_log_error(&c->logger, "continuo: the saved state's model path is not a string\n");
        return LV2_STATE_ERR_BAD_TYPE;
    }
    LV2_State_Map_Path *map_path = NULL;
    LV2_State_Free_Path *free_path = NULL;
    lv2_features_query(features, LV2_STATE__mapPath, &map_path, false, LV2_STATE__freePath, &free_path, false, NULL);
    char *absolute = map_path ? map_path->absolute_path(map_path->handle, stored) : NULL;
    const char *path = absolute ? absolute : stored;
    /* restore() is not called concurrently with run() (no threadSafeRestore), so the
     * real-time copy of the path may be written here. */
    if (load_model(c, path, 1) == 0) {
        set_path(c->rt_model_path, path);
        c->notify_path = 1;
        c->disp_status = CN_DISPLAY_OK;
    } else {
        c->disp_status = CN_DISPLAY_LOAD_FAILED;
    }
    if (absolute) {
        if (free_path) free_path->free_path(free_path->handle, absolute);
        else free(absolute);
    }
    return LV2_STATE_SUCCESS;
}

/* ---------------------------------------------------------------- lifecycle */

static LV2_Handle instantiate(const LV2_Descriptor *descriptor, double rate, const char *bundle_path,
                              const LV2_Feature *const *features) {
    (void)descriptor;
    Continuo *c = (Continuo *)calloc(1, sizeof *c);
    if (!c) return NULL;
    const LV2_Options_Option *options = NULL;
    const LV2_Inline_Display *idisp = NULL;
    const char *missing = lv2_features_query(features, LV2_LOG__log, &c->logger.log, false,
                                             LV2_URID__map, &c->map, true,
                                             LV2_WORKER__schedule, &c->schedule, true,
                                             LV2_OPTIONS__options, &options, false,
                                             CN_INLINEDISPLAY__queue_draw, &idisp, false, NULL);
    lv2_log_logger_set_map(&c->logger, c->map);
    if (missing) {
        lv2_log_error(&c->logger, "continuo: the host lacks the required feature <%s>\n", missing);
        free(c);
        return NULL;
    }
    c->jam = cn_jam_new();
    if (!c->jam) {
        lv2_log_error(&c->logger, "continuo: out of memory creating the engine\n");
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->infer_lock, NULL);
    pthread_mutex_init(&c->path_lock, NULL);
    cn_lv2_map_uris(c->map, &c->uris);
    lv2_atom_forge_init(&c->forge, c->map);
    lv2_atom_forge_init(&c->notify_forge, c->map);

    c->rate = rate > 0 ? rate : 48000.0;
    LV2_URID sample_rate = c->map->map(c->map->handle, LV2_PARAMETERS__sampleRate);
    for (const LV2_Options_Option *o = options; o && o->key; o++) {
        if (o->key != sample_rate || o->context != LV2_OPTIONS_INSTANCE || !o->value) continue;
        double v = 0;
        if (o->type == c->uris.atom_Float && o->size == sizeof(float)) v = *(const float *)o->value;
        else if (o->type == c->uris.atom_Double && o->size == sizeof(double)) v = *(const double *)o->value;
        else if (o->type == c->uris.atom_Int && o->size == sizeof(int32_t)) v = *(const int32_t *)o->value;
        if (v > 0 && isfinite(v)) c->rate = v;
    }

    cn_jam_params_default(&c->params);
    cn_jam_set_params(c->jam, &c->params);
    cn_display_init(&c->display, idisp, c->rate);
    set_path(c->bundle_path, bundle_path ? bundle_path : "");
    load_default_model(c);
    return (LV2_Handle)c;
}

static void connect_port(LV2_Handle instance, uint32_t port, void *data) {
    Continuo *c = (Continuo *)instance;
    switch (port) {
    case CN_PORT_IN:      c->in = (const LV2_Atom_Sequence *)data; break;
    case CN_PORT_OUT:     c->out = (LV2_Atom_Sequence *)data; break;
    case CN_PORT_NOTIFY:  c->notify = (LV2_Atom_Sequence *)data; break;
    case CN_PORT_LATENCY: c->latency = (float *)data; break;
    default:
        if (port < CN_PORT_COUNT) c->control[port] = (const float *)data;
    }
}

/* A host may drop pending worker traffic across deactivate(); start afresh. */
static void activate(LV2_Handle instance) {
    Continuo *c = (Continuo *)instance;
    c->infer_outstanding = 0;
    c->n_seg_in = 0;   /* input carried over from before deactivate() is stale */
}

/* The notes it holds are ended now; their note-offs go out first in the next run(). */
static void deactivate(LV2_Handle instance) {
    Continuo *c = (Continuo *)instance;
    c->n_pending = cn_jam_panic(c->jam, 0, c->pending, CN_LV2_MAX_OUT);
}

static void cleanup(LV2_Handle instance) {
    Continuo *c = (Continuo *)instance;
    cn_jam_free(c->jam);   /* frees the model too */
    cn_display_free(&c->display);
    pthread_mutex_destroy(&c->infer_lock);
    pthread_mutex_destroy(&c->path_lock);
    free(c);
}

/* The inline display's picture. GUI thread (display.h). */
static LV2_Inline_Display_Image_Surface *render(LV2_Handle instance, uint32_t w, uint32_t max_h) {
    return cn_display_render(&((Continuo *)instance)->display, w, max_h);
}

static const void *extension_data(const char *uri) {
    static const LV2_Worker_Interface worker = { work, work_response, NULL };
    static const LV2_State_Interface state = { save, restore };
    static const LV2_Inline_Display_Interface display = { render };
    if (!strcmp(uri, LV2_WORKER__interface)) return &worker;
    if (!strcmp(uri, LV2_STATE__interface)) return &state;
    if (!strcmp(uri, CN_INLINEDISPLAY__interface)) return &display;
    return NULL;
}

static const LV2_Descriptor descriptor = {
    CN_LV2_URI, instantiate, connect_port, activate, run, deactivate, cleanup, extension_data,
};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index) {
    return index == 0 ? &descriptor : NULL;
}
