/* display.h: continuo's inline display (lv2_inline_display.h): a small piano roll of the last
 * call and its answer for the host's mixer strip. Two threads meet here:
 *   audio thread  cn_display_run, from run(): takes the engine's view (cn_jam_get_view) into a
 *                 triple buffer when the picture changed, and asks the host to redraw, at most
 *                 CN_DISPLAY_MAX_HZ times a second of audio (counted in frames). No allocation,
 *                 no lock, never waits.
 *   GUI thread    cn_display_render, from the extension's render(): takes the newest snapshot
 *                 (never waiting for run()), allocates the pixels when the size changes and
 *                 draws with cairo (display_draw.c).
 * A host without the #queue_draw feature gets no snapshots and no requests: run() does what
 * it did before the display existed. */
#ifndef CONTINUO_DISPLAY_H
#define CONTINUO_DISPLAY_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "jam.h"
#include "lv2_inline_display.h"

#define CN_DISPLAY_MAX_HZ      10    /* redraw requests a second of audio, at most */
#define CN_DISPLAY_PLAYHEAD_HZ 4     /* while something is ahead of the playhead, it moves this often */
#define CN_DISPLAY_GUARD       64    /* bytes of CN_DISPLAY_SENTINEL before and after the pixels,
                                        so a test can see that nothing is drawn outside them */
#define CN_DISPLAY_SENTINEL    0xA5
/* The colours (0xRRGGBB) that say what a pixel is: the tests look for them. */
#define CN_DISPLAY_CALL_RGB    0x4aa3ffu   /* the call's notes */
#define CN_DISPLAY_ANSWER_RGB  0xff9f1au   /* the answer's notes played (scheduled ones are fainter) */
#define CN_DISPLAY_TEXT_RGB    0xb8bdc7u   /* mode, key, "no model" */
#define CN_DISPLAY_FAILED_RGB  0xff4d4du   /* "load failed" */

/* What the picture says besides the notes. */
typedef enum { CN_DISPLAY_OK = 0, CN_DISPLAY_NO_MODEL, CN_DISPLAY_LOAD_FAILED } cn_display_status;

typedef struct {
    cn_jam_view view;
    int status;                    /* cn_display_status */
    uint32_t seq;                  /* snapshots taken so far, this one included */
} cn_display_snap;

typedef struct {
    const LV2_Inline_Display *host;  /* the host's queue_draw, NULL: no display */
    /* the triple buffer: the audio thread fills buf[back] and swaps it with the middle one;
     * the GUI thread swaps the middle one, when fresh, with buf[front] */
    cn_display_snap buf[3];
    _Atomic unsigned mid;            /* index of the middle buffer, | CN_DISPLAY_FRESH when new */
    unsigned back, front;
    /* audio thread only */
    uint32_t seen_changes;           /* the engine's view count at the last snapshot */
    int seen_status;
    int ahead;                       /* the last snapshot had notes or an answer still to come */
    uint32_t seq;
    double since;                    /* frames since the last snapshot */
    double min_gap, playhead_gap;    /* frames between snapshots: on a change, for the playhead */
    /* GUI thread only */
    unsigned char *mem;              /* guard, pixels, guard */
    LV2_Inline_Display_Image_Surface surf;
} cn_display;

/* Instantiate: host may be NULL (no display). Allocates nothing. */
void cn_display_init(cn_display *d, const LV2_Inline_Display *host, double rate);
void cn_display_free(cn_display *d);   /* cleanup */
/* Audio thread: after the engine ran a block of n_frames. */
void cn_display_run(cn_display *d, cn_jam *j, int status, uint32_t n_frames);
/* GUI thread: the picture, at most w x max_h; NULL for a zero size or no memory. */
LV2_Inline_Display_Image_Surface *cn_display_render(cn_display *d, uint32_t w, uint32_t max_h);
/* GUI thread (display_draw.c): draw a snapshot on an ARGB32 image of w x h at data. */
void cn_display_draw(const cn_display_snap *s, unsigned char *data, int w, int h, int stride);
/* The height the picture takes for a width and the host's limit (at least 1). */
int cn_display_height(uint32_t w, uint32_t max_h);
#endif
