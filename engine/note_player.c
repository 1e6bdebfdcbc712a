/* note_player.c: the note encoding's grammar, clock and onset-group guard (see note_player.h). */
#include "note_player.h"

#define BARRED (-1e30f)

static int64_t slot_at_or_after(int64_t step) {
    if (step <= 0) return 0;
    return (step + CN_NT_SLOT - 1) / CN_NT_SLOT * CN_NT_SLOT;
}

void cn_nt_player_init(cn_nt_player *p, int64_t step) {
    p->step = step < 0 ? 0 : step;
    p->next_slot = slot_at_or_after(p->step);
    p->pending_pitch = -1;
    p->vel_bin = -1;
    p->last_tok = -1;
    p->group[0] = p->group[1] = 0;
    p->prev_group[0] = p->prev_group[1] = 0;
    p->prev_run = 0;
}

void cn_nt_player_jump(cn_nt_player *p, int64_t step) {
    p->step = step < 0 ? 0 : step;
    p->next_slot = slot_at_or_after(p->step);
}

int cn_nt_player_controls_due(const cn_nt_player *p) {
    return p->pending_pitch < 0 && p->step == p->next_slot;
}

static int has(const uint64_t g[2], int pitch) { return (int)((g[pitch >> 6] >> (pitch & 63)) & 1); }

void cn_nt_player_mask(const cn_nt_player *p, float *lg, int max_run, int bar_onsets) {
    for (int t = CN_NT_KEY; t < CN_NT_VOCAB; t++) lg[t] = BARRED;     /* controls are given, never sampled */
    if (p->pending_pitch >= 0) {                                        /* a pitch takes its length next */
        for (int t = 0; t < CN_NT_VOCAB; t++)
            if (t < CN_NT_DUR || t >= CN_NT_SHIFT) lg[t] = BARRED;
        return;
    }
    for (int t = CN_NT_DUR; t < CN_NT_SHIFT; t++) lg[t] = BARRED;
    int64_t room = cn_nt_player_room(p);
    if (__builtin_popcountll(p->group[0]) + __builtin_popcountll(p->group[1]) >= CN_NT_MAX_GROUP) bar_onsets = 1;
    for (int n = 1; n <= CN_NT_MAX_SHIFT; n++)
        if (n > room) lg[CN_NT_SHIFT + n - 1] = BARRED;
    int after_vel = p->last_tok >= CN_NT_VEL && p->last_tok < CN_NT_KEY;
    if (bar_onsets || after_vel)
        for (int b = 0; b < CN_NT_VEL_BINS; b++) lg[CN_NT_VEL + b] = BARRED;
    /* the group so far lies inside the last one, so one pitch may complete a repeat */
    int guard = max_run > 0 && p->prev_run > 0 &&
                (p->group[0] & ~p->prev_group[0]) == 0 && (p->group[1] & ~p->prev_group[1]) == 0;
    for (int q = 0; q < 128; q++) {
        if (bar_onsets || has(p->group, q)) { lg[CN_NT_PITCH + q] = BARRED; continue; }
        if (!guard || !has(p->prev_group, q)) continue;
        uint64_t g0 = p->group[0], g1 = p->group[1];
        if (q < 64) g0 |= 1ull << q; else g1 |= 1ull << (q - 64);
        if (g0 != p->prev_group[0] || g1 != p->prev_group[1]) continue;
        if (p->prev_run >= max_run) lg[CN_NT_PITCH + q] = BARRED;
        else lg[CN_NT_PITCH + q] -= CN_NT_RUN_SOFT * (float)p->prev_run;
    }
    if (bar_onsets && room <= 0) lg[CN_NT_SHIFT] = 0;   /* never leave nothing to choose */
}

/* An onset group ends when time moves: count it against the one before. */
static void close_group(cn_nt_player *p) {
    if ((p->group[0] | p->group[1]) == 0) return;
    if (p->group[0] == p->prev_group[0] && p->group[1] == p->prev_group[1]) p->prev_run++;
    else { p->prev_group[0] = p->group[0]; p->prev_group[1] = p->group[1]; p->prev_run = 1; }
    p->group[0] = p->group[1] = 0;
}

int cn_nt_player_feed(cn_nt_player *p, int tok, cn_nt_note *note) {
    int made = 0;
    if (tok >= CN_NT_PITCH && tok < CN_NT_DUR) {
        p->pending_pitch = tok - CN_NT_PITCH;
    } else if (tok >= CN_NT_DUR && tok < CN_NT_SHIFT) {
        if (p->pending_pitch >= 0) {
            int q = p->pending_pitch;
            note->start = p->step;
            note->dur = cn_nt_bin_steps(tok - CN_NT_DUR);
            note->pitch = q;
            note->velocity = cn_ev_bin_vel(p->vel_bin < 0 ? cn_ev_vel_bin(80) : p->vel_bin);
            if (q < 64) p->group[0] |= 1ull << q; else p->group[1] |= 1ull << (q - 64);
            made = 1;
        }
        p->pending_pitch = -1;
    } else if (tok >= CN_NT_SHIFT && tok < CN_NT_VEL) {
        p->pending_pitch = -1;
        close_group(p);
        p->step += tok - CN_NT_SHIFT + 1;
        if (p->step > p->next_slot) p->next_slot = slot_at_or_after(p->step);   /* a heard stream may jump */
    } else if (tok >= CN_NT_VEL && tok < CN_NT_KEY) {
        p->vel_bin = tok - CN_NT_VEL;
    } else if (tok >= CN_NT_DENS && tok < CN_NT_VOCAB) {   /* the second control closes the pair */
        if (p->step >= p->next_slot) p->next_slot = (p->step / CN_NT_SLOT + 1) * CN_NT_SLOT;
    }
    p->last_tok = tok;
    return made;
}
