/* lv2_harness.c: drives the continuo LV2 plugin through lilv, as a host would, and checks
 * what it does. Built twice by plugin/lv2.mk:
 *   build/san/lv2-harness   ASan+UBSan; the behaviour tests (default mode): block sizes 0, 1, 7
 *                           and 4096 changing between calls, unconnected ports, a phrase answered
 *                           after the silence, panics, host tempo, note balance, events sorted and
 *                           in range, the model set by patch:Set, the state round trip, presets;
 *                           the inline display (tests/hosts/lv2_harness_display.c).
 *   build/lv2-rt            unsanitized, linked with tests/hosts/malloc_guard.c: `--guard` fails if
 *                           run() or work_response() calls malloc/free/locks/file I/O (with the
 *                           inline display on); `--bench` times run() at 64-frame blocks with a
 *                           note every beat; `--png FILE` writes a picture of the inline display.
 * Work is deferred as in a real host: run() queues requests, which are worked after run()
 * returns (outside the guard, as the worker thread would), and the replies are delivered
 * through work_response() before the next cycle.
 * The plugin is found through LV2_PATH. A small random event model is made in a temporary
 * folder (the tests need one that loads, not a good one). */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cairo.h>
#include <lilv/lilv.h>
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/log/log.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/presets/presets.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include "display.h"
#include "jam_controls.h"
#include "lv2_inline_display.h"
#include "modelfile.h"
#include "nn.h"
#include "tokens.h"
#include "uris.h"
#include "../unit/test.h"   /* the C tests' runner, shared with tests/unit/ */

#ifdef CN_HARNESS_GUARD
/* tests/hosts/malloc_guard.c */
extern volatile int cn_guard_active;
extern volatile long cn_guard_hits;
extern volatile const char *cn_guard_what;
#define GUARD_ON()  (cn_guard_active = 1)
#define GUARD_OFF() (cn_guard_active = 0)
#else
#define GUARD_ON()  ((void)0)
#define GUARD_OFF() ((void)0)
#endif

#define RATE        48000.0
#define IN_CAP      65536
#define OUT_CAP     32768
#define MAX_URIS    256
#define MAX_WORK    64
#define WORK_SIZE   2048
#define MAX_REC     200000
#define FPB(bpm)    (RATE * 60.0 / (bpm))

#define RUN_WITH(name, ctx) do { test_cur_failed_ = 0; name(ctx); \
    if (test_cur_failed_) { test_failed_++; printf("FAIL %s\n", #name); } \
    else { test_passed_++; printf("ok   %s\n", #name); } fflush(stdout); } while (0)

/* A control input port: every port from mode on, but the latency output. */
static int is_control_in(uint32_t i) { return i >= CN_PORT_MODE && i < CN_PORT_COUNT && i != CN_PORT_LATENCY; }
#define N_CONTROL_IN (CN_PORT_COUNT - CN_PORT_MODE - 1)

/* ---------------------------------------------------------------- the host */

typedef struct { uint32_t size; uint8_t data[WORK_SIZE]; } work_item;

typedef struct {
    LilvWorld *world;
    const LilvPlugin *plugin;
    char *uris[MAX_URIS];
    int n_uris;
    LV2_URID_Map map;
    LV2_URID_Unmap unmap;
    LV2_Log_Log log;
    int log_errors;
    char last_log[1024];
    LV2_Worker_Schedule schedule;
    work_item requests[MAX_WORK], replies[MAX_WORK];
    int n_requests, n_replies, work_dropped;
    const LV2_Worker_Interface *worker;
    LilvInstance *working;        /* the instance whose worker calls are queued */
    int32_t min_block, max_block, seq_size;
    float sample_rate;
    LV2_Options_Option options[5];
    LV2_Feature f_map, f_unmap, f_log, f_sched, f_opts;
    const LV2_Feature *features[6];
    LV2_Inline_Display idisp;     /* the inline display's queue_draw, counted */
    LV2_Feature f_idisp;
    const LV2_Feature *features_disp[7];   /* features, and the inline display */
    long queue_draws;
    cn_lv2_uris u;
    LV2_URID atom_Chunk, atom_String, time_frame, time_beatUnit;
    char tmp[256];                /* a temporary folder for models and states */
    char model_a[300], model_b[300], model_bad[300];
} host;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri) {
    host *h = (host *)handle;
    for (int i = 0; i < h->n_uris; i++)
        if (!strcmp(h->uris[i], uri)) return (LV2_URID)(i + 1);
    if (h->n_uris >= MAX_URIS) return 0;
    h->uris[h->n_uris] = strdup(uri);
    return (LV2_URID)++h->n_uris;
}
static const char *unmap_uri(LV2_URID_Unmap_Handle handle, LV2_URID urid) {
    host *h = (host *)handle;
    return urid >= 1 && (int)urid <= h->n_uris ? h->uris[urid - 1] : NULL;
}

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, va_list ap) {
    host *h = (host *)handle;
    va_list ap2;
    va_copy(ap2, ap);
    vsnprintf(h->last_log, sizeof h->last_log, fmt, ap2);
    va_end(ap2);
    const char *t = unmap_uri(h, type);
    if (t && strstr(t, "#Error")) h->log_errors++;
    fprintf(stderr, "  [plugin] %s", h->last_log);
    return 0;
}
static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = log_vprintf(handle, type, fmt, ap);
    va_end(ap);
    return r;
}

/* Called from run(): only counts. */
static void queue_draw(LV2_Inline_Display_Handle handle) { ((host *)handle)->queue_draws++; }

/* Called from run(): only copies into fixed storage. */
static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size, const void *data) {
    host *h = (host *)handle;
    if (h->n_requests >= MAX_WORK || size > WORK_SIZE) { h->work_dropped++; return LV2_WORKER_ERR_NO_SPACE; }
    h->requests[h->n_requests].size = size;
    memcpy(h->requests[h->n_requests].data, data, size);
    h->n_requests++;
    return LV2_WORKER_SUCCESS;
}
static LV2_Worker_Status respond(LV2_Worker_Respond_Handle handle, uint32_t size, const void *data) {
    host *h = (host *)handle;
    if (h->n_replies >= MAX_WORK || size > WORK_SIZE) return LV2_WORKER_ERR_NO_SPACE;
    h->replies[h->n_replies].size = size;
    memcpy(h->replies[h->n_replies].data, data, size);
    h->n_replies++;
    return LV2_WORKER_SUCCESS;
}

static int host_init(host *h) {
    memset(h, 0, sizeof *h);
    h->map.handle = h; h->map.map = map_uri;
    h->unmap.handle = h; h->unmap.unmap = unmap_uri;
    h->log.handle = h; h->log.printf = log_printf; h->log.vprintf = log_vprintf;
    h->schedule.handle = h; h->schedule.schedule_work = schedule_work;
    h->min_block = 0; h->max_block = 4096; h->seq_size = OUT_CAP; h->sample_rate = (float)RATE;
    LV2_URID a_int = map_uri(h, LV2_ATOM__Int), a_float = map_uri(h, LV2_ATOM__Float);
    h->options[0] = (LV2_Options_Option){ LV2_OPTIONS_INSTANCE, 0, map_uri(h, LV2_BUF_SIZE__minBlockLength),
                                          sizeof(int32_t), a_int, &h->min_block };
    h->options[1] = (LV2_Options_Option){ LV2_OPTIONS_INSTANCE, 0, map_uri(h, LV2_BUF_SIZE__maxBlockLength),
                                          sizeof(int32_t), a_int, &h->max_block };
    h->options[2] = (LV2_Options_Option){ LV2_OPTIONS_INSTANCE, 0, map_uri(h, LV2_BUF_SIZE__sequenceSize),
                                          sizeof(int32_t), a_int, &h->seq_size };
    h->options[3] = (LV2_Options_Option){ LV2_OPTIONS_INSTANCE, 0, map_uri(h, LV2_PARAMETERS__sampleRate),
                                          sizeof(float), a_float, &h->sample_rate };
    h->options[4] = (LV2_Options_Option){ LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL };
    h->f_map = (LV2_Feature){ LV2_URID__map, &h->map };
    h->f_unmap = (LV2_Feature){ LV2_URID__unmap, &h->unmap };
    h->f_log = (LV2_Feature){ LV2_LOG__log, &h->log };
    h->f_sched = (LV2_Feature){ LV2_WORKER__schedule, &h->schedule };
    h->f_opts = (LV2_Feature){ LV2_OPTIONS__options, h->options };
    h->features[0] = &h->f_map; h->features[1] = &h->f_unmap; h->features[2] = &h->f_log;
    h->features[3] = &h->f_sched; h->features[4] = &h->f_opts; h->features[5] = NULL;
    h->idisp = (LV2_Inline_Display){ h, queue_draw };
    h->f_idisp = (LV2_Feature){ CN_INLINEDISPLAY__queue_draw, &h->idisp };
    memcpy(h->features_disp, h->features, 5 * sizeof h->features[0]);
    h->features_disp[5] = &h->f_idisp; h->features_disp[6] = NULL;
    cn_lv2_map_uris(&h->map, &h->u);
    h->atom_Chunk = map_uri(h, LV2_ATOM__Chunk);
    h->atom_String = map_uri(h, LV2_ATOM__String);
    h->time_frame = map_uri(h, LV2_TIME__frame);
    h->time_beatUnit = map_uri(h, LV2_TIME__beatUnit);

    h->world = lilv_world_new();
    lilv_world_load_all(h->world);
    LilvNode *uri = lilv_new_uri(h->world, CN_LV2_URI);
    h->plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(h->world), uri);
    lilv_node_free(uri);
    if (!h->plugin) {
        fprintf(stderr, "lv2-harness: plugin %s not found; is LV2_PATH (%s) pointing at the build folder?\n",
                CN_LV2_URI, getenv("LV2_PATH") ? getenv("LV2_PATH") : "unset");
        return -1;
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void host_free(host *h) {
    if (h->tmp[0]) nftw(h->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    lilv_world_free(h->world);
    for (int i = 0; i < h->n_uris; i++) free(h->uris[i]);
}

/* A small random event model (it loads, it jams; it is not musical). Random weights alone pick
 * long time shifts as often as notes, and an answer may then be silent; a bias towards notes
 * in the middle octave and short steps makes these little models play every time. */
static int write_test_model(const char *path, uint64_t seed) {
    char err[256];
    cn_model *m = cn_model_new("lstm:16", CN_EV_VOCAB, seed, err, sizeof err);
    if (!m) { fprintf(stderr, "lv2-harness: cn_model_new: %s\n", err); return -1; }
    m->encoding = CN_ENC_EVENT;
    const cn_tensor *bias = cn_model_tensor(m, "out.bias");
    if (!bias) { fprintf(stderr, "lv2-harness: the model has no out.bias\n"); cn_model_free(m); return -1; }
    float *b = m->params + bias->offset;
    for (int p = 60; p < 72; p++) { b[CN_EV_NOTE_ON + p] += 4.0f; b[CN_EV_NOTE_OFF + p] += 4.0f; }
    for (int k = 0; k < 3; k++) b[CN_EV_SHIFT + k] += 5.0f;
    int rc = cn_model_save(path, m, 0, err, sizeof err);
    cn_model_free(m);
    if (rc) fprintf(stderr, "lv2-harness: cn_model_save: %s\n", err);
    return rc;
}

/* Two test models and a corrupt file, in a temporary folder. */
static int make_models(host *h) {
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(h->tmp, sizeof h->tmp, "%s/continuo-lv2-XXXXXX", base);
    if (!mkdtemp(h->tmp)) { perror(h->tmp); h->tmp[0] = 0; return -1; }
    snprintf(h->model_a, sizeof h->model_a, "%s/a.cnm", h->tmp);
    snprintf(h->model_b, sizeof h->model_b, "%s/b.cnm", h->tmp);
    snprintf(h->model_bad, sizeof h->model_bad, "%s/bad.cnm", h->tmp);
    if (write_test_model(h->model_a, 1) || write_test_model(h->model_b, 2)) return -1;
    FILE *f = fopen(h->model_bad, "wb");
    if (!f) return -1;
    fputs("CNTMODEL but not really a model", f);
    fclose(f);
    return 0;
}

/* ---------------------------------------------------------------- a plugin under test */

typedef struct { uint64_t frame; uint8_t size, b[3]; } rec_event;

typedef enum { IN_MIDI, IN_RAW, IN_POS, IN_SET_PATH, IN_SET_STRING, IN_GET } in_kind;
typedef struct {
    uint64_t frame;
    in_kind kind;
    uint8_t midi[8]; uint8_t raw_size;   /* IN_RAW: raw_size bytes as they are, valid or not */
    float bpm, speed;
    double beat;
    const char *text;
} in_event;

typedef struct {
    host *h;
    LilvInstance *inst;
    _Alignas(8) uint8_t in_buf[IN_CAP];
    _Alignas(8) uint8_t out_buf[OUT_CAP];
    _Alignas(8) uint8_t notify_buf[OUT_CAP];
    float controls[CN_PORT_COUNT];
    float latency;
    LV2_Atom_Forge forge;
    uint64_t frame;                 /* frames run so far */
    in_event *script; int n_script, next_in;
    rec_event *rec; int n_rec;      /* everything it sent, in absolute frames */
    int bad_order, bad_range, bad_midi, bad_seq;
    char notified_path[1100]; int n_notified;
    int work_failures;
    uint32_t render_w, render_h;    /* non-zero: render the inline display after every cycle */
} dut;

static void set_controls_default(dut *d) {
    const LilvPlugin *p = d->h->plugin;
    float mins[CN_PORT_COUNT], maxs[CN_PORT_COUNT], defs[CN_PORT_COUNT];
    lilv_plugin_get_port_ranges_float(p, mins, maxs, defs);
    for (int i = 0; i < CN_PORT_COUNT; i++) d->controls[i] = isnan(defs[i]) ? 0 : defs[i];
}

static void connect_all(dut *d) {
    lilv_instance_connect_port(d->inst, CN_PORT_IN, d->in_buf);
    lilv_instance_connect_port(d->inst, CN_PORT_OUT, d->out_buf);
    lilv_instance_connect_port(d->inst, CN_PORT_NOTIFY, d->notify_buf);
    for (int i = CN_PORT_MODE; i < CN_PORT_LATENCY; i++) lilv_instance_connect_port(d->inst, (uint32_t)i, &d->controls[i]);
    lilv_instance_connect_port(d->inst, CN_PORT_LATENCY, &d->latency);
}

static dut *dut_new_with(host *h, int connect, const LV2_Feature *const *features) {
    dut *d = calloc(1, sizeof *d);
    d->h = h;
    d->rec = calloc(MAX_REC, sizeof *d->rec);
    d->inst = lilv_plugin_instantiate(h->plugin, RATE, features);
    if (!d->inst) { free(d->rec); free(d); return NULL; }
    lv2_atom_forge_init(&d->forge, &h->map);
    set_controls_default(d);
    /* an empty input sequence, for when no script is given */
    LV2_Atom_Sequence *seq = (LV2_Atom_Sequence *)d->in_buf;
    seq->atom.type = h->u.atom_Sequence; seq->atom.size = sizeof(LV2_Atom_Sequence_Body);
    seq->body.unit = 0; seq->body.pad = 0;
    if (connect) connect_all(d);
    lilv_instance_activate(d->inst);
    return d;
}
static dut *dut_new(host *h, int connect) { return dut_new_with(h, connect, h->features); }

/* The inline display's picture at most w x max_h, as the host's GUI thread asks for it. */
static const LV2_Inline_Display_Image_Surface *render(dut *d, uint32_t w, uint32_t max_h) {
    const LV2_Inline_Display_Interface *i =
        (const LV2_Inline_Display_Interface *)lilv_instance_get_extension_data(d->inst, CN_INLINEDISPLAY__interface);
    return i ? i->render(lilv_instance_get_handle(d->inst), w, max_h) : NULL;
}

static void dut_free(dut *d) {
    if (!d) return;
    if (getenv("CN_HARNESS_DUMP"))   /* for debugging a failure: everything it sent */
        for (int i = 0; i < d->n_rec; i++)
            fprintf(stderr, "  out %10llu  %02x %02x %02x\n", (unsigned long long)d->rec[i].frame, d->rec[i].b[0],
                    d->rec[i].b[1], d->rec[i].b[2]);
    lilv_instance_deactivate(d->inst);
    lilv_instance_free(d->inst);
    free(d->rec);
    free(d);
}

static void forge_input(dut *d, uint32_t n) {
    host *h = d->h;
    LV2_Atom_Forge *f = &d->forge;
    LV2_Atom_Forge_Frame seq;
    lv2_atom_forge_set_buffer(f, d->in_buf, sizeof d->in_buf);
    lv2_atom_forge_sequence_head(f, &seq, 0);
    while (d->next_in < d->n_script && d->script[d->next_in].frame < d->frame + n) {
        const in_event *e = &d->script[d->next_in++];
        int64_t t = e->frame < d->frame ? 0 : (int64_t)(e->frame - d->frame);
        lv2_atom_forge_frame_time(f, t);
        LV2_Atom_Forge_Frame obj;
        switch (e->kind) {
        case IN_MIDI: {
            uint32_t size = (e->midi[0] & 0xF0) == 0xC0 || (e->midi[0] & 0xF0) == 0xD0 ? 2 : 3;
            lv2_atom_forge_atom(f, size, h->u.midi_Event);
            lv2_atom_forge_write(f, e->midi, size);
            break;
        }
        case IN_RAW:
            lv2_atom_forge_atom(f, e->raw_size, h->u.midi_Event);
            lv2_atom_forge_write(f, e->midi, e->raw_size);
            break;
        case IN_POS: {   /* as jalv sends it */
            double bar = floor(e->beat / 4.0);
            lv2_atom_forge_object(f, &obj, 0, h->u.time_Position);
            lv2_atom_forge_key(f, h->time_frame); lv2_atom_forge_long(f, (int64_t)e->frame);
            lv2_atom_forge_key(f, h->u.time_speed); lv2_atom_forge_float(f, e->speed);
            lv2_atom_forge_key(f, h->u.time_bar); lv2_atom_forge_long(f, (int64_t)bar);
            lv2_atom_forge_key(f, h->u.time_barBeat); lv2_atom_forge_float(f, (float)(e->beat - bar * 4.0));
            lv2_atom_forge_key(f, h->time_beatUnit); lv2_atom_forge_int(f, 4);
            lv2_atom_forge_key(f, h->u.time_beatsPerBar); lv2_atom_forge_float(f, 4.0f);
            lv2_atom_forge_key(f, h->u.time_beatsPerMinute); lv2_atom_forge_float(f, e->bpm);
            lv2_atom_forge_pop(f, &obj);
            break;
        }
        case IN_SET_PATH: case IN_SET_STRING:
            lv2_atom_forge_object(f, &obj, 0, h->u.patch_Set);
            lv2_atom_forge_key(f, h->u.patch_property); lv2_atom_forge_urid(f, h->u.cn_model);
            lv2_atom_forge_key(f, h->u.patch_value);
            if (e->kind == IN_SET_PATH) lv2_atom_forge_path(f, e->text, (uint32_t)strlen(e->text));
            else lv2_atom_forge_string(f, e->text, (uint32_t)strlen(e->text));
            lv2_atom_forge_pop(f, &obj);
            break;
        case IN_GET:
            lv2_atom_forge_object(f, &obj, 0, h->u.patch_Get);
            lv2_atom_forge_pop(f, &obj);
            break;
        }
    }
    lv2_atom_forge_pop(f, &seq);
}

static int midi_ok(const uint8_t *b, uint32_t size) {
    if (size < 1 || size > 3 || !(b[0] & 0x80)) return 0;
    int st = b[0] & 0xF0;
    uint32_t want = (st == 0xC0 || st == 0xD0) ? 2 : (st == 0xF0 ? size : 3);
    if (size != want) return 0;
    for (uint32_t i = 1; i < size; i++) if (b[i] & 0x80) return 0;
    return 1;
}

/* Check and record what one cycle sent. */
static void collect_output(dut *d, uint32_t n) {
    host *h = d->h;
    const LV2_Atom_Sequence *seq = (const LV2_Atom_Sequence *)d->out_buf;
    if (seq->atom.type != h->u.atom_Sequence || seq->atom.size > OUT_CAP - sizeof(LV2_Atom)) { d->bad_seq++; return; }
    int64_t last = -1;
    LV2_ATOM_SEQUENCE_FOREACH(seq, ev) {
        if ((const uint8_t *)ev + sizeof(LV2_Atom_Event) + ev->body.size > d->out_buf + OUT_CAP) { d->bad_seq++; break; }
        int64_t t = ev->time.frames;
        if (t < last) d->bad_order++;
        if (t < 0 || t >= (int64_t)n) d->bad_range++;
        last = t;
        const uint8_t *b = (const uint8_t *)LV2_ATOM_BODY_CONST(&ev->body);
        if (ev->body.type != h->u.midi_Event || !midi_ok(b, ev->body.size)) { d->bad_midi++; continue; }
        if (d->n_rec < MAX_REC) {
            rec_event *r = &d->rec[d->n_rec++];
            r->frame = d->frame + (uint64_t)(t < 0 ? 0 : t);
            r->size = (uint8_t)ev->body.size;
            memset(r->b, 0, 3);
            memcpy(r->b, b, ev->body.size);
        }
    }
    const LV2_Atom_Sequence *nseq = (const LV2_Atom_Sequence *)d->notify_buf;
    if (nseq->atom.type != h->u.atom_Sequence || nseq->atom.size > OUT_CAP - sizeof(LV2_Atom)) { d->bad_seq++; return; }
    LV2_ATOM_SEQUENCE_FOREACH(nseq, ev) {
        if (ev->body.type != h->u.atom_Object) { d->bad_seq++; continue; }
        const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
        const LV2_Atom *prop = NULL, *val = NULL;
        lv2_atom_object_get(obj, h->u.patch_property, &prop, h->u.patch_value, &val, 0);
        if (obj->body.otype != h->u.patch_Set || !prop || !val || val->type != h->u.atom_Path) { d->bad_seq++; continue; }
        snprintf(d->notified_path, sizeof d->notified_path, "%.*s", (int)val->size, (const char *)LV2_ATOM_BODY_CONST(val));
        d->n_notified++;
    }
}

/* One cycle of n frames, with the script's events that fall in it; then the worker. */
static void run_block(dut *d, uint32_t n) {
    host *h = d->h;
    forge_input(d, n);
    LV2_Atom *out = (LV2_Atom *)d->out_buf, *notify = (LV2_Atom *)d->notify_buf;
    out->type = h->atom_Chunk; out->size = OUT_CAP - sizeof(LV2_Atom);
    notify->type = h->atom_Chunk; notify->size = OUT_CAP - sizeof(LV2_Atom);
    h->worker = (const LV2_Worker_Interface *)lilv_instance_get_extension_data(d->inst, LV2_WORKER__interface);
    h->n_requests = 0;
    GUARD_ON();
    lilv_instance_run(d->inst, n);
    GUARD_OFF();
    collect_output(d, n);
    d->frame += n;
    /* the worker thread's turn, then the replies, as jalv delivers them */
    LV2_Handle handle = lilv_instance_get_handle(d->inst);
    h->n_replies = 0;
    for (int i = 0; i < h->n_requests && h->worker; i++)
        if (h->worker->work(handle, respond, h, h->requests[i].size, h->requests[i].data) != LV2_WORKER_SUCCESS)
            d->work_failures++;
    h->n_requests = 0;
    GUARD_ON();
    for (int i = 0; i < h->n_replies && h->worker; i++)
        h->worker->work_response(handle, h->replies[i].size, h->replies[i].data);
    GUARD_OFF();
    if (d->render_w) render(d, d->render_w, d->render_h);   /* the GUI thread's turn */
}

/* Run until `end` frames, with block sizes taken in turn from sizes. */
static void run_until(dut *d, uint64_t end, const uint32_t *sizes, int n_sizes) {
    int i = 0;
    while (d->frame < end) run_block(d, sizes[i++ % n_sizes]);
}

static void script(dut *d, in_event *ev, int n) { d->script = ev; d->n_script = n; d->next_in = 0; }

static in_event midi_ev(uint64_t frame, uint8_t s, uint8_t a, uint8_t b) {
    in_event e; memset(&e, 0, sizeof e);
    e.frame = frame; e.kind = IN_MIDI; e.midi[0] = s; e.midi[1] = a; e.midi[2] = b;
    return e;
}
static in_event raw_ev(uint64_t frame, const char *bytes, uint8_t n) {
    in_event e; memset(&e, 0, sizeof e);
    e.frame = frame; e.kind = IN_RAW; e.raw_size = n; memcpy(e.midi, bytes, n);
    return e;
}
static in_event pos_ev(uint64_t frame, float bpm, float speed, double beat) {
    in_event e; memset(&e, 0, sizeof e);
    e.frame = frame; e.kind = IN_POS; e.bpm = bpm; e.speed = speed; e.beat = beat;
    return e;
}
static in_event msg_ev(uint64_t frame, in_kind kind, const char *text) {
    in_event e; memset(&e, 0, sizeof e);
    e.frame = frame; e.kind = kind; e.text = text;
    return e;
}

/* The note-ons on a channel (0..15) at or after a frame, and the first of them. */
static int count_ons(const dut *d, int ch, uint64_t from, uint64_t *first) {
    int n = 0;
    for (int i = 0; i < d->n_rec; i++) {
        const rec_event *r = &d->rec[i];
        if (r->frame >= from && r->b[0] == (0x90 | ch) && r->b[2] > 0) { if (!n && first) *first = r->frame; n++; }
    }
    return n;
}
/* Notes left sounding on a channel after the first n_events sent. */
static int held_prefix(const dut *d, int ch, int n_events) {
    int held[128] = { 0 }, n = 0;
    for (int i = 0; i < d->n_rec && i < n_events; i++) {
        const rec_event *r = &d->rec[i];
        if ((r->b[0] & 0x0F) != ch) continue;
        int st = r->b[0] & 0xF0;
        if (st == 0x90 && r->b[2] > 0) held[r->b[1]]++;
        else if ((st == 0x80 || st == 0x90) && held[r->b[1]] > 0) held[r->b[1]]--;
    }
    for (int p = 0; p < 128; p++) n += held[p];
    return n;
}
/* Notes left sounding on a channel after everything sent up to frame `until`. */
static int held_at(const dut *d, int ch, uint64_t until) {
    int k = 0;
    while (k < d->n_rec && d->rec[k].frame <= until) k++;
    return held_prefix(d, ch, k);
}
static int has_cc(const dut *d, int ch, int cc, uint64_t from) {
    for (int i = 0; i < d->n_rec; i++)
        if (d->rec[i].frame >= from && d->rec[i].b[0] == (0xB0 | ch) && d->rec[i].b[1] == cc) return 1;
    return 0;
}
static int stream_ok(const dut *d) {
    if (d->bad_order || d->bad_range || d->bad_midi || d->bad_seq)
        fprintf(stderr, "  output: %d out of order, %d out of range, %d bad MIDI, %d bad sequences\n",
                d->bad_order, d->bad_range, d->bad_midi, d->bad_seq);
    return !d->bad_order && !d->bad_range && !d->bad_midi && !d->bad_seq;
}

/* A four-note phrase of two beats on channel 1 starting at `at`, each note 0.4 beat. */
static int phrase(in_event *ev, uint64_t at, double fpb) {
    static const uint8_t pitches[4] = { 60, 62, 64, 65 };
    int n = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t on = at + (uint64_t)(i * 0.5 * fpb), off = on + (uint64_t)(0.4 * fpb);
        ev[n++] = midi_ev(on, 0x90, pitches[i], 90);
        ev[n++] = midi_ev(off, 0x80, pitches[i], 0);
    }
    return n;
}

static const uint32_t ODD_SIZES[] = { 0, 1, 7, 4096, 64, 0, 333, 1, 4096, 7 };
#define N_ODD ((int)(sizeof ODD_SIZES / sizeof ODD_SIZES[0]))

/* ---------------------------------------------------------------- tests */

static void test_unconnected(host *h) {
    dut *d = dut_new(h, 0);
    CHECK(d != NULL);
    if (!d) return;
    /* nothing connected at all */
    for (int i = 0; i < N_ODD; i++) lilv_instance_run(d->inst, ODD_SIZES[i]);
    /* controls only; then the input only; then the outputs only */
    for (int i = CN_PORT_MODE; i < CN_PORT_LATENCY; i++) lilv_instance_connect_port(d->inst, (uint32_t)i, &d->controls[i]);
    for (int i = 0; i < N_ODD; i++) lilv_instance_run(d->inst, ODD_SIZES[i]);
    lilv_instance_connect_port(d->inst, CN_PORT_IN, d->in_buf);
    for (int i = 0; i < N_ODD; i++) lilv_instance_run(d->inst, ODD_SIZES[i]);
    lilv_instance_connect_port(d->inst, CN_PORT_IN, NULL);
    lilv_instance_connect_port(d->inst, CN_PORT_OUT, d->out_buf);
    lilv_instance_connect_port(d->inst, CN_PORT_NOTIFY, d->notify_buf);
    for (int i = 0; i < N_ODD; i++) run_block(d, ODD_SIZES[i]);
    CHECK(stream_ok(d));
    /* and all connected, with a phrase played across the odd sizes */
    connect_all(d);
    in_event ev[16];
    int n = phrase(ev, d->frame + 100, FPB(120));
    script(d, ev, n);
    run_until(d, d->frame + (uint64_t)(12 * FPB(120)), ODD_SIZES, N_ODD);
    CHECK(stream_ok(d));
    CHECK(d->n_rec >= 8);                 /* at least the phrase, passed through */
    CHECK(held_at(d, 0, d->frame) == 0);
    CHECK(d->latency == 0.0f);
    CHECK(d->work_failures == 0);
    dut_free(d);
}

/* Mode 1, no host transport, own tempo 120: the answer comes on channel 2 after the
 * silence, never during the call, and ends with every note-off. */
static void test_answer_after_silence(host *h) {
    dut *d = dut_new(h, 1);
    CHECK(d != NULL);
    if (!d) return;
    d->controls[CN_PORT_MODE] = 1; d->controls[CN_PORT_THRU] = 0; d->controls[CN_PORT_CHANNEL_OUT] = 2;
    d->controls[CN_PORT_SILENCE_BEATS] = 1; d->controls[CN_PORT_SEED] = 42; d->controls[CN_PORT_BPM] = 120;
    double fpb = FPB(120);
    in_event ev[16];
    int n = phrase(ev, 1000, fpb);
    uint64_t last_off = ev[n - 1].frame;
    script(d, ev, n);
    static const uint32_t sizes[] = { 256, 7, 4096, 1, 0, 64 };
    run_until(d, 1000 + (uint64_t)(16 * fpb), sizes, 6);
    uint64_t first = 0;
    int ons = count_ons(d, 1, 0, &first);
    CHECKF(ons > 0, "no answer on channel 2");
    /* the answer starts a beat after the call's last note-off, on the model's time grid */
    CHECKF(ons == 0 || first + (uint64_t)(fpb / CN_EV_GRID) + 1 >= last_off + (uint64_t)fpb,
           "answer at frame %llu, the call ended at %llu",
           (unsigned long long)first, (unsigned long long)last_off);
    CHECK(count_ons(d, 0, 0, NULL) == 0);   /* thru off: nothing on channel 1 */
    CHECK(held_at(d, 1, d->frame) == 0);
    CHECK(stream_ok(d));
    CHECK(d->work_failures == 0);
    dut_free(d);
}

/* The player cuts in during an answer: its notes stop at once. Then the same with the host's
 * transport: a stop ends the answer with note-offs and CC123. CC123 in does the same. */
static void test_interrupt_and_panics(host *h) {
    dut *d = dut_new(h, 1);
    CHECK(d != NULL);
    if (!d) return;
    d->controls[CN_PORT_MODE] = 1; d->controls[CN_PORT_THRU] = 0; d->controls[CN_PORT_CHANNEL_OUT] = 2;
    d->controls[CN_PORT_RESPONSE_BEATS] = 16; d->controls[CN_PORT_SEED] = 7;
    double fpb = FPB(90);
    in_event ev[64];
    int n = 0;
    ev[n++] = pos_ev(0, 90, 1, 0);                         /* host transport rolling at 90 bpm */
    n += phrase(ev + n, 2000, fpb);
    uint64_t call_end = ev[n - 1].frame;
    script(d, ev, n);
    /* cut in while one of its notes sounds */
    while (d->frame < call_end + (uint64_t)(4 * fpb) && !held_at(d, 1, d->frame)) run_block(d, 64);
    CHECKF(held_at(d, 1, d->frame) > 0, "no answer note sounded");
    uint64_t cut = d->frame + 10;
    ev[0] = midi_ev(cut, 0x90, 72, 100);                   /* the cut-in note is also a new call */
    ev[1] = midi_ev(cut + 500, 0x80, 72, 0);
    script(d, ev, 2);
    run_block(d, 64);
    CHECK(held_at(d, 1, d->frame) == 0);                   /* all of the answer's notes ended at once */
    /* stop the transport while the answer to the cut-in note sounds */
    uint64_t t0 = d->frame;
    while (d->frame < t0 + (uint64_t)(4 * fpb) && !held_at(d, 1, d->frame)) run_block(d, 128);
    CHECKF(held_at(d, 1, d->frame) > 0, "no note of the second answer sounded");
    uint64_t stop = d->frame + 10;
    ev[0] = pos_ev(stop, 90, 0, (double)stop / fpb);
    script(d, ev, 1);
    run_block(d, 512);
    CHECK(held_at(d, 1, d->frame) == 0);
    CHECK(has_cc(d, 1, 123, stop));
    uint64_t after_stop = d->frame;
    run_until(d, d->frame + (uint64_t)(8 * fpb), (const uint32_t[]){ 256 }, 1);
    CHECK(count_ons(d, 1, after_stop, NULL) == 0);        /* stopped: nothing plays */

    /* a continuous jam on a rolling host, then CC123 from the player, then a mode change */
    d->controls[CN_PORT_MODE] = 2;
    d->controls[CN_PORT_THRU] = 1;
    uint64_t t1 = d->frame;
    n = 0;
    ev[n++] = pos_ev(t1, 90, 1, (double)t1 / fpb);
    for (int b = 0; b < 6; b++) {
        ev[n++] = midi_ev(t1 + (uint64_t)((b + 0.1) * fpb), 0x90, (uint8_t)(60 + b), 80);
        ev[n++] = midi_ev(t1 + (uint64_t)((b + 0.5) * fpb), 0x80, (uint8_t)(60 + b), 0);
    }
    uint64_t cc = t1 + (uint64_t)(7.3 * fpb);
    ev[n++] = midi_ev(cc, 0xB1, 123, 0);
    script(d, ev, n);
    run_until(d, cc + 200, (const uint32_t[]){ 100, 7 }, 2);
    CHECKF(count_ons(d, 1, t1, NULL) > 0, "continuous mode played nothing");
    CHECK(held_at(d, 1, d->frame) == 0);
    CHECK(has_cc(d, 1, 123, cc));
    d->controls[CN_PORT_MODE] = 0;
    run_block(d, 64);
    CHECK(held_at(d, 1, d->frame) == 0);
    CHECK(held_at(d, 0, d->frame) == 0);
    CHECK(stream_ok(d));
    dut_free(d);
}

/* Issue 10.2: 300 note-ons then 300 note-offs in one block, five times, with thru on: the
 * input is taken in chunks, so nothing hangs on the thru channels, the engine's count of
 * held keys comes back to zero (a call after the flood is answered), and a panic and
 * deactivate end what thru passed on. */
static void test_flood_of_notes(host *h) {
    dut *d = dut_new(h, 1);
    CHECK(d != NULL);
    if (!d) return;
    d->controls[CN_PORT_MODE] = 1; d->controls[CN_PORT_THRU] = 1; d->controls[CN_PORT_CHANNEL_OUT] = 16;
    d->controls[CN_PORT_SILENCE_BEATS] = 1; d->controls[CN_PORT_SEED] = 5; d->controls[CN_PORT_BPM] = 120;
    double fpb = FPB(120);
    static in_event ev[3200];
    int n = 0;
    for (int rep = 0; rep < 5; rep++) {
        uint64_t at = 4096 * (uint64_t)rep + 100;
        for (int i = 0; i < 300; i++) ev[n++] = midi_ev(at + (uint64_t)i / 8, (uint8_t)(0x90 | (i / 100)), (uint8_t)(i % 100 + 20), 80);
        for (int i = 0; i < 300; i++) ev[n++] = midi_ev(at + 40 + (uint64_t)i / 8, (uint8_t)(0x80 | (i / 100)), (uint8_t)(i % 100 + 20), 0);
    }
    script(d, ev, n);
    run_until(d, 5 * 4096, (const uint32_t[]){ 4096 }, 1);
    int thru_ons = 0;
    for (int ch = 0; ch < 3; ch++) thru_ons += count_ons(d, ch, 0, NULL);
    CHECKF(thru_ons == 1500, "%d of 1500 note-ons passed through", thru_ons);
    for (int ch = 0; ch < 3; ch++) CHECKF(held_at(d, ch, d->frame) == 0, "channel %d: %d notes hang", ch + 1, held_at(d, ch, d->frame));
    /* the held-key count did not stick: a phrase after the flood gets an answer */
    uint64_t t = d->frame + 1000;
    n = phrase(ev, t, fpb);
    script(d, ev, n);
    uint64_t first = 0;
    while (d->frame < t + (uint64_t)(20 * fpb) && !count_ons(d, 15, t, &first)) run_block(d, 512);
    CHECKF(count_ons(d, 15, t, NULL) > 0, "no answer after the flood: the engine thinks keys are held");
    /* thru notes that are still down: a mode change (panic) ends them, and so does deactivate */
    ev[0] = midi_ev(d->frame + 5, 0x93, 50, 90);
    ev[1] = midi_ev(d->frame + 6, 0x93, 51, 90);
    script(d, ev, 2);
    run_block(d, 64);
    CHECK(held_at(d, 3, d->frame) == 2);
    d->controls[CN_PORT_MODE] = 2;
    run_block(d, 64);
    CHECKF(held_at(d, 3, d->frame) == 0, "the panic left %d thru notes sounding", held_at(d, 3, d->frame));
    CHECK(has_cc(d, 3, 123, d->frame - 64));
    ev[0] = midi_ev(d->frame + 5, 0x94, 52, 90);
    script(d, ev, 1);
    run_block(d, 64);
    CHECK(held_at(d, 4, d->frame) == 1);
    lilv_instance_deactivate(d->inst);
    lilv_instance_activate(d->inst);
    run_block(d, 64);
    CHECKF(held_at(d, 4, d->frame) == 0, "deactivate left a thru note sounding");
    CHECK(stream_ok(d));
    dut_free(d);
}

/* Issue 10.3: in pass-through (mode off) and with thru on, only well-formed messages go out:
 * a data byte as status, data bytes >= 0x80, wrong lengths, undefined statuses and sysex
 * that is not whole are dropped; the good ones pass unchanged. */
static void test_thru_passes_only_valid_midi(host *h) {
    for (int mode = 0; mode < 2; mode++) {
        dut *d = dut_new(h, 1);
        CHECK(d != NULL);
        if (!d) return;
        d->controls[CN_PORT_MODE] = (float)mode; d->controls[CN_PORT_THRU] = 1; d->controls[CN_PORT_CHANNEL_OUT] = 16;
        in_event ev[32];
        int n = 0;
        static const struct { const char *b; uint8_t n; int good; } cases[] = {
            { "\x6a\xf0\x37", 3, 0 }, { "\xe1\x1e\xc6", 3, 0 }, { "\x91\x3c", 2, 0 }, { "\xc1\x05\x06", 3, 0 },
            { "\xf4", 1, 0 }, { "\xf0\x7e", 2, 0 }, { "\xf7", 1, 0 }, { "\xf0\x01\x02\x03\xf7", 5, 0 },
            { "\x91\x40\x50", 3, 1 }, { "\xc1\x05", 2, 1 }, { "\xe1\x00\x40", 3, 1 }, { "\xf8", 1, 1 },
            { "\x81\x40\x00", 3, 1 },
        };
        int n_cases = (int)(sizeof cases / sizeof cases[0]), n_good = 0;
        for (int i = 0; i < n_cases; i++) { ev[n++] = raw_ev(100 + (uint64_t)i * 10, cases[i].b, cases[i].n); n_good += cases[i].good; }
        script(d, ev, n);
        run_until(d, 1024, (const uint32_t[]){ 256 }, 1);
        CHECKF(d->bad_midi == 0, "mode %d: %d malformed messages went out", mode, d->bad_midi);
        int good_out = 0;
        for (int r = 0; r < d->n_rec; r++)
            for (int i = 0; i < n_cases; i++)
                if (cases[i].good && d->rec[r].size == cases[i].n && !memcmp(d->rec[r].b, cases[i].b, cases[i].n)) good_out++;
        CHECKF(good_out == n_good, "mode %d: %d of %d good messages passed", mode, good_out, n_good);
        CHECK(stream_ok(d));
        dut_free(d);
    }
}

/* The host's tempo governs the silence: at 60 bpm a one-beat silence is 48000 frames. */
static void test_host_tempo(host *h) {
    dut *d = dut_new(h, 1);
    CHECK(d != NULL);
    if (!d) return;
    d->controls[CN_PORT_MODE] = 1; d->controls[CN_PORT_THRU] = 0; d->controls[CN_PORT_CHANNEL_OUT] = 3;
    d->controls[CN_PORT_BPM] = 240; d->controls[CN_PORT_SEED] = 3;   /* its own tempo would be faster */
    double fpb = FPB(60);
    in_event ev[24];
    int n = 0;
    ev[n++] = pos_ev(0, 60, 1, 8.0);
    n += phrase(ev + n, 500, fpb);
    uint64_t last_off = ev[n - 1].frame;
    script(d, ev, n);
    run_until(d, last_off + (uint64_t)(8 * fpb), (const uint32_t[]){ 1024, 37 }, 2);
    uint64_t first = 0;
    int ons = count_ons(d, 2, 0, &first);
    CHECKF(ons > 0, "no answer");
    CHECKF(ons == 0 || first + (uint64_t)(fpb / CN_EV_GRID) + 1 >= last_off + (uint64_t)fpb,
           "answered %llu frames after the call, before a beat at 60 bpm",
           (unsigned long long)(first - last_off));
    CHECK(stream_ok(d));
    dut_free(d);
}

/* A host that sends its position every cycle, rounded to 1920 ticks a beat and drifting
 * 0.3% from the frame count (as Ardour does): the answer must survive the jitter. */
static void test_host_jitter(host *h) {
    dut *d = dut_new(h, 1);
    CHECK(d != NULL);
    if (!d) return;
    d->controls[CN_PORT_MODE] = 1; d->controls[CN_PORT_THRU] = 0; d->controls[CN_PORT_CHANNEL_OUT] = 4;
    d->controls[CN_PORT_SEED] = 9;
    double fpb = FPB(120);
    const uint32_t block = 512;
    int n_blocks = (int)(12 * fpb / block);
    in_event *ev = calloc((size_t)n_blocks + 16, sizeof *ev);
    int n = 0, k = 0;
    in_event call[8];
    int n_call = phrase(call, 3000, fpb);
    uint64_t last_off = call[n_call - 1].frame;
    for (int b = 0; b < n_blocks; b++) {
        uint64_t f = (uint64_t)b * block;
        while (k < n_call && call[k].frame < f) ev[n++] = call[k++];
        double beat = floor((double)f / fpb * 1.003 * 1920.0) / 1920.0;
        ev[n++] = pos_ev(f, 120, 1, beat);
    }
    while (k < n_call) ev[n++] = call[k++];
    script(d, ev, n);
    run_until(d, (uint64_t)n_blocks * block, &block, 1);
    uint64_t first = 0;
    int ons = count_ons(d, 3, 0, &first);
    CHECKF(ons > 0, "no answer under a jittery host clock");
    CHECK(ons == 0 || first > last_off);
    CHECK(held_at(d, 3, d->frame) == 0);
    CHECK(stream_ok(d));
    free(ev);
    dut_free(d);
}

/* deactivate() ends the held notes: their note-offs lead the first block after activate(). */
static void test_deactivate(host *h) {
    dut *d = dut_new(h, 1);
    CHECK(d != NULL);
    if (!d) return;
    d->controls[CN_PORT_MODE] = 2; d->controls[CN_PORT_THRU] = 0; d->controls[CN_PORT_SEED] = 11;
    double fpb = FPB(120);
    in_event ev[8];
    int n = 0;
    ev[n++] = midi_ev(10, 0x90, 64, 90);
    ev[n++] = midi_ev(10 + (uint64_t)(0.5 * fpb), 0x80, 64, 0);
    script(d, ev, n);
    int held = 0;
    /* run until it holds a note of its own (or give up after 16 beats) */
    while (d->frame < (uint64_t)(16 * fpb) && !(held = held_at(d, 0, d->frame))) run_block(d, 256);
    CHECKF(held > 0, "continuous mode never held a note");
    lilv_instance_deactivate(d->inst);
    lilv_instance_activate(d->inst);
    uint64_t at = d->frame;
    int first = d->n_rec;
    run_block(d, 0);      /* nothing fits in an empty block: the note-offs wait */
    CHECK(d->n_rec == first);
    run_block(d, 32);
    /* the block opens with the note-offs and a CC123 (then it may play on) */
    int cc = first;
    while (cc < d->n_rec && !(d->rec[cc].b[0] == 0xB0 && d->rec[cc].b[1] == 123)) cc++;
    CHECKF(cc < d->n_rec && d->rec[cc].frame == at, "no CC123 at the first frame after activate()");
    CHECK(held_prefix(d, 0, cc + 1) == 0);
    CHECK(has_cc(d, 0, 123, at));
    CHECK(stream_ok(d));
    dut_free(d);
}

/* The model is a patch parameter: set, read back, refused when bad; the default loads. */
static void test_model_parameter(host *h) {
    dut *d = dut_new(h, 1);
    CHECK(d != NULL);
    if (!d) return;
    in_event ev[8];
    int n = 0;
    ev[n++] = msg_ev(0, IN_GET, NULL);
    script(d, ev, n);
    run_block(d, 64);
    run_block(d, 64);
    CHECKF(!strcmp(d->notified_path, h->model_a), "default model %s, expected %s", d->notified_path, h->model_a);
    n = 0;
    ev[n++] = msg_ev(d->frame + 5, IN_SET_PATH, h->model_b);
    script(d, ev, n);
    run_block(d, 64);
    run_block(d, 64);
    CHECKF(!strcmp(d->notified_path, h->model_b), "after patch:Set: %s", d->notified_path);
    int errors = h->log_errors;
    n = 0;
    ev[n++] = msg_ev(d->frame + 1, IN_SET_PATH, h->model_bad);
    ev[n++] = msg_ev(d->frame + 2, IN_SET_STRING, h->model_a);
    ev[n++] = msg_ev(d->frame + 3, IN_SET_PATH, "/nonexistent/continuo/model.cnm");
    script(d, ev, n);
    run_block(d, 64);
    run_block(d, 64);
    CHECK(h->log_errors >= errors + 3);                    /* one message each */
    n = 0;
    ev[n++] = msg_ev(d->frame, IN_GET, NULL);
    script(d, ev, n);
    run_block(d, 64);
    CHECKF(!strcmp(d->notified_path, h->model_b), "a bad file replaced the model: %s", d->notified_path);
    CHECK(stream_ok(d));
    dut_free(d);
}

static const void *get_port_value(const char *symbol, void *user, uint32_t *size, uint32_t *type) {
    dut *d = (dut *)user;
    const LilvPlugin *p = d->h->plugin;
    LilvNode *sym = lilv_new_string(d->h->world, symbol);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(p, sym);
    lilv_node_free(sym);
    if (!port) return NULL;
    uint32_t i = lilv_port_get_index(p, port);
    if (!is_control_in(i)) return NULL;
    *size = sizeof(float);
    *type = d->h->map.map(d->h->map.handle, LV2_ATOM__Float);
    return &d->controls[i];
}

typedef struct { dut *d; int n_set, n_unknown; } setter;

static void set_port_value(const char *symbol, void *user, const void *value, uint32_t size, uint32_t type) {
    setter *s = (setter *)user;
    host *h = s->d->h;
    LilvNode *sym = lilv_new_string(h->world, symbol);
    const LilvPort *port = lilv_plugin_get_port_by_symbol(h->plugin, sym);
    lilv_node_free(sym);
    uint32_t i = port ? lilv_port_get_index(h->plugin, port) : 0;
    if (!port || !is_control_in(i)) {
        fprintf(stderr, "  state/preset names an unknown control port '%s'\n", symbol);
        s->n_unknown++;
        return;
    }
    float v;
    if (type == h->map.map(h->map.handle, LV2_ATOM__Float) && size == sizeof(float)) v = *(const float *)value;
    else if (type == h->map.map(h->map.handle, LV2_ATOM__Double) && size == sizeof(double)) v = (float)*(const double *)value;
    else if (type == h->map.map(h->map.handle, LV2_ATOM__Int) && size == sizeof(int32_t)) v = (float)*(const int32_t *)value;
    else { s->n_unknown++; return; }
    s->d->controls[i] = v;
    s->n_set++;
}

static int files_equal(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* Save with a model set by patch:Set and controls changed; move the original model away;
 * restore into a new instance: the controls and the model come back, from the session. */
static void test_state_round_trip(host *h) {
    char dir[400], file[450], moved[400];
    snprintf(dir, sizeof dir, "%s/session.lv2", h->tmp);
    snprintf(file, sizeof file, "%s/state.ttl", dir);
    snprintf(moved, sizeof moved, "%s/moved-b.cnm", h->tmp);
    dut *d = dut_new(h, 1);
    CHECK(d != NULL);
    if (!d) return;
    d->controls[CN_PORT_MODE] = 2; d->controls[CN_PORT_TEMPERATURE] = 0.7f; d->controls[CN_PORT_SEED] = 77;
    d->controls[CN_PORT_CHANNEL_OUT] = 5; d->controls[CN_PORT_QUANTIZE] = 2;
    in_event ev[2] = { msg_ev(0, IN_SET_PATH, h->model_b) };
    script(d, ev, 1);
    run_block(d, 64);
    run_block(d, 64);
    CHECK(!strcmp(d->notified_path, h->model_b));
    LilvState *st = lilv_state_new_from_instance(h->plugin, d->inst, &h->map, NULL, NULL, NULL, dir,
                                                 get_port_value, d, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, NULL);
    CHECK(st != NULL);
    if (!st) { dut_free(d); return; }
    int rc = lilv_state_save(h->world, &h->map, &h->unmap, st, NULL, dir, "state.ttl");
    CHECK(rc == 0);
    lilv_state_free(st);
    dut_free(d);
    char copied[450];
    snprintf(copied, sizeof copied, "%s/b.cnm", dir);
    CHECKF(files_equal(copied, h->model_b), "the model was not copied into the state (%s)", copied);
    CHECK(rename(h->model_b, moved) == 0);   /* the session must not need the original */

    dut *e = dut_new(h, 1);
    CHECK(e != NULL);
    if (!e) return;
    for (uint32_t i = CN_PORT_MODE; i < CN_PORT_COUNT; i++) if (is_control_in(i)) e->controls[i] = 0;
    LilvState *back = lilv_state_new_from_file(h->world, &h->map, NULL, file);
    CHECK(back != NULL);
    if (back) {
        setter s = { e, 0, 0 };
        lilv_state_restore(back, e->inst, set_port_value, &s, 0, NULL);
        lilv_state_free(back);
        CHECK(s.n_unknown == 0);
        CHECKF(s.n_set == N_CONTROL_IN, "the state restored %d of %d controls", s.n_set, N_CONTROL_IN);
    }
    CHECK(e->controls[CN_PORT_MODE] == 2 && fabsf(e->controls[CN_PORT_TEMPERATURE] - 0.7f) < 1e-6f);
    CHECK(e->controls[CN_PORT_SEED] == 77 && e->controls[CN_PORT_CHANNEL_OUT] == 5 && e->controls[CN_PORT_QUANTIZE] == 2);
    in_event g[2] = { msg_ev(0, IN_GET, NULL) };
    script(e, g, 1);
    run_block(e, 64);
    CHECKF(e->n_notified > 0 && strstr(e->notified_path, "session.lv2") && strstr(e->notified_path, "b.cnm"),
           "restored model path '%s'", e->notified_path);
    CHECK(files_equal(e->notified_path, moved));
    CHECK(rename(moved, h->model_b) == 0);
    CHECK(stream_ok(e));
    dut_free(e);
}

/* Every preset the bundle lists applies by its port symbols and the plugin runs with it. */
static void test_presets(host *h) {
    LilvNode *pset = lilv_new_uri(h->world, LV2_PRESETS__Preset);
    LilvNodes *presets = lilv_plugin_get_related(h->plugin, pset);
    int n_presets = 0;
    LILV_FOREACH(nodes, it, presets) {
        const LilvNode *preset = lilv_nodes_get(presets, it);
        lilv_world_load_resource(h->world, preset);
        LilvState *st = lilv_state_new_from_world(h->world, &h->map, preset);
        CHECKF(st != NULL, "preset %s does not load", lilv_node_as_uri(preset));
        if (!st) continue;
        n_presets++;
        dut *d = dut_new(h, 1);
        /* every control but the trigger, which a preset has no business pressing */
        for (uint32_t i = CN_PORT_MODE; i < CN_PORT_COUNT; i++) if (is_control_in(i)) d->controls[i] = -1;
        setter s = { d, 0, 0 };
        lilv_state_restore(st, d->inst, set_port_value, &s, 0, NULL);
        CHECKF(s.n_unknown == 0 && s.n_set == N_CONTROL_IN - 1, "preset %s set %d ports, %d unknown",
               lilv_node_as_uri(preset), s.n_set, s.n_unknown);
        CHECK(lilv_state_get_label(st) != NULL);
        for (uint32_t i = CN_PORT_MODE; i < CN_PORT_COUNT; i++)
            if (is_control_in(i) && i != CN_PORT_REGENERATE) CHECKF(d->controls[i] >= 0, "preset %s: port %u unset", lilv_node_as_uri(preset), i);
        d->controls[CN_PORT_REGENERATE] = 0;
        d->controls[CN_PORT_SEED] = 1;   /* the presets' seed is 0, random; the test must repeat */
        in_event ev[16];
        int n = phrase(ev, 300, FPB(120));
        script(d, ev, n);
        run_until(d, (uint64_t)(12 * FPB(120)), (const uint32_t[]){ 512, 3 }, 2);
        CHECKF(count_ons(d, (int)d->controls[CN_PORT_CHANNEL_OUT] - 1, 0, NULL) > 4,
               "preset %s: nothing beyond the call", lilv_node_as_uri(preset));
        lilv_instance_deactivate(d->inst);
        lilv_instance_activate(d->inst);
        run_block(d, 64);
        CHECK(stream_ok(d));
        for (int ch = 0; ch < 16; ch++) CHECK(held_at(d, ch, d->frame) == 0);
        lilv_state_free(st);
        dut_free(d);
    }
    lilv_nodes_free(presets);
    lilv_node_free(pset);
    CHECKF(n_presets >= 3, "%d presets", n_presets);
}

/* The TTL the bundle holds agrees with the engine's control table: each control a port at
 * its index with the table's range and default (the TTL is generated from the table; this
 * checks the generation and the hand-written ports around it). The "Call and response"
 * preset is the plugin's defaults, but for the controls its rdfs:comment names. */
static void test_ports_match_the_control_table(host *h) {
    CHECK(cn_jam_n_controls == N_CONTROL_IN);
    for (int k = 0; k < cn_jam_n_controls; k++) {
        const cn_jam_control *c = &cn_jam_controls[k];
        LilvNode *sym = lilv_new_string(h->world, c->symbol);
        const LilvPort *port = lilv_plugin_get_port_by_symbol(h->plugin, sym);
        lilv_node_free(sym);
        CHECKF(port != NULL, "no port %s", c->symbol);
        if (!port) continue;
        CHECKF(lilv_port_get_index(h->plugin, port) == (uint32_t)c->port, "%s at %u, not %d", c->symbol,
               lilv_port_get_index(h->plugin, port), c->port);
        LilvNode *def = NULL, *min = NULL, *max = NULL;
        lilv_port_get_range(h->plugin, port, &def, &min, &max);
        CHECKF(def && min && max, "%s: no range", c->symbol);
        if (def && min && max) {
            CHECKF(fabs(lilv_node_as_float(def) - c->def) < 1e-6 && fabs(lilv_node_as_float(min) - c->min) < 1e-6 &&
                   fabs(lilv_node_as_float(max) - c->max) < 1e-6, "%s: %g [%g, %g] in the TTL, %g [%g, %g] in the table",
                   c->symbol, lilv_node_as_float(def), lilv_node_as_float(min), lilv_node_as_float(max), c->def, c->min, c->max);
        }
        lilv_node_free(def); lilv_node_free(min); lilv_node_free(max);
    }
    LilvNode *uri = lilv_new_uri(h->world, "urn:continuo:preset:call-and-response");
    LilvNode *comment_p = lilv_new_uri(h->world, "http://www.w3.org/2000/01/rdf-schema#comment");
    lilv_world_load_resource(h->world, uri);
    LilvState *st = lilv_state_new_from_world(h->world, &h->map, uri);
    LilvNode *comment = lilv_world_get(h->world, uri, comment_p, NULL);
    const char *why = comment ? lilv_node_as_string(comment) : "";
    CHECK(st != NULL);
    if (st) {
        dut *d = dut_new(h, 1);
        setter s = { d, 0, 0 };
        lilv_state_restore(st, d->inst, set_port_value, &s, 0, NULL);
        for (int k = 0; k < cn_jam_n_controls; k++) {
            const cn_jam_control *c = &cn_jam_controls[k];
            if (c->kind == CN_CT_TRIGGER || fabs(d->controls[c->port] - c->def) < 1e-6) continue;
            char word[64];
            snprintf(word, sizeof word, "%s ", c->symbol);
            CHECKF(strstr(why, word) != NULL, "the call-and-response preset sets %s to %g, not the default %g, "
                   "and its rdfs:comment does not say why", c->symbol, d->controls[c->port], c->def);
        }
        dut_free(d);
        lilv_state_free(st);
    }
    lilv_node_free(comment); lilv_node_free(comment_p); lilv_node_free(uri);
}

/* With no model set and no $CONTINUO_MODEL, the bundle's default.cnm is the model; a bundle
 * without one (before the default model is trained) runs with none and says so. */
static void test_default_model(host *h) {
    unsetenv("CONTINUO_MODEL");
    char *bundle = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_bundle_uri(h->plugin)), NULL);
    char expect[1100];
    snprintf(expect, sizeof expect, "%s%sdefault.cnm", bundle, bundle[strlen(bundle) - 1] == '/' ? "" : "/");
    lilv_free(bundle);
    int shipped = access(expect, R_OK) == 0;
    if (!shipped) {
        fprintf(stderr, "  (the bundle has no default.cnm yet: checking that it runs without a model)\n");
        expect[0] = 0;
    }
    dut *d = dut_new(h, 1);
    CHECK(d != NULL);
    if (!d) return;
    in_event ev[16];
    ev[0] = msg_ev(0, IN_GET, NULL);
    int n = 1 + phrase(ev + 1, 100, FPB(120));
    script(d, ev, n);
    run_until(d, (uint64_t)(8 * FPB(120)), (const uint32_t[]){ 256 }, 1);
    CHECKF(d->n_notified > 0 && !strcmp(d->notified_path, expect), "default model '%s', expected '%s'",
           d->notified_path, expect);
    if (shipped) CHECK(count_ons(d, 0, 0, NULL) > 4);   /* it answered with the shipped model */
    else CHECK(count_ons(d, 0, 0, NULL) == 4);         /* without one, only the call passes through */
    CHECK(held_at(d, 0, d->frame) == 0);
    CHECK(stream_ok(d));
    dut_free(d);
}

/* ---------------------------------------------------------------- the inline display */

#include "lv2_harness_display.c"

/* ---------------------------------------------------------------- guard and bench */

#ifdef CN_HARNESS_GUARD
static void *(*volatile guard_probe_malloc)(size_t) = malloc;

/* The guard itself must see a malloc, or its silence proves nothing. */
static void test_guard_sees_malloc(host *h) {
    long before = cn_guard_hits;
    GUARD_ON();
    void *p = guard_probe_malloc(16);
    GUARD_OFF();
    free(p);
    CHECK(cn_guard_hits == before + 1);
    /* and from inside a shared library, as the plugin's calls would be */
    GUARD_ON();
    LilvNode *node = lilv_new_string(h->world, "guard");
    GUARD_OFF();
    lilv_node_free(node);
    CHECK(cn_guard_hits >= before + 2);
    cn_guard_hits = before;
}

/* Everything run() and work_response() meet in a session: odd blocks, answers, a model
 * change, patch:Get, transport stop, deactivate, with the inline display offered and drawn
 * between cycles: no allocation, lock or file I/O. */
static void test_guard_run(host *h) {
    cn_guard_hits = 0;
    long draws = h->queue_draws;
    dut *d = dut_new_with(h, 1, h->features_disp);
    CHECK(d != NULL);
    if (!d) return;
    d->render_w = 160; d->render_h = 80;
    d->controls[CN_PORT_MODE] = 1; d->controls[CN_PORT_SEED] = 5;
    double fpb = FPB(120);
    in_event ev[40];
    int n = 0;
    ev[n++] = pos_ev(0, 120, 1, 0);
    n += phrase(ev + n, 100, fpb);
    ev[n++] = msg_ev((uint64_t)(3 * fpb), IN_SET_PATH, h->model_b);
    ev[n++] = msg_ev((uint64_t)(3 * fpb) + 10, IN_GET, NULL);
    n += phrase(ev + n, (uint64_t)(6 * fpb), fpb);
    ev[n++] = pos_ev((uint64_t)(10 * fpb), 120, 0, 10);
    ev[n++] = midi_ev((uint64_t)(11 * fpb), 0xB0, 120, 0);
    script(d, ev, n);
    run_until(d, (uint64_t)(12 * fpb), ODD_SIZES, N_ODD);
    d->controls[CN_PORT_MODE] = 2;
    run_until(d, (uint64_t)(16 * fpb), ODD_SIZES, N_ODD);
    lilv_instance_deactivate(d->inst);
    lilv_instance_activate(d->inst);
    run_until(d, (uint64_t)(17 * fpb), ODD_SIZES, N_ODD);
    CHECKF(cn_guard_hits == 0, "run() called %s (%ld calls)", cn_guard_what ? (const char *)cn_guard_what : "?", cn_guard_hits);
    CHECK(count_ons(d, 0, 0, NULL) > 8);   /* it did play: the guard watched real work */
    CHECK(h->queue_draws > draws);         /* and the display was on */
    CHECK(!strcmp(d->notified_path, h->model_b));
    CHECK(stream_ok(d));
    dut_free(d);
}
#endif

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* 64-frame blocks at 48 kHz, 120 bpm, continuous mode, a note every beat; times run() only
 * (the worker's share runs between the blocks, as on its own thread). With the inline display
 * (`display`), its redraw requests are rendered between blocks as a GUI thread would, and the
 * figures are named plugin.display_*. */
static int bench(host *h, int display) {
    const uint32_t block = 64;
    const int n_blocks = 45000;   /* 60 s of audio */
    const char *name = display ? "plugin.display_" : "plugin.";
    long draws = h->queue_draws, renders = 0;
    dut *d = dut_new_with(h, 1, display ? h->features_disp : h->features);
    if (!d) return 1;
    d->controls[CN_PORT_MODE] = 2; d->controls[CN_PORT_SEED] = 1;
    double fpb = FPB(120);
    int n_beats = (int)(n_blocks * block / fpb) + 1;
    in_event *ev = calloc((size_t)n_beats * 2, sizeof *ev);
    int n = 0;
    for (int b = 0; b < n_beats; b++) {
        ev[n++] = midi_ev((uint64_t)(b * fpb), 0x90, (uint8_t)(60 + (b * 5) % 12), 90);
        ev[n++] = midi_ev((uint64_t)((b + 0.5) * fpb), 0x80, (uint8_t)(60 + (b * 5) % 12), 0);
    }
    script(d, ev, n);
    double *us = calloc((size_t)n_blocks, sizeof *us), *snap_us = calloc((size_t)n_blocks, sizeof *snap_us);
    LV2_Handle handle = lilv_instance_get_handle(d->inst);
    for (int i = 0; i < n_blocks; i++) {
        forge_input(d, block);
        LV2_Atom *out = (LV2_Atom *)d->out_buf, *notify = (LV2_Atom *)d->notify_buf;
        out->type = h->atom_Chunk; out->size = OUT_CAP - sizeof(LV2_Atom);
        notify->type = h->atom_Chunk; notify->size = OUT_CAP - sizeof(LV2_Atom);
        h->worker = (const LV2_Worker_Interface *)lilv_instance_get_extension_data(d->inst, LV2_WORKER__interface);
        h->n_requests = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        lilv_instance_run(d->inst, block);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        us[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
        collect_output(d, block);
        d->frame += block;
        h->n_replies = 0;
        for (int k = 0; k < h->n_requests; k++) h->worker->work(handle, respond, h, h->requests[k].size, h->requests[k].data);
        for (int k = 0; k < h->n_replies; k++) h->worker->work_response(handle, h->replies[k].size, h->replies[k].data);
        if (h->queue_draws != draws) {   /* this run() took a snapshot */
            snap_us[renders++] = us[i];
            draws = h->queue_draws;
            render(d, 160, 80);
        }
    }
    int played = count_ons(d, 0, 0, NULL);
    qsort(us, (size_t)n_blocks, sizeof *us, cmp_double);
    double p99 = us[(size_t)(0.99 * (n_blocks - 1))], max = us[n_blocks - 1];
    double block_us = block / RATE * 1e6;
    printf("%srun_us_p99: %.2f us\n", name, p99);
    printf("%srun_us_max: %.2f us\n", name, max);
    printf("%sdsp_load_pct: %.3f %%\n", name, 100.0 * p99 / block_us);
    if (display && renders > 0) {
        qsort(snap_us, (size_t)renders, sizeof *snap_us, cmp_double);
        printf("plugin.display_redraws_per_s: %.2f 1/s\n", renders / (n_blocks * block / RATE));
        printf("plugin.display_snapshot_run_us_p50: %.2f us\n", snap_us[renders / 2]);
        printf("plugin.display_snapshot_run_us_p99: %.2f us\n", snap_us[(size_t)(0.99 * (double)(renders - 1))]);
    }
    fprintf(stderr, "lv2 bench: %d blocks of %u frames, %d note-ons out, block time %.1f us\n", n_blocks, block,
            played, block_us);
    free(us);
    free(snap_us);
    free(ev);
    dut_free(d);
    return played > 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "--test";
    if (!strcmp(mode, "--make-model"))   /* the small test model, for the tests of real hosts */
        return argc < 3 ? 2 : write_test_model(argv[2], 1) != 0;
    if (!strcmp(mode, "--png") && argc < 3) return 2;
    host h;
    if (host_init(&h) != 0) { host_free(&h); printf("0 passed, 1 failed\n"); return 1; }
    if (make_models(&h) != 0) { host_free(&h); printf("0 passed, 1 failed\n"); return 1; }
    /* the default-model test sees the environment a user's host would; every other test
     * gets the small test model through $CONTINUO_MODEL */
    if (!strcmp(mode, "--test")) RUN_WITH(test_default_model, &h);
    setenv("CONTINUO_MODEL", h.model_a, 1);
    int rc;
    if (!strcmp(mode, "--bench") || !strcmp(mode, "--png")) {
        const char *real = getenv("CONTINUO_BENCH_MODEL");
        if (real && *real) setenv("CONTINUO_MODEL", real, 1);
        rc = !strcmp(mode, "--png") ? display_png(&h, argv[2]) : bench(&h, 0) || bench(&h, 1);
    } else if (!strcmp(mode, "--guard")) {
#ifdef CN_HARNESS_GUARD
        RUN_WITH(test_guard_sees_malloc, &h);
        RUN_WITH(test_guard_run, &h);
        rc = test_summary();
#else
        fprintf(stderr, "lv2-harness: --guard needs the build with tests/hosts/malloc_guard.c (build/lv2-rt)\n");
        printf("0 passed, 1 failed\n");
        rc = 1;
#endif
    } else {
        RUN_WITH(test_unconnected, &h);
        RUN_WITH(test_answer_after_silence, &h);
        RUN_WITH(test_interrupt_and_panics, &h);
        RUN_WITH(test_host_tempo, &h);
        RUN_WITH(test_host_jitter, &h);
        RUN_WITH(test_deactivate, &h);
        RUN_WITH(test_flood_of_notes, &h);
        RUN_WITH(test_thru_passes_only_valid_midi, &h);
        RUN_WITH(test_model_parameter, &h);
        RUN_WITH(test_state_round_trip, &h);
        RUN_WITH(test_presets, &h);
        RUN_WITH(test_ports_match_the_control_table, &h);
        RUN_WITH(test_display_declared, &h);
        RUN_WITH(test_display_call_rows, &h);
        RUN_WITH(test_display_sizes, &h);
        RUN_WITH(test_display_status, &h);
        RUN_WITH(test_display_redraws, &h);
        RUN_WITH(test_display_continuous, &h);
        RUN_WITH(test_display_optional, &h);
        rc = test_summary();
    }
    host_free(&h);
    return rc;
}
