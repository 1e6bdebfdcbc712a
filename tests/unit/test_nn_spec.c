/* test_nn_spec.c: the architecture spec grammar, the report's named models, and the tensor
 * table and initialisation of a new model (names, PyTorch shapes, default init ranges). */
#include <stdlib.h>
#include "nn.h"
#include "test.h"

TEST(parses_every_layer_kind) {
    cn_spec s; char err[160];
    CHECK(cn_spec_parse("embed:16,conv1d:8:3,lstm:12,gru:10,dense:6:relu,batchnorm,dropout:0.25,dense:5",
                        &s, err, sizeof err) == 0);
    CHECK(s.n_layers == 8);
    CHECK(s.layers[0].kind == CN_L_EMBED && s.layers[0].units == 16);
    CHECK(s.layers[1].kind == CN_L_CONV1D && s.layers[1].units == 8 && s.layers[1].kernel == 3 && s.layers[1].relu);
    CHECK(s.layers[2].kind == CN_L_LSTM && s.layers[2].units == 12);
    CHECK(s.layers[3].kind == CN_L_GRU && s.layers[3].units == 10);
    CHECK(s.layers[4].kind == CN_L_DENSE && s.layers[4].units == 6 && s.layers[4].relu == 1);
    CHECK(s.layers[5].kind == CN_L_BATCHNORM);
    CHECK(s.layers[6].kind == CN_L_DROPOUT && fabsf(s.layers[6].rate - 0.25f) < 1e-7f);
    CHECK(s.layers[7].kind == CN_L_DENSE && s.layers[7].relu == 0);
    char buf[256];
    CHECK(cn_spec_format(&s, buf, sizeof buf) == 0);
    CHECK(strcmp(buf, "embed:16,conv1d:8:3,lstm:12,gru:10,dense:6:relu,batchnorm,dropout:0.25,dense:5") == 0);
}

TEST(paper_names_match_the_report_table) {
    static const char *names[] = { "paper-baseline", "paper-m1", "paper-m2", "paper-m3", "paper-m4",
                                   "paper-m5", "paper-m6", "paper-m7" };
    for (int i = 0; i < 8; i++) {
        cn_spec s; char err[160];
        CHECK(cn_spec_paper(names[i]) != NULL);
        CHECKF(cn_spec_parse(names[i], &s, err, sizeof err) == 0, "%s: %s", names[i], err);
    }
    CHECK(strcmp(cn_spec_paper("paper-m1"), "conv1d:256:3,lstm:256,lstm:256,dropout:0.3") == 0);
    cn_spec s; char err[160];
    CHECK(cn_spec_parse("paper-baseline", &s, err, sizeof err) == 0);
    CHECK(s.n_layers == 5 && s.layers[3].kind == CN_L_LSTM && s.layers[4].kind == CN_L_DROPOUT);
    CHECK(cn_spec_parse("paper-m3", &s, err, sizeof err) == 0);
    CHECK(s.layers[0].units == 128 && s.layers[1].kind == CN_L_GRU && s.layers[2].kind == CN_L_GRU);
    CHECK(cn_spec_parse("paper-m5", &s, err, sizeof err) == 0);
    CHECK(s.layers[s.n_layers - 1].kind == CN_L_BATCHNORM);
    CHECK(cn_spec_paper("paper-m8") == NULL);
    CHECK(strstr(cn_spec_help(), "paper-m7") != NULL && strstr(cn_spec_help(), "conv1d:F:K") != NULL);
}

TEST(bad_specs_are_clear_errors) {
    static const char *bad[] = { "", "lstm", "lstm:", "lstm:0", "lstm:-3", "lstm:12x", "conv1d:8", "conv1d:8:0",
                                 "conv1d:8:65", "dropout:0.3", "lstm:8,dropout:1.5", "lstm:8,dropout:", "lstm:8,,",
                                 "lstm:8,", "foo:3", "lstm:8,embed:4", "batchnorm", "dense:4:tanh", "lstm:99999999999",
                                 ("lstm:8,lstm:8,lstm:8,lstm:8,lstm:8,lstm:8,lstm:8,lstm:8,lstm:8,lstm:8,lstm:8,lstm:8,"
                                  "lstm:8,lstm:8,lstm:8,lstm:8,lstm:8") };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cn_spec s; char err[160] = "";
        CHECKF(cn_spec_parse(bad[i], &s, err, sizeof err) == -1, "accepted \"%s\"", bad[i]);
        CHECKF(err[0] != 0, "no message for \"%s\"", bad[i]);
    }
    cn_spec s;
    CHECK(cn_spec_parse(NULL, &s, NULL, 0) == -1);
}

TEST(model_tensor_table_has_pytorch_names_and_shapes) {
    char err[160];
    cn_model *m = cn_model_new("conv1d:8:3,lstm:6,gru:5,dense:4,batchnorm,dropout:0.2", 20, 1, err, sizeof err);
    CHECKF(m != NULL, "%s", err);
    if (!m) return;
    CHECK(m->vocab == 20);
    CHECK(strcmp(m->spec_text, "conv1d:8:3,lstm:6,gru:5,dense:4,batchnorm,dropout:0.2") == 0);
    const cn_tensor *t = cn_model_tensor(m, "0.conv1d.weight");
    CHECK(t && t->ndim == 3 && t->shape[0] == 8 && t->shape[1] == 20 && t->shape[2] == 3 && t->size == 480);
    t = cn_model_tensor(m, "1.lstm.weight_ih");
    CHECK(t && t->ndim == 2 && t->shape[0] == 24 && t->shape[1] == 8);
    t = cn_model_tensor(m, "1.lstm.weight_hh");
    CHECK(t && t->shape[0] == 24 && t->shape[1] == 6);
    t = cn_model_tensor(m, "2.gru.bias_hh");
    CHECK(t && t->ndim == 1 && t->shape[0] == 15);
    t = cn_model_tensor(m, "3.dense.weight");
    CHECK(t && t->shape[0] == 4 && t->shape[1] == 5);
    t = cn_model_tensor(m, "4.batchnorm.running_var");
    CHECK(t && t->trainable == 0 && t->size == 4);
    for (size_t i = 0; t && i < t->size; i++) CHECK(m->params[t->offset + i] == 1.0f);
    t = cn_model_tensor(m, "4.batchnorm.weight");
    CHECK(t && t->trainable == 1);
    t = cn_model_tensor(m, "out.weight");
    CHECK(t && t->shape[0] == 20 && t->shape[1] == 4);
    CHECK(cn_model_tensor(m, "out.bias") != NULL);
    CHECK(cn_model_tensor(m, "5.dropout.weight") == NULL);
    CHECK(m->n_tensors == 2 + 4 + 4 + 2 + 4 + 2);
    /* tensors lie inside params without overlap, in order */
    for (int i = 0; i < m->n_tensors; i++) {
        CHECK(m->tensors[i].offset + m->tensors[i].size <= m->n_params);
        if (i) CHECK(m->tensors[i].offset >= m->tensors[i - 1].offset + m->tensors[i - 1].size);
    }
    /* default init: conv weights within 1/sqrt(Cin*K), not all equal */
    t = cn_model_tensor(m, "0.conv1d.weight");
    float bound = 1.0f / sqrtf(60.0f), lo = 1, hi = -1;
    for (size_t i = 0; i < t->size; i++) {
        float w = m->params[t->offset + i];
        CHECK(fabsf(w) <= bound);
        if (w < lo) lo = w;
        if (w > hi) hi = w;
    }
    CHECK(hi - lo > bound);
    t = cn_model_tensor(m, "1.lstm.weight_hh");
    for (size_t i = 0; i < t->size; i++) CHECK(fabsf(m->params[t->offset + i]) <= 1.0f / sqrtf(6.0f));
    /* same seed, same weights; another seed, other weights */
    cn_model *m2 = cn_model_new("conv1d:8:3,lstm:6,gru:5,dense:4,batchnorm,dropout:0.2", 20, 1, err, sizeof err);
    cn_model *m3 = cn_model_new("conv1d:8:3,lstm:6,gru:5,dense:4,batchnorm,dropout:0.2", 20, 2, err, sizeof err);
    CHECK(m2 && m3);
    if (m2 && m3) {
        CHECK(memcmp(m->params, m2->params, m->n_params * sizeof(float)) == 0);
        CHECK(memcmp(m->params, m3->params, m->n_params * sizeof(float)) != 0);
    }
    cn_model_free(m2); cn_model_free(m3);
    CHECK(cn_meta_set(&m->meta, "epochs", "3") == 0);  /* freed by cn_model_free (ASan would tell) */
    cn_model_free(m);
}

TEST(embed_and_paper_models_build) {
    char err[160];
    cn_model *m = cn_model_new("embed:7,lstm:5", 11, 3, err, sizeof err);
    CHECKF(m != NULL, "%s", err);
    if (m) {
        const cn_tensor *t = cn_model_tensor(m, "0.embed.weight");
        CHECK(t && t->shape[0] == 11 && t->shape[1] == 7);
        cn_model_free(m);
    }
    m = cn_model_new("paper-m1", 300, 1, err, sizeof err);
    CHECKF(m != NULL, "%s", err);
    if (m) {
        const cn_tensor *t = cn_model_tensor(m, "0.conv1d.weight");
        CHECK(t && t->shape[0] == 256 && t->shape[1] == 300 && t->shape[2] == 3);
        CHECK(cn_model_tensor(m, "2.lstm.weight_hh") != NULL);
        CHECK(strcmp(m->spec_text, "conv1d:256:3,lstm:256,lstm:256,dropout:0.3") == 0);
        cn_model_free(m);
    }
    CHECK(cn_model_new("lstm:8", 1, 1, err, sizeof err) == NULL && err[0]);
    CHECK(cn_model_new("lstm:8,bogus", 10, 1, err, sizeof err) == NULL && strstr(err, "layer 2"));
    cn_model_free(NULL);
}

int main(void) {
    RUN(parses_every_layer_kind);
    RUN(paper_names_match_the_report_table);
    RUN(bad_specs_are_clear_errors);
    RUN(model_tensor_table_has_pytorch_names_and_shapes);
    RUN(embed_and_paper_models_build);
    return test_summary();
}
