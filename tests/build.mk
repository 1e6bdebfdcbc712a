# build.mk: the build, the command lines and the code's shape as tests (tests/build.sh, tests/cli.sh,
# tests/funclen.sh)
TEST_SCRIPTS += tests/build.sh tests/cli.sh tests/funclen.sh
