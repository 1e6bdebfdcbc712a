/* hostclock.h: the host's transport as the engine follows it. Every front end reports only
 * what its host says, in the host's own terms (LV2 time:Position fields, JACK's BBT and frame);
 * this clock turns those reports into one steady beat position, tempo and rolling state, and
 * tells a real relocation from the jitter of a host whose position is rounded (JACK's integer
 * BBT tick) or drifts a little from its stated tempo (a tick added per cycle, truncated).
 *   jitter      differences between a report and the clock's own extrapolation within the
 *               host's rounding (its resolution, or a couple of frames) are slewed in (a
 *               first-order filter), so the engine sees no tiny relocations;
 *   drift       larger ones, up to the jitter window, while the frame runs on (a timebase
 *               master whose BBT lags frames x tempo, or stands for a cycle, on a loaded
 *               machine) are taken as the host says: the host's beat is where its other
 *               clients play, so the notes land on its grid (a filter would lag a drift);
 *   relocation  the host's transport frame jumps back, or far on (locate, loop), or, for a host that gives no
 *               frame, the beat moves by more than the jitter window: what was scheduled is wrong;
 *   lost cycles the host's frame counter ran on further than the frames the engine ran
 *               (an xrun on a loaded machine): the clock runs on by as much first;
 *   re-anchor   the beat jumps while the frame runs on (a timebase master that recomputes its
 *               whole timeline on a tempo change): the beat is taken as is, nothing is cancelled.
 * Real-time safe: plain arithmetic on a struct the caller owns. */
#ifndef CONTINUO_HOSTCLOCK_H
#define CONTINUO_HOSTCLOCK_H

/* One report of the host, at the first frame of a segment. Fields a host did not give are
 * left at their "not given" values (cn_host_pos_none). */
typedef struct {
    int    has_frame;      /* the transport frame below is given (JACK pos.frame, LV2 time:frame) */
    double frame;
    int    has_beat;       /* beats since the song's start (LV2 time:beat) */
    double beat;
    int    has_bar_beat;   /* the beat within the bar, fractional (LV2 time:barBeat; JACK beat-1 + tick/ticks_per_beat) */
    double bar_beat;
    int    has_bar;        /* the bar, counted from 0 (LV2 time:bar; JACK bar-1) */
    double bar;
    double resolution;     /* beats: the step the host rounds its position to (JACK 1/ticks_per_beat); 0 exact */
    double bpm;            /* 0: not given */
    double beats_per_bar;  /* 0: not given */
    int    has_speed;      /* transport speed: 0 stopped, 1 rolling (LV2 time:speed; JACK rolling) */
    double speed;
} cn_host_pos;

/* What a report changed, a bit set. */
enum {
    CN_HC_RELOCATED  = 1,  /* a real jump of the position while rolling: cancel what is scheduled */
    CN_HC_STOPPED    = 2,  /* the transport stopped */
    CN_HC_STARTED    = 4,  /* the transport started rolling */
    CN_HC_REANCHORED = 8   /* the beat jumped, the frame did not: follow it, cancel nothing */
};

#define CN_HC_JITTER_BEATS 0.05  /* without a frame, beat differences below this are jitter */
#define CN_HC_FRAME_SLOP   2.0   /* frames a transport frame may differ from the count unnoticed */
#define CN_HC_LOST_SECONDS 0.5   /* a transport frame this far ahead of the count is lost cycles */
#define CN_HC_GAIN         0.125 /* share of a jitter-sized difference taken in per report */

typedef struct {
    int    valid;          /* a beat position has been reported */
    double beat;           /* the host beat at the current frame (the clock's estimate) */
    double bpm;            /* 0 until the host gives one */
    double beats_per_bar;  /* 4 until the host gives one */
    int    rolling;        /* 1 until the host says otherwise */
    int    has_frame;      /* frame below tracks the host's transport frame */
    double frame;
    double resolution;
    double sample_rate;    /* of the last advance */
} cn_hostclock;

cn_host_pos cn_host_pos_none(void);
void cn_hostclock_init(cn_hostclock *c);
/* Take a report at the current frame; returns the CN_HC_* bits it caused. */
int  cn_hostclock_report(cn_hostclock *c, const cn_host_pos *p);
/* The clock runs on by frames at sample_rate (rolling: the beat at the host's tempo). */
void cn_hostclock_advance(cn_hostclock *c, double frames, double sample_rate);
#endif
