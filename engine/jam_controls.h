/* jam_controls.h: the live engine's controls, each defined once. One table row a control:
 * its LV2 symbol and port index, its command-line flag, label, one-line comment, range,
 * default, unit and enumeration, and the cn_jam_params field it sets. From it come:
 *   - the engine's defaults and clamping (cn_jam_params_default, cn_jam_params_clamp);
 *   - the LV2 plugin's control ports in ttl/continuo.ttl (build/continuo-ttl-ports prints
 *     them) and the plugin's reading of those ports;
 *   - the flags of continuo-jack and continuo-live, their parsing and their --help.
 * So a range, a default or a word is changed in one place and every front end follows. */
#ifndef CONTINUO_JAM_CONTROLS_H
#define CONTINUO_JAM_CONTROLS_H
#include <stddef.h>
#include "jam.h"

typedef enum {
    CN_CT_FLOAT,     /* any value in [min, max] */
    CN_CT_INT,       /* whole numbers in [min, max] */
    CN_CT_ENUM,      /* whole numbers in [min, max], each with a word and a label */
    CN_CT_TOGGLE,    /* 0 or 1 */
    CN_CT_TRIGGER    /* a momentary button: each rising edge counts one (regenerate) */
} cn_ct_kind;

typedef enum { CN_CT_F32, CN_CT_I32, CN_CT_U32 } cn_ct_field;

typedef struct {
    const char *symbol;          /* LV2 symbol, e.g. "top_p" */
    int port;                    /* LV2 port index (plugin/uris.h) */
    const char *flag;            /* command-line flag without "--" ("top-p"); NULL = none */
    const char *label;           /* LV2 name */
    const char *comment;         /* one line: rdfs:comment and --help */
    cn_ct_kind kind;
    double min, max, def;
    const char *unit;            /* LV2 units: "beat", "bpm"; NULL = none */
    const char *const *words;    /* CN_CT_ENUM: command-line words by value (NULL: numbers) */
    const char *const *labels;   /* CN_CT_ENUM: scale-point labels by value */
    cn_ct_field field;           /* the type of the cn_jam_params field */
    size_t offset;               /* offsetof(cn_jam_params, field) */
} cn_jam_control;

extern const cn_jam_control cn_jam_controls[];
extern const int cn_jam_n_controls;

/* The row with this LV2 symbol, or NULL. */
const cn_jam_control *cn_jam_control_find(const char *symbol);
/* The field's value, as a double. RT-safe. */
double cn_jam_control_get(const cn_jam_params *p, const cn_jam_control *c);
/* Set the field from v, clamped into range and rounded for whole-number kinds; a NaN sets
 * the default. RT-safe. A trigger's field is a counter and is set as given. */
void cn_jam_control_set(cn_jam_params *p, const cn_jam_control *c, double v);
/* The scale-point words the command line takes for value v of an enumeration ("any", "call",
 * "C#m", ...), or NULL when it takes a plain number. */
const char *cn_jam_control_word(const cn_jam_control *c, int v);
#endif
