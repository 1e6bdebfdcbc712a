TEST_SCRIPTS += tests/build.sh
