/* lv2_inline_display.h: the inline-display extension (http://harrisonconsoles.com/lv2/inlinedisplay)
 * as its public description gives it, written here for continuo: a host that supports it
 * (Ardour, Mixbus) shows a small picture of the plugin in its mixer strip.
 *   - The host passes the feature #queue_draw; run() may call queue_draw(handle) to ask for a
 *     new picture later.
 *   - The plugin gives the interface #interface through extension_data; the host calls
 *     render(instance, w, max_h) from a non-real-time thread (its GUI thread) and receives an
 *     image of at most w x max_h pixels, ARGB32 (cairo's CAIRO_FORMAT_ARGB32, premultiplied),
 *     rows `stride` bytes apart, or NULL. The pixels belong to the plugin and stay valid until
 *     the next render() or cleanup().
 *   - #in_gui: a feature a host passes when it renders the display in the plugin's GUI. */
#ifndef CONTINUO_LV2_INLINE_DISPLAY_H
#define CONTINUO_LV2_INLINE_DISPLAY_H
#include <stdint.h>
#include <lv2/core/lv2.h>

#define CN_INLINEDISPLAY_URI         "http://harrisonconsoles.com/lv2/inlinedisplay"
#define CN_INLINEDISPLAY__interface  CN_INLINEDISPLAY_URI "#interface"
#define CN_INLINEDISPLAY__queue_draw CN_INLINEDISPLAY_URI "#queue_draw"
#define CN_INLINEDISPLAY__in_gui     CN_INLINEDISPLAY_URI "#in_gui"

/* The picture render() returns. */
typedef struct {
    unsigned char *data;   /* ARGB32 pixels, owned by the plugin */
    int width;
    int height;
    int stride;            /* bytes from one row to the next */
} LV2_Inline_Display_Image_Surface;

/* The host's feature (#queue_draw). */
typedef void *LV2_Inline_Display_Handle;
typedef struct {
    LV2_Inline_Display_Handle handle;
    void (*queue_draw)(LV2_Inline_Display_Handle handle);   /* called from run() */
} LV2_Inline_Display;

/* The plugin's interface (#interface). */
typedef struct {
    LV2_Inline_Display_Image_Surface *(*render)(LV2_Handle instance, uint32_t w, uint32_t max_h);
} LV2_Inline_Display_Interface;
#endif
