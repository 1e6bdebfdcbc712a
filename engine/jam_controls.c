/* jam_controls.c: the table of the live engine's controls (see jam_controls.h), and the
 * defaults and clamping it gives the engine. The LV2 port indices are those of plugin/uris.h;
 * key, density, max_run and regenerate came after the latency output (14), so that older
 * sessions keep their indices. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "jam_controls.h"

static const char *const MODE_WORDS[] = { "off", "call", "continuous" };
static const char *const MODE_LABELS[] = { "Off (pass-through)", "Call and response", "Continuous" };
static const char *const QUANT_WORDS[] = { "off", "beat", "bar" };
static const char *const QUANT_LABELS[] = { "Any time", "The beat", "The bar" };
static const char *const CHANNEL_WORDS[] = { "any", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
                                             "13", "14", "15", "16" };
static const char *const CHANNEL_LABELS[] = { "Any", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
                                              "13", "14", "15", "16" };
static const char *const KEY_WORDS[] = { "off", "call", "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B",
    "Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "Abm", "Am", "Bbm", "Bm" };
static const char *const KEY_LABELS[] = { "Off", "From the call", "C major", "C# major", "D major", "Eb major",
    "E major", "F major", "F# major", "G major", "Ab major", "A major", "Bb major", "B major", "C minor", "C# minor",
    "D minor", "Eb minor", "E minor", "F minor", "F# minor", "G minor", "Ab minor", "A minor", "Bb minor", "B minor" };

_Static_assert(sizeof(int) == sizeof(int32_t), "cn_jam_params's int fields are read as int32_t");

#define F(name) offsetof(cn_jam_params, name)
const cn_jam_control cn_jam_controls[] = {
    { "mode", 3, "mode", "Mode", "Off passes notes through; call and response answers each phrase; continuous plays along.",
      CN_CT_ENUM, 0, 2, CN_MODE_CALL_RESPONSE, NULL, MODE_WORDS, MODE_LABELS, CN_CT_I32, F(mode) },
    { "temperature", 4, "temperature", "Temperature", "How adventurous the sampling is: 0 always takes the likeliest.",
      CN_CT_FLOAT, 0, 2, 1.0, NULL, NULL, NULL, CN_CT_F32, F(temperature) },
    { "top_p", 5, "top-p", "Top p", "Nucleus sampling: only the likeliest tokens that make up this much probability.",
      CN_CT_FLOAT, 0, 1, 0.95, NULL, NULL, NULL, CN_CT_F32, F(top_p) },
    { "silence_beats", 6, "silence-beats", "Silence before answering", "Call and response: the silence that ends a call.",
      CN_CT_FLOAT, 0.25, 16, 1.0, "beat", NULL, NULL, CN_CT_F32, F(silence_beats) },
    { "response_beats", 7, "response-beats", "Longest answer", "The longest answer; an answer is as long as the call.",
      CN_CT_FLOAT, 1, 64, 8.0, "beat", NULL, NULL, CN_CT_F32, F(response_beats) },
    { "channel_in", 8, "channel-in", "Input channel", "The channel whose notes it listens to: any, or one of 1 to 16.",
      CN_CT_ENUM, 0, 16, 0, NULL, CHANNEL_WORDS, CHANNEL_LABELS, CN_CT_I32, F(channel_in) },
    { "channel_out", 9, "channel-out", "Output channel", "The channel it plays on.",
      CN_CT_INT, 1, 16, 1, NULL, NULL, NULL, CN_CT_I32, F(channel_out) },
    { "thru", 10, "thru", "Pass my notes through", "Your own notes pass through to the output.",
      CN_CT_TOGGLE, 0, 1, 1, NULL, NULL, NULL, CN_CT_I32, F(thru) },
    { "quantize", 11, "quantize", "Answers start on", "Where answers start: any time, the next beat or the next bar.",
      CN_CT_ENUM, 0, 2, CN_QUANT_OFF, NULL, QUANT_WORDS, QUANT_LABELS, CN_CT_I32, F(quantize) },
    /* 2^24: a float control port holds every whole number up to it exactly */
    { "seed", 12, "rng", "Random seed (0 = random)", "The sampling's random seed; 0 = a fresh one.",
      CN_CT_INT, 0, 16777215, 0, NULL, NULL, NULL, CN_CT_U32, F(seed) },
    { "bpm", 13, "bpm", "Tempo without host transport", "Its own tempo, used when the host gives none.",
      CN_CT_FLOAT, 20, 300, 120.0, "bpm", NULL, NULL, CN_CT_F32, F(bpm) },
    { "key", 15, "key", "Key", "The key the model is asked to play in: off, the call's own, or a fixed one "
      "(a model without key conditioning ignores it).",
      CN_CT_ENUM, 0, 25, 0, NULL, KEY_WORDS, KEY_LABELS, CN_CT_I32, F(key) },
    { "density", 16, "density", "Density", "Notes per beat the model is asked for; 0 = as dense as the call "
      "(a model without density conditioning ignores it).",
      CN_CT_FLOAT, 0, 8, 0.0, NULL, NULL, NULL, CN_CT_F32, F(density) },
    { "max_run", 17, "max-run", "Repetition guard", "No token, and no chord, more than this many times in a row (0 = off).",
      CN_CT_INT, 0, 16, 4, NULL, NULL, NULL, CN_CT_I32, F(max_run) },
    { "regenerate", 18, NULL, "Answer again", "Answers the last call again, with fresh randomness.",
      CN_CT_TRIGGER, 0, 1, 0, NULL, NULL, NULL, CN_CT_U32, F(regenerate) },
};
#undef F
const int cn_jam_n_controls = (int)(sizeof cn_jam_controls / sizeof cn_jam_controls[0]);

const cn_jam_control *cn_jam_control_find(const char *symbol) {
    for (int i = 0; i < cn_jam_n_controls; i++)
        if (strcmp(cn_jam_controls[i].symbol, symbol) == 0) return &cn_jam_controls[i];
    return NULL;
}

double cn_jam_control_get(const cn_jam_params *p, const cn_jam_control *c) {
    const char *b = (const char *)p + c->offset;
    float f; int32_t i; uint32_t u;
    switch (c->field) {
    case CN_CT_F32: memcpy(&f, b, sizeof f); return f;
    case CN_CT_I32: memcpy(&i, b, sizeof i); return i;
    case CN_CT_U32: memcpy(&u, b, sizeof u); return u;
    }
    return 0;
}

static void put(cn_jam_params *p, const cn_jam_control *c, double v) {
    char *b = (char *)p + c->offset;
    float f = (float)v; int32_t i = (int32_t)v; uint32_t u = (uint32_t)v;
    switch (c->field) {
    case CN_CT_F32: memcpy(b, &f, sizeof f); break;
    case CN_CT_I32: memcpy(b, &i, sizeof i); break;
    case CN_CT_U32: memcpy(b, &u, sizeof u); break;
    }
}

void cn_jam_control_set(cn_jam_params *p, const cn_jam_control *c, double v) {
    if (c->kind == CN_CT_TRIGGER) { put(p, c, v >= 0 && v <= 4294967295.0 ? v : 0); return; }
    if (isnan(v)) v = c->def;
    if (c->kind == CN_CT_TOGGLE) v = v != 0;
    if (v < c->min) v = c->min;
    if (v > c->max) v = c->max;
    if (c->kind != CN_CT_FLOAT) v = floor(v + 0.5);
    put(p, c, v);
}

const char *cn_jam_control_word(const cn_jam_control *c, int v) {
    if (c->kind != CN_CT_ENUM || !c->words || v < c->min || v > c->max) return NULL;
    return c->words[v - (int)c->min];
}

/* ---- what the table gives the engine ---- */

void cn_jam_params_default(cn_jam_params *p) {
    memset(p, 0, sizeof *p);
    for (int i = 0; i < cn_jam_n_controls; i++) put(p, &cn_jam_controls[i], cn_jam_controls[i].def);
}

void cn_jam_params_clamp(cn_jam_params *p) {
    for (int i = 0; i < cn_jam_n_controls; i++) {
        const cn_jam_control *c = &cn_jam_controls[i];
        cn_jam_control_set(p, c, cn_jam_control_get(p, c));
    }
}
