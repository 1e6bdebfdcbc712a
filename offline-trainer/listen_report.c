/* listen_report.c: the listening yardstick's table and JSON (see listen_report.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "listen_report.h"

int cn_listen_summarise(const cn_listen_report *r, cn_listen_row *rows, double *mean_overlap, double *mean_ref) {
    double *g = malloc(((size_t)r->n + 1) * sizeof *g), *t = malloc(((size_t)r->n + 1) * sizeof *t);
    double *x = malloc(((size_t)r->n_ref + 1) * sizeof *x);
    if (!g || !t || !x) { free(g); free(t); free(x); return -1; }
    double sum = 0, sum_ref = 0;
    for (int f = 0; f < CN_LF_N; f++) {
        double w = cn_lf_info_of(f)->bin_width;
        for (int i = 0; i < r->n; i++) { g[i] = r->pieces[i].gen[f]; t[i] = r->pieces[i].real[f]; }
        for (int i = 0; i < r->n_ref; i++) x[i] = r->ref[i].real[f];
        rows[f].overlap = cn_listen_overlap(g, r->n, t, r->n, w);
        rows[f].ref_overlap = cn_listen_overlap(x, r->n_ref, t, r->n, w);
        rows[f].gen_median = cn_listen_median(g, r->n);
        rows[f].real_median = cn_listen_median(t, r->n);
        sum += rows[f].overlap; sum_ref += rows[f].ref_overlap;
    }
    *mean_overlap = r->n ? sum / CN_LF_N : NAN;
    *mean_ref = r->n && r->n_ref ? sum_ref / CN_LF_N : NAN;
    free(g); free(t); free(x);
    return 0;
}

static void sampling_text(FILE *f, const cn_listen_report *r) {
    const cn_sample_opts *s = &r->lo->cont.sample;
    if (r->lo->live) fprintf(f, "temperature %g, top-p %g, rng %llu", (double)r->lo->temperature,
                             (double)r->lo->top_p, (unsigned long long)r->rng);
    else fprintf(f, "temperature %g, top-k %d, top-p %g, repeat penalty %g, max run %d, key %s, rng %llu",
                 (double)s->temperature, s->top_k, (double)s->top_p, (double)s->repeat_penalty, s->max_run,
                 r->key, (unsigned long long)r->rng);
}

int cn_listen_print_table(FILE *f, const cn_listen_report *r) {
    cn_listen_row rows[CN_LF_N];
    double mean, mean_ref;
    if (cn_listen_summarise(r, rows, &mean, &mean_ref)) return -1;
    fprintf(f, "listening yardstick: %s (%s encoding), %s, %s\n", r->model_path, r->encoding,
            r->lo->live ? "live engine (call and response, simulated clock)" : "offline (cn_continue)", r->source);
    fprintf(f, "%d pieces measured, %d skipped, %.1f s; seed %g beats from the bar line at or before the first note, "
            "continuation %g beats%s\n", r->n, r->skipped, r->seconds, r->lo->seed_beats, r->lo->cont_beats,
            r->lo->live ? " (live: the answer, as long as the call)" : "");
    fprintf(f, "sampling: ");
    sampling_text(f, r);
    fprintf(f, "\n\n%-22s %-10s %10s %10s %8s %8s\n", "feature", "unit", "generated", "real", "overlap", "ref");
    for (int k = 0; k < CN_LF_N; k++) {
        const cn_lf_info *in = cn_lf_info_of(k);
        fprintf(f, "%-22s %-10s %10.3f %10.3f %8.2f ", in->name, in->unit, rows[k].gen_median,
                rows[k].real_median, rows[k].overlap);
        if (r->n_ref) fprintf(f, "%8.2f\n", rows[k].ref_overlap); else fprintf(f, "%8s\n", "-");
    }
    fprintf(f, "%-22s %-10s %10s %10s %8.2f ", "mean overlap", "", "", "", mean);
    if (r->n_ref) fprintf(f, "%8.2f\n", mean_ref); else fprintf(f, "%8s\n", "-");
    fprintf(f, "(generated and real: medians over the pieces; overlap: shared mass of the two per-piece histograms;\n"
               " ref: the same overlap between these real continuations and ");
    if (r->n_ref) fprintf(f, "those of %d other pieces (%s): what music like\n the corpus's reaches with this many pieces)\n",
                          r->n_ref, r->ref_source);
    else fprintf(f, "other pieces': none given (--split, or --reference FILES))\n");
    return 0;
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}
static void json_num(FILE *f, double v) { if (isfinite(v)) fprintf(f, "%.6g", v); else fprintf(f, "null"); }

static void json_values(FILE *f, const double *v) {
    fputc('{', f);
    for (int k = 0; k < CN_LF_N; k++) {
        fprintf(f, "%s\"%s\": ", k ? ", " : "", cn_lf_info_of(k)->name);
        json_num(f, v[k]);
    }
    fputc('}', f);
}

int cn_listen_print_json(FILE *f, const cn_listen_report *r) {
    cn_listen_row rows[CN_LF_N];
    double mean, mean_ref;
    if (cn_listen_summarise(r, rows, &mean, &mean_ref)) return -1;
    const cn_sample_opts *s = &r->lo->cont.sample;
    fprintf(f, "{\"model\": "); json_str(f, r->model_path);
    fprintf(f, ", \"encoding\": "); json_str(f, r->encoding);
    fprintf(f, ", \"mode\": \"%s\", \"source\": ", r->lo->live ? "live" : "offline");
    json_str(f, r->source);
    fprintf(f, ", \"pieces\": %d, \"skipped\": %d, \"seconds\": %.2f", r->n, r->skipped, r->seconds);
    fprintf(f, ", \"seed_beats\": %g, \"cont_beats\": %g, \"seed_offset\": \"bar line at or before the first note\"",
            r->lo->seed_beats, r->lo->cont_beats);
    fprintf(f, ", \"sampling\": {\"temperature\": %g, \"top_p\": %g, \"rng\": %llu", (double)r->lo->temperature,
            (double)r->lo->top_p, (unsigned long long)r->rng);
    if (!r->lo->live) {
        fprintf(f, ", \"top_k\": %d, \"repeat_penalty\": %g, \"max_run\": %d, \"key\": ", s->top_k,
                (double)s->repeat_penalty, s->max_run);
        json_str(f, r->key);
    }
    fprintf(f, "}, \"features\": {");
    for (int k = 0; k < CN_LF_N; k++) {
        const cn_lf_info *in = cn_lf_info_of(k);
        fprintf(f, "%s\"%s\": {\"unit\": ", k ? ", " : "", in->name);
        json_str(f, in->unit);
        fprintf(f, ", \"generated_median\": "); json_num(f, rows[k].gen_median);
        fprintf(f, ", \"real_median\": "); json_num(f, rows[k].real_median);
        fprintf(f, ", \"overlap\": "); json_num(f, rows[k].overlap);
        fprintf(f, ", \"reference_overlap\": "); json_num(f, rows[k].ref_overlap);
        fprintf(f, ", \"bin_width\": %g}", in->bin_width);
    }
    fprintf(f, "}, \"mean_overlap\": "); json_num(f, mean);
    fprintf(f, ", \"mean_reference_overlap\": "); json_num(f, mean_ref);
    fprintf(f, ", \"reference\": {\"source\": ");
    if (r->n_ref) json_str(f, r->ref_source); else fprintf(f, "null");
    fprintf(f, ", \"pieces\": %d}", r->n_ref);
    fprintf(f, ", \"per_piece\": [");
    for (int i = 0; i < r->n; i++) {
        const cn_listen_piece *p = &r->pieces[i];
        fprintf(f, "%s{\"file\": ", i ? ", " : "");
        json_str(f, r->paths[i]);
        fprintf(f, ", \"offset\": %g, \"span\": %g, \"seed_notes\": %d, \"generated_notes\": %d, \"real_notes\": %d",
                p->offset, p->span, p->seed_notes, p->gen_notes, p->real_notes);
        fprintf(f, ", \"generated\": "); json_values(f, p->gen);
        fprintf(f, ", \"real\": "); json_values(f, p->real);
        fputc('}', f);
    }
    fprintf(f, "]}\n");
    return 0;
}
