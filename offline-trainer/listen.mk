# listen.mk: the listening yardstick (continuo-eval --listen: listen*.c, modelcorpus.c) and
# its end-to-end test; its unit tests are tests/unit/test_listen.c.
TEST_SCRIPTS += tests/cli/listen.sh
