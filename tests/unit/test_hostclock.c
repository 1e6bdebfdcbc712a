/* test_hostclock.c: the engine's host clock (engine/hostclock.c) on the reports of real kinds
 * of host: jack_transport's integer, slowly drifting BBT ticks (jitter: no relocation, the
 * clock within a few ticks of what the host says); a locate (the frame jumps: relocated);
 * a host without a frame (a beat jump is a relocation, a small difference is not); a tempo
 * change that recomputes the timeline (the beat jumps, the frame runs on: re-anchored); stop
 * and start; a bar-beat without its bar; a timebase master on a loaded machine, whose BBT lags
 * the frames and stands now and then (followed as it is, so notes land on its grid). */
#include "../../engine/hostclock.h"
#include "test.h"

#define SR 48000.0

/* jack_transport's BBT at `tick` ticks (1920 a beat, 4 beats a bar), at frame `frame` */
static cn_host_pos jack_pos(long tick, double frame, double bpm, int rolling) {
    cn_host_pos p = cn_host_pos_none();
    long beats = tick / 1920;
    p.has_bar = 1; p.bar = (double)(beats / 4);
    p.has_bar_beat = 1; p.bar_beat = (double)(beats % 4) + (double)(tick % 1920) / 1920.0;
    p.resolution = 1.0 / 1920; p.bpm = bpm; p.beats_per_bar = 4;
    p.has_frame = 1; p.frame = frame;
    p.has_speed = 1; p.speed = rolling;
    return p;
}

TEST(jack_ticks_are_jitter_not_relocations) {
    static const double tempos[] = { 90, 120, 140 };
    for (int k = 0; k < 3; k++) {
        cn_hostclock c;
        cn_hostclock_init(&c);
        long tick = 0;
        double frame = 0, worst = 0;
        int flags = 0;
        for (int cyc = 0; cyc < 4000; cyc++) {
            cn_host_pos p = jack_pos(tick, frame, tempos[k], 1);
            int f = cn_hostclock_report(&c, &p);
            if (cyc > 0) flags |= f;
            double host = (double)tick / 1920;
            if (cyc > 100 && fabs(c.beat - host) > worst) worst = fabs(c.beat - host);
            cn_hostclock_advance(&c, 256, SR);
            tick += (long)(256 * 1920 * tempos[k] / (SR * 60));   /* truncated, as jack_transport does */
            frame += 256;
        }
        CHECKF(!(flags & (CN_HC_RELOCATED | CN_HC_REANCHORED)), "%g bpm: flags %d", tempos[k], flags);
        CHECKF(worst < 8.0 / 1920, "%g bpm: the clock is %.1f ticks from the host", tempos[k], worst * 1920);
        CHECK(c.rolling && c.bpm == tempos[k]);
    }
}

TEST(locate_is_a_relocation) {
    cn_hostclock c;
    cn_hostclock_init(&c);
    cn_host_pos p = jack_pos(0, 0, 120, 1);
    cn_hostclock_report(&c, &p);
    cn_hostclock_advance(&c, 256, SR);
    p = jack_pos(20, 256, 120, 1);
    CHECK(cn_hostclock_report(&c, &p) == 0);
    cn_hostclock_advance(&c, 256, SR);
    p = jack_pos(1920 * 8, 48000 * 4, 120, 1);   /* locate 4 s on */
    CHECK(cn_hostclock_report(&c, &p) & CN_HC_RELOCATED);
    CHECK_NEAR(c.beat, 8.0, 1e-9);
    /* a locate 0.1 s back (beat and frame agreeing): a relocation */
    cn_hostclock_advance(&c, 256, SR);
    p = jack_pos(1920 * 8 + 20 - 384, 48000 * 4 + 256 - 4800, 120, 1);
    CHECK(cn_hostclock_report(&c, &p) & CN_HC_RELOCATED);
}

/* xruns: cycles lost (the transport frame and the beat ran on further than the engine did) or
 * a cycle run twice (both stood): no relocation */
TEST(lost_cycles_are_no_relocation) {
    cn_hostclock c;
    cn_hostclock_init(&c);
    long tick = 0;
    double frame = 0;
    int flags = 0;
    for (int cyc = 0; cyc < 400; cyc++) {
        cn_host_pos p = jack_pos(tick, frame, 120, 1);
        if (cyc > 0) flags |= cn_hostclock_report(&c, &p);
        else cn_hostclock_report(&c, &p);
        cn_hostclock_advance(&c, 256, SR);
        int lost = cyc % 7 == 3 ? 1 + cyc % 12 : 0;  /* now and then up to 12 cycles never run, */
        if (cyc % 11 == 5) continue;                 /* or one runs twice at the same frame */
        for (int k = 0; k <= lost; k++) { tick += (long)(256 * 1920 * 120 / (SR * 60)); frame += 256; }
    }
    CHECKF(!(flags & (CN_HC_RELOCATED | CN_HC_REANCHORED)), "flags %d", flags);
    CHECK(fabs(c.beat - (double)tick / 1920) < 0.01);
}

/* A timebase master on a loaded machine (seen with jackd's dummy driver under two busy cores):
 * its BBT runs 6% behind frames x tempo and stands still for a cycle now and then, catching up
 * in the next. That is where the host and its other clients are: after each report the clock
 * is on the host's beat within its rounding (a slewing filter lagged it by 0.02 beat, two grid
 * tolerances), and nothing is cancelled. */
TEST(a_lagging_bbt_is_followed) {
    static const double tempos[] = { 90, 140 };
    for (int k = 0; k < 2; k++) {
        cn_hostclock c;
        cn_hostclock_init(&c);
        double frame = 0, host = 0, worst = 0, per_cycle = 256 * tempos[k] / (SR * 60);
        int flags = 0;
        for (int cyc = 0; cyc < 2000; cyc++) {
            long tick = (long)(host * 1920);
            cn_host_pos p = jack_pos(tick, frame, tempos[k], 1);
            int f = cn_hostclock_report(&c, &p);
            if (cyc > 0) flags |= f;
            if (cyc > 0 && fabs(c.beat - tick / 1920.0) > worst) worst = fabs(c.beat - tick / 1920.0);
            cn_hostclock_advance(&c, 256, SR);
            frame += 256;
            if (cyc % 5 != 2) host += 0.94 * per_cycle * (cyc % 5 == 3 ? 2 : 1);   /* stands, then catches up */
        }
        CHECKF(!(flags & CN_HC_RELOCATED), "%g bpm: flags %d", tempos[k], flags);
        CHECKF(worst <= 1.0 / 1920 + 1e-9, "%g bpm: the clock %.4f beat from the host's", tempos[k], worst);
    }
}

TEST(without_a_frame_the_beat_tells) {
    cn_hostclock c;
    cn_hostclock_init(&c);
    cn_host_pos p = cn_host_pos_none();
    p.has_beat = 1; p.beat = 3.0; p.bpm = 100; p.has_speed = 1; p.speed = 1;
    cn_hostclock_report(&c, &p);
    cn_hostclock_advance(&c, 480, SR);              /* 1/60 beat at 100 bpm */
    p.beat = 3.0 + 1.0 / 60 + 0.01;                 /* 0.01 beat of jitter */
    CHECK(cn_hostclock_report(&c, &p) == 0);
    CHECK(c.beat > 3.0 + 1.0 / 60 && c.beat < p.beat);   /* slewed part of the way */
    cn_hostclock_advance(&c, 480, SR);
    p.beat = 7.0;
    CHECK(cn_hostclock_report(&c, &p) & CN_HC_RELOCATED);
    CHECK_NEAR(c.beat, 7.0, 1e-12);
}

TEST(tempo_recompute_reanchors) {
    /* jack_transport's "tempo 90" recomputes BBT from frame 0: the beat jumps, the frame not */
    cn_hostclock c;
    cn_hostclock_init(&c);
    cn_host_pos p = jack_pos(1920 * 10, 48000 * 5, 120, 1);
    cn_hostclock_report(&c, &p);
    cn_hostclock_advance(&c, 256, SR);
    p = jack_pos((long)((48000 * 5 + 256) / 48000.0 / 60 * 90 * 1920), 48000 * 5 + 256, 90, 1);
    int f = cn_hostclock_report(&c, &p);
    CHECK(f & CN_HC_REANCHORED);
    CHECK(!(f & CN_HC_RELOCATED));
    CHECK(c.bpm == 90);
}

TEST(stop_start_and_bar_beat_alone) {
    cn_hostclock c;
    cn_hostclock_init(&c);
    cn_host_pos p = cn_host_pos_none();
    p.has_bar = 1; p.bar = 2; p.has_bar_beat = 1; p.bar_beat = 1.5; p.beats_per_bar = 3; p.bpm = 120;
    p.has_speed = 1; p.speed = 1;
    cn_hostclock_report(&c, &p);
    CHECK_NEAR(c.beat, 7.5, 1e-12);
    p.speed = 0;
    CHECK(cn_hostclock_report(&c, &p) & CN_HC_STOPPED);
    cn_hostclock_advance(&c, 48000, SR);
    CHECK_NEAR(c.beat, 7.5, 1e-12);   /* stopped: the clock stands */
    cn_host_pos q = cn_host_pos_none();
    q.has_bar_beat = 1; q.bar_beat = 0.25; q.has_speed = 1; q.speed = 1;   /* no bar: the bar it is in */
    CHECK(cn_hostclock_report(&c, &q) & CN_HC_STARTED);
    CHECK_NEAR(c.beat, 6.25, 1e-12);
    cn_hostclock_advance(&c, 24000, SR);
    CHECK_NEAR(c.beat, 7.25, 1e-12);   /* half a second at 120 bpm */
}

int main(void) {
    RUN(jack_ticks_are_jitter_not_relocations);
    RUN(locate_is_a_relocation);
    RUN(lost_cycles_are_no_relocation);
    RUN(a_lagging_bbt_is_followed);
    RUN(without_a_frame_the_beat_tells);
    RUN(tempo_recompute_reanchors);
    RUN(stop_start_and_bar_beat_alone);
    return test_summary();
}
