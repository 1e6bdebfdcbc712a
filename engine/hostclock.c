/* hostclock.c: following the host's transport (see hostclock.h): one beat position from the
 * host's reports, jitter slewed in, relocations told apart from jitter and from re-anchoring.
 * Real-time safe. */
#include <math.h>
#include <string.h>
#include "hostclock.h"

cn_host_pos cn_host_pos_none(void) {
    cn_host_pos p;
    memset(&p, 0, sizeof p);
    return p;
}

void cn_hostclock_init(cn_hostclock *c) {
    memset(c, 0, sizeof *c);
    c->beats_per_bar = 4.0;
    c->rolling = 1;
}

static int finite_in(double v, double lo, double hi) { return isfinite(v) && v > lo && v <= hi; }

/* The beat the report names, or NAN when it names none. A bar-beat without its bar is taken
 * in the bar the clock is in. */
static double reported_beat(const cn_hostclock *c, const cn_host_pos *p) {
    if (p->has_beat && isfinite(p->beat)) return p->beat;
    if (!p->has_bar_beat || !isfinite(p->bar_beat)) return NAN;
    double bpb = c->beats_per_bar;
    double bar = p->has_bar && isfinite(p->bar) ? p->bar : floor(c->beat / bpb);
    return bar * bpb + p->bar_beat;
}

/* Beats a report may differ from the clock by its host's rounding alone: the step it rounds
 * to (JACK's tick), at least CN_HC_FRAME_SLOP frames. */
static double rounding(const cn_hostclock *c) {
    double slop = c->bpm > 0 && c->sample_rate > 0 ? CN_HC_FRAME_SLOP * c->bpm / (60.0 * c->sample_rate) : 0;
    return c->resolution > slop ? c->resolution : slop;
}

int cn_hostclock_report(cn_hostclock *c, const cn_host_pos *p) {
    int flags = 0;
    int was_rolling = c->valid && c->rolling;
    if (finite_in(p->bpm, 0, 1000)) c->bpm = p->bpm;
    if (finite_in(p->beats_per_bar, 0, 64)) c->beats_per_bar = p->beats_per_bar;
    if (p->has_speed && isfinite(p->speed)) c->rolling = p->speed > 0;
    c->resolution = isfinite(p->resolution) && p->resolution > 0 && p->resolution < 1 ? p->resolution : 0;
    double h = reported_beat(c, p);
    int frame_known = p->has_frame && isfinite(p->frame);
    if (isfinite(h)) {
        if (!c->valid || !was_rolling || !c->rolling) {
            c->beat = h;   /* stopped or starting: the position is simply where the host says */
        } else {
            double diff = h - c->beat;
            double window = CN_HC_JITTER_BEATS > 4 * c->resolution ? CN_HC_JITTER_BEATS : 4 * c->resolution;
            /* the transport frame off the count, a little back (a cycle run twice) or up to
             * half a second on (cycles lost): xruns, which JACK's dummy driver has by the
             * thousand on a loaded machine; the clock moves by as much. Further back or on,
             * the host relocated. */
            double df = frame_known && c->has_frame ? p->frame - c->frame : 0;
            double fwin = c->bpm > 0 && c->sample_rate > 0 ? CN_HC_JITTER_BEATS * 60.0 * c->sample_rate / c->bpm : 0;
            double ahead = c->sample_rate * CN_HC_LOST_SECONDS > fwin ? c->sample_rate * CN_HC_LOST_SECONDS : fwin;
            int frame_jump = fabs(df) > CN_HC_FRAME_SLOP && (df < -fwin || df > ahead);
            if (!frame_jump && df != 0 && c->bpm > 0 && c->sample_rate > 0) {
                c->beat += df * c->bpm / (60.0 * c->sample_rate);
                diff = h - c->beat;
            }
            int framed = frame_known && c->has_frame;
            if (frame_jump || (!framed && fabs(diff) > window)) {
                c->beat = h;
                flags |= CN_HC_RELOCATED;
            } else if (fabs(diff) > window) {
                c->beat = h;
                flags |= CN_HC_REANCHORED;
            } else if (framed && fabs(diff) > rounding(c)) {
                /* more than the host's rounding, with its frame running on: the host's beat
                 * runs off frames x tempo (a timebase master late on a loaded machine hands
                 * out a stale or lagging BBT). It is where the host is, and where every other
                 * client of it plays: taken as is, so the notes land on its grid. */
                c->beat = h;
            } else {
                c->beat += CN_HC_GAIN * diff;   /* the host's rounding: slewed away */
            }
        }
        c->valid = 1;
    }
    if (frame_known) { c->frame = p->frame; c->has_frame = 1; }
    if (c->valid) {
        if (was_rolling && !c->rolling) flags |= CN_HC_STOPPED;
        if (!was_rolling && c->rolling && isfinite(h)) flags |= CN_HC_STARTED;
    }
    return flags;
}

void cn_hostclock_advance(cn_hostclock *c, double frames, double sample_rate) {
    if (!(frames > 0) || !(sample_rate > 0)) return;
    c->sample_rate = sample_rate;
    if (!c->valid || !c->rolling) return;
    if (c->bpm > 0) c->beat += frames * c->bpm / (60.0 * sample_rate);
    if (c->has_frame) c->frame += frames;
}
