# engine/engine.mk: the engine's own compile flags. The neural core's hot kernels build at -O3,
# so that the gate math and the matrix-vector products vectorise; -fno-trapping-math lets the
# clamps and selects of the polynomial exp become vector blends.
NN_HOT := nn_math nn_batch nn_stream nn_matvec nn_embed nn_conv1d nn_lstm nn_gru nn_dense nn_batchnorm nn_dropout
$(NN_HOT:%=$(BUILD)/obj/engine/%.o): OPT = -O3 -g -fno-trapping-math
