# tokens.mk: the MIDI and token shell tests: interop of written files with midicsv and
# python3-mido, and continuo-tokens over the shared corpus (skipped when it is absent).
TEST_SCRIPTS += tests/midi_interop.sh tests/corpus.sh
TEST_SCRIPTS += tests/tokcache.sh
