# plugin/lv2.mk: the LV2 bundle build/continuo.lv2 (continuo.so with its inline display, manifest, description,
# presets, the default model when presets/default.cnm exists), its install rule, and the
# programs that test and time it: build/san/lv2-harness (lilv, ASan+UBSan) and
# build/lv2-rt (the same harness unsanitized, with the malloc/lock guard, and the bench).

LV2_BUNDLE   := $(BUILD)/continuo.lv2
LV2_SO       := $(LV2_BUNDLE)/continuo.so
LV2_CFLAGS    = $(shell $(PKG_CONFIG) --cflags lv2 2>/dev/null)
LILV_CFLAGS   = $(shell $(PKG_CONFIG) --cflags lilv-0 2>/dev/null)
LILV_LIBS     = $(shell $(PKG_CONFIG) --libs lilv-0 2>/dev/null)
LV2_PRESETS  := $(wildcard presets/*.ttl)
LV2_MODEL    := $(wildcard presets/default.cnm)
LV2_DATA     := $(LV2_BUNDLE)/manifest.ttl $(LV2_BUNDLE)/continuo.ttl \
                $(patsubst presets/%,$(LV2_BUNDLE)/%,$(LV2_PRESETS) $(LV2_MODEL))
LV2_HARNESS     := $(BUILD)/san/lv2-harness
LV2_HARNESS_RT  := $(BUILD)/lv2-rt

ALL_TARGETS  += $(LV2_SO) $(LV2_DATA) $(LV2_HARNESS) $(LV2_HARNESS_RT)
TEST_SCRIPTS += tests/hosts/lv2.sh tests/hosts/ardour.sh
BENCH_BINS   += $(LV2_HARNESS_RT)
BENCH_CMDS   += sh tests/hosts/lv2.sh --bench;
INSTALL_EXTRA += install-lv2
UNINSTALL_EXTRA += uninstall-lv2

# Only lv2_descriptor is exported: the plugin's own symbols are hidden, and the engine
# library's are kept out of the dynamic table so two plugins never clash. The inline display
# (display.c, display_draw.c) draws with cairo.
LV2_OBJS := $(BUILD)/lv2obj/continuo.o $(BUILD)/lv2obj/display.o $(BUILD)/lv2obj/display_draw.o
$(LV2_OBJS): $(BUILD)/lv2obj/%.o: plugin/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) $(LV2_CFLAGS) -fvisibility=hidden -Iplugin -MMD -MP -c $< -o $@

$(LV2_SO): $(LV2_OBJS) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) -shared -fvisibility=hidden -Wl,-z,defs -Wl,--exclude-libs,ALL \
	    -o $@ $^ $(CAIRO_LIBS) $(DEP_LIBS)

$(LV2_BUNDLE)/manifest.ttl: ttl/manifest.ttl.in
	@mkdir -p $(dir $@)
	sed 's/@LIB_EXT@/.so/g' $< > $@
# lv2:minorVersion and lv2:microVersion from VERSION (MAJOR.MINOR.MICRO)
CN_VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# The control ports come from the engine's control table, printed by a build tool.
TTL_PORTS := $(BUILD)/continuo-ttl-ports
$(BUILD)/obj/plugin/ttl_ports.o: plugin/ttl_ports.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) -MMD -MP -c $< -o $@
$(TTL_PORTS): $(BUILD)/obj/plugin/ttl_ports.o $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -o $@ $^ $(DEP_LIBS)
$(BUILD)/continuo-ports.ttl: $(TTL_PORTS)
	$(TTL_PORTS) > $@.tmp && mv $@.tmp $@
$(LV2_BUNDLE)/continuo.ttl: ttl/continuo.ttl.in VERSION $(BUILD)/continuo-ports.ttl
	@mkdir -p $(dir $@)
	sed -e 's/@MINOR@/$(word 2,$(subst ., ,$(CN_VERSION)))/' -e 's/@MICRO@/$(word 3,$(subst ., ,$(CN_VERSION)))/' \
	    -e '/^@CONTROL_PORTS@$$/{r $(BUILD)/continuo-ports.ttl' -e 'd;}' $< > $@.tmp && mv $@.tmp $@
$(LV2_BUNDLE)/%: presets/%
	@mkdir -p $(dir $@)
	cp $< $@

# The harness: sanitized for the behaviour tests ...
$(BUILD)/san/lv2obj/lv2_harness.o: tests/hosts/lv2_harness.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_SAN) $(LILV_CFLAGS) $(LV2_CFLAGS) -Iplugin -MMD -MP -c $< -o $@
$(LV2_HARNESS): $(BUILD)/san/lv2obj/lv2_harness.o $(ENGINE_LIB_SAN)
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(LILV_LIBS) $(CAIRO_LIBS) $(DEP_LIBS)

# ... and plain, with the interposer of malloc/free/locks (ASan owns malloc, so the guard
# cannot live in the sanitized build), for the guard test and the bench.
$(BUILD)/lv2obj/lv2_harness.o: tests/hosts/lv2_harness.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) $(LILV_CFLAGS) $(LV2_CFLAGS) -DCN_HARNESS_GUARD -Iplugin -MMD -MP -c $< -o $@
$(BUILD)/lv2obj/malloc_guard.o: tests/hosts/malloc_guard.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_RELEASE) -MMD -MP -c $< -o $@
$(LV2_HARNESS_RT): $(BUILD)/lv2obj/lv2_harness.o $(BUILD)/lv2obj/malloc_guard.o $(ENGINE_LIB)
	$(CC) $(CFLAGS_RELEASE) -rdynamic -o $@ $^ $(LILV_LIBS) $(CAIRO_LIBS) $(DEP_LIBS) -ldl

.PHONY: install-lv2 uninstall-lv2
uninstall-lv2:
	rm -f $(addprefix $(DESTDIR)$(LV2DIR)/continuo.lv2/,$(notdir $(LV2_SO) $(LV2_DATA)))
	-rmdir $(DESTDIR)$(LV2DIR)/continuo.lv2 2>/dev/null

install-lv2: $(LV2_SO) $(LV2_DATA)
	install -d $(DESTDIR)$(LV2DIR)/continuo.lv2
	install -m 755 $(LV2_SO) $(DESTDIR)$(LV2DIR)/continuo.lv2/
	install -m 644 $(LV2_DATA) $(DESTDIR)$(LV2DIR)/continuo.lv2/
