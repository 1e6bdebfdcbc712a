# trainer.mk: the offline trainer's end-to-end test and its benchmark (tokens/s against PyTorch).
TEST_SCRIPTS += tests/trainer.sh
BENCH_CMDS += sh tests/bench_trainer.sh;
