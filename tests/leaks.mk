# tests/leaks.mk: the offline tools built again under ASan+UBSan, LeakSanitizer on, so that
# tests/leaks.sh can run their error paths and fail on any leak (issue 10, point 11).
SAN_TOOLS := $(patsubst $(BUILD)/%,$(BUILD)/san/%,$(TOOLS))
$(BUILD)/san/continuo-%: $(BUILD)/san/obj/offline-trainer/%_main.o $(TRAINER_LIB_SAN) $(ENGINE_LIB_SAN)
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(CAIRO_LIBS) $(DEP_LIBS)
build-tests: $(SAN_TOOLS)
TEST_SCRIPTS += tests/leaks.sh
