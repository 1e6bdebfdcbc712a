/* uris.h: the URIs the continuo LV2 plugin speaks (its own, atom, MIDI, patch, time),
 * mapped once to URIDs when the plugin is instantiated, and the port indices that
 * ttl/continuo.ttl declares. Kept in one place so the C and the Turtle agree. */
#ifndef CONTINUO_LV2_URIS_H
#define CONTINUO_LV2_URIS_H
#include <lv2/atom/atom.h>
#include <lv2/midi/midi.h>
#include <lv2/patch/patch.h>
#include <lv2/state/state.h>
#include <lv2/time/time.h>
#include <lv2/urid/urid.h>

#define CN_LV2_URI        "urn:continuo:continuo"
#define CN_LV2_MODEL_URI  "urn:continuo:model"   /* the patch:writable model file (atom:Path) */
#define CN_LV2_NOTICE_URI "urn:continuo:notice"  /* messages on the notify port (atom:String) */

/* Port indices, in the order of ttl/continuo.ttl. */
typedef enum {
    CN_PORT_IN = 0,          /* atom: MIDI, time:Position, patch:Set/Get */
    CN_PORT_OUT,             /* atom: MIDI */
    CN_PORT_NOTIFY,          /* atom: patch:Set replies (the model path) */
    CN_PORT_MODE,
    CN_PORT_TEMPERATURE,
    CN_PORT_TOP_P,
    CN_PORT_SILENCE_BEATS,
    CN_PORT_RESPONSE_BEATS,
    CN_PORT_CHANNEL_IN,
    CN_PORT_CHANNEL_OUT,
    CN_PORT_THRU,
    CN_PORT_QUANTIZE,
    CN_PORT_SEED,
    CN_PORT_BPM,
    CN_PORT_LATENCY,         /* control output */
    CN_PORT_KEY,             /* added after the latency port, so older sessions keep their indices */
    CN_PORT_DENSITY,
    CN_PORT_MAX_RUN,
    CN_PORT_REGENERATE,      /* a trigger */
    CN_PORT_COUNT
} cn_lv2_port;

typedef struct {
    LV2_URID atom_Blank, atom_Object, atom_Path, atom_Sequence, atom_URID;
    LV2_URID atom_Float, atom_Double, atom_Int, atom_Long, atom_String, atom_eventTransfer;
    LV2_URID midi_Event;
    LV2_URID patch_Get, patch_Set, patch_property, patch_value;
    LV2_URID time_Position, time_bar, time_barBeat, time_beat, time_beatsPerBar,
             time_beatsPerMinute, time_speed, time_frame;
    LV2_URID cn_model, cn_notice;
} cn_lv2_uris;

static inline void cn_lv2_map_uris(LV2_URID_Map *map, cn_lv2_uris *u) {
    u->atom_Blank         = map->map(map->handle, LV2_ATOM__Blank);
    u->atom_Object        = map->map(map->handle, LV2_ATOM__Object);
    u->atom_Path          = map->map(map->handle, LV2_ATOM__Path);
    u->atom_Sequence      = map->map(map->handle, LV2_ATOM__Sequence);
    u->atom_URID          = map->map(map->handle, LV2_ATOM__URID);
    u->atom_Float         = map->map(map->handle, LV2_ATOM__Float);
    u->atom_Double        = map->map(map->handle, LV2_ATOM__Double);
    u->atom_Int           = map->map(map->handle, LV2_ATOM__Int);
    u->atom_Long          = map->map(map->handle, LV2_ATOM__Long);
    u->atom_String        = map->map(map->handle, LV2_ATOM__String);
    u->atom_eventTransfer = map->map(map->handle, LV2_ATOM__eventTransfer);
    u->midi_Event         = map->map(map->handle, LV2_MIDI__MidiEvent);
    u->patch_Get          = map->map(map->handle, LV2_PATCH__Get);
    u->patch_Set          = map->map(map->handle, LV2_PATCH__Set);
    u->patch_property     = map->map(map->handle, LV2_PATCH__property);
    u->patch_value        = map->map(map->handle, LV2_PATCH__value);
    u->time_Position      = map->map(map->handle, LV2_TIME__Position);
    u->time_bar           = map->map(map->handle, LV2_TIME__bar);
    u->time_barBeat       = map->map(map->handle, LV2_TIME__barBeat);
    u->time_beat          = map->map(map->handle, LV2_TIME__beat);
    u->time_beatsPerBar   = map->map(map->handle, LV2_TIME__beatsPerBar);
    u->time_beatsPerMinute = map->map(map->handle, LV2_TIME__beatsPerMinute);
    u->time_speed         = map->map(map->handle, LV2_TIME__speed);
    u->time_frame         = map->map(map->handle, LV2_TIME__frame);
    u->cn_model           = map->map(map->handle, CN_LV2_MODEL_URI);
    u->cn_notice          = map->map(map->handle, CN_LV2_NOTICE_URI);
}
#endif
