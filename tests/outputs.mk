# tests/outputs.mk: the output-path and write-failure test of every tool (tests/outputs.sh).
TEST_SCRIPTS += tests/outputs.sh
