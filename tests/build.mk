# build.mk: the build and the command lines as tests (tests/build.sh, tests/cli.sh)
TEST_SCRIPTS += tests/build.sh tests/cli.sh
