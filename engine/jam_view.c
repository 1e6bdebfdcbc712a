/* jam_view.c: what a display of the live engine shows (the LV2 plugin's inline display): the
 * notes of the current exchange, the last call and its answer, kept by the real-time half as
 * it hears and plays them, and the answer's scheduled notes, read from the queue of generated
 * events without taking them. Everything here runs on the real-time thread: fixed tables,
 * bounded loops, no allocation. A new call in call and response starts a new exchange. */
#include <math.h>
#include <string.h>
#include "jam_internal.h"

#define VIEW_SCAN 256   /* generated events looked at ahead; more is beyond any picture */

/* A new exchange: the picture starts empty. Audio thread. */
void cn_jam_view_clear(cn_jam *j) {
    j->rt.view.n_call = j->rt.view.n_answer = 0;
    j->rt.view.changes++;
}

/* The call's list or the answer's, with its count. Audio thread. */
static cn_jam_vnote *vlist(cn_jam *j, int answer, int **n) {
    *n = answer ? &j->rt.view.n_answer : &j->rt.view.n_call;
    return answer ? j->rt.view.answer : j->rt.view.call;
}

/* A note begins; a full list drops its oldest. Audio thread. */
void cn_jam_view_on(cn_jam *j, int answer, double beat, int pitch, int vel) {
    int *n;
    cn_jam_vnote *l = vlist(j, answer, &n);
    if (*n == CN_JAM_VIEW_NOTES) { memmove(l, l + 1, (CN_JAM_VIEW_NOTES - 1) * sizeof *l); (*n)--; }
    l[(*n)++] = (cn_jam_vnote){ beat, -1.0, (uint8_t)pitch, (uint8_t)vel };
    j->rt.view.changes++;
}

/* The latest sounding note of that pitch ends. Audio thread. */
void cn_jam_view_off(cn_jam *j, int answer, double beat, int pitch) {
    int *n;
    cn_jam_vnote *l = vlist(j, answer, &n);
    for (int i = *n - 1; i >= 0; i--)
        if (l[i].pitch == pitch && l[i].end < 0) { l[i].end = beat; j->rt.view.changes++; return; }
}

/* The end of a segment: a new key from the inference side, or new generated events in the
 * queue, change the picture too. Audio thread. */
void cn_jam_view_tick(cn_jam *j) {
    int key = atomic_load_explicit(&j->sh.key, memory_order_relaxed);
    int call_key = atomic_load_explicit(&j->sh.call_key, memory_order_relaxed);
    size_t head = atomic_load_explicit(&j->sh.ev_q.head, memory_order_acquire);
    if (key != j->rt.view.key || call_key != j->rt.view.call_key || head != j->rt.view.ev_head) j->rt.view.changes++;
    j->rt.view.key = key;
    j->rt.view.call_key = call_key;
    j->rt.view.ev_head = head;
}

/* Audio thread (any thread may read it, but only the audio thread's value is meaningful). */
uint32_t cn_jam_view_changes(const cn_jam *j) { return j->rt.view.changes; }

/* A kept note as the view gives it: beats from now, a sounding one ending now. Audio thread. */
static cn_jam_view_note rel(const cn_jam_vnote *n, double now, int state) {
    return (cn_jam_view_note){ (float)(n->start - now), (float)((n->end < 0 ? now : n->end) - now), n->pitch, n->vel,
                               (uint8_t)state };
}

/* One generated event not yet played: a note-on is a scheduled note; a note-off ends the
 * latest open note of its pitch (open[] holds answer indices, -1 none). */
static void scheduled_event(cn_jam_view *v, int8_t *open, const cn_jam_ev *e, double now, float *horizon) {
    float b = (float)(e->beat - now);
    if (b > *horizon) *horizon = b;
    if (e->on) {
        if (v->n_answer == CN_JAM_VIEW_NOTES) return;
        open[e->pitch] = (int8_t)v->n_answer;
        v->answer[v->n_answer++] = (cn_jam_view_note){ b, b, e->pitch, e->vel, CN_VIEW_SCHEDULED };
    } else if (open[e->pitch] >= 0) {
        v->answer[open[e->pitch]].end = b;
        open[e->pitch] = -1;
    }
}

/* The played notes of the answer, then the events waiting in the queue (consumer side: the
 * RT thread owns the tail, so the items between tail and head stay put while it looks). */
static void view_answer(cn_jam *j, cn_jam_view *v, double now) {
    int8_t open[128];
    memset(open, -1, sizeof open);
    float horizon = 0;
    for (int i = 0; i < j->rt.view.n_answer; i++) {
        const cn_jam_vnote *n = &j->rt.view.answer[i];
        if (n->end < 0) open[n->pitch] = (int8_t)v->n_answer;
        v->answer[v->n_answer++] = rel(n, now, n->end < 0 ? CN_VIEW_SOUNDING : CN_VIEW_ENDED);
    }
    if (j->rt.have_ev) scheduled_event(v, open, &j->rt.ev, now, &horizon);
    cn_spsc *q = &j->sh.ev_q;
    size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t h = atomic_load_explicit(&q->head, memory_order_acquire);
    for (size_t k = t; k != h && k - t < VIEW_SCAN; k++) {
        const cn_jam_ev *e = (const cn_jam_ev *)(q->buf + (k & q->mask) * q->item_size);
        if (e->gen == j->rt.gen) scheduled_event(v, open, e, now, &horizon);
    }
    for (int p = 0; p < 128; p++)   /* an end not known yet: as far as anything is known */
        if (open[p] >= 0 && v->answer[open[p]].end < horizon) v->answer[open[p]].end = horizon;
}

/* Audio thread: the whole view, at most CN_JAM_VIEW_NOTES notes a list and VIEW_SCAN events. */
void cn_jam_get_view(cn_jam *j, cn_jam_view *v) {
    double now = j->rt.beat;
    memset(v, 0, sizeof *v);
    v->mode = j->rt.params.mode;
    v->key = j->rt.view.key;
    v->call_key = j->rt.view.call_key;
    v->answer_due = j->rt.answer;
    v->answer_from = (float)(j->rt.answer_start - now);
    v->answer_to = (float)(j->rt.answer_end - now);
    for (int i = 0; i < j->rt.view.n_call; i++) {
        const cn_jam_vnote *n = &j->rt.view.call[i];
        v->call[v->n_call++] = rel(n, now, n->end < 0 ? CN_VIEW_SOUNDING : CN_VIEW_ENDED);
    }
    view_answer(j, v, now);
}
