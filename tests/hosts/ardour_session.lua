-- ardour_session.lua: drives Ardour 7 headless (ardour7-lua) for tests/hosts/ardour.sh.
-- Arguments (global `arg`): ACTION SESSION_DIR NAME [SRC_PORT DST_PORT SECONDS]
--   create  make a session on the JACK backend with a MIDI track carrying continuo, its
--           preset "continuo-ardour-test" (controls and the model path), wire SRC_PORT into
--           the track and the track out to DST_PORT, roll for SECONDS, stop, save
--   reload  load the session again, print the plugin's controls, save a new snapshot
--   tempo   ACTION SESSION_DIR NAME SRC_PORT LOG GO_FILE END_FILE BPM SECONDS: a session as for
--           create, with a probe inside Ardour before and after continuo (the Lua DSP processor
--           "continuo onset log", tests/hosts/ardour_onset_log.lua) whose records go to LOG as
--           build/jack-probe lines, with Ardour's own beat and tempo; rolling; once GO_FILE exists,
--           a tempo point BPM at the next whole beat (Temporal tempo map: write_copy, set_tempo,
--           update); once END_FILE exists (or SECONDS have passed), stop.
-- Every fact the shell checks is printed as a line "ARDOUR-TEST key value".
local action, dir, name = arg[1], arg[2], arg[3]
local URI = "urn:continuo:continuo"

local function say(key, value) print("ARDOUR-TEST " .. key .. " " .. tostring(value)) end
local function fail(why) say("error", why); os.exit(1) end

if AudioEngine:set_backend("JACK", "ardour", "") == nil then fail("no JACK backend") end

-- the plugin's control inputs, in the order of ttl/continuo.ttl (Ardour counts them from 0)
local controls = { "mode", "temperature", "top_p", "silence_beats", "response_beats", "channel_in",
                   "channel_out", "thru", "quantize", "seed", "bpm" }

local function print_controls(proc)
    for i, sym in ipairs(controls) do
        say("control " .. sym, ARDOUR.LuaAPI.get_processor_param(proc, i - 1, true))
    end
end

local function find_plugin()
    for r in Session:get_routes():iter() do
        local t = r:to_track()
        if not t:isnil() then
            local i = 0
            while true do
                local p = r:nth_plugin(i)
                if p:isnil() then break end
                local pi = p:to_insert()
                if not pi:isnil() and pi:plugin(0):unique_id() == URI then return r, p end
                i = i + 1
            end
        end
    end
    return nil, nil
end

local function sleep_s(s)
    for _ = 1, math.floor(s * 10) do ARDOUR.LuaAPI.usleep(100000) end
end

-- a new session with a MIDI track carrying continuo (its test preset), SRC_PORT wired in and the
-- track's out wired to DST_PORT (if given); returns the plugin's processor and the track
local function build_session(src, dst)
    local s = create_session(dir, name, 48000)
    if not s then fail("create_session failed") end
    local midi = ARDOUR.DataType("midi")
    local track = Session:new_midi_track(ARDOUR.ChanCount(midi, 1), ARDOUR.ChanCount(midi, 1), false,
        ARDOUR.PluginInfo(), nil, nil, 1, "jam", ARDOUR.PresentationInfo.max_order, ARDOUR.TrackMode.Normal,
        false, false):front()
    if not track then fail("no MIDI track") end
    local proc = ARDOUR.LuaAPI.new_plugin(Session, URI, ARDOUR.PluginType.LV2, "continuo-ardour-test")
    if proc:isnil() then fail("Ardour cannot instantiate " .. URI) end
    track:add_processor_by_index(proc, 0, nil, true)
    local plug = proc:to_insert():plugin(0)
    say("preset", plug:last_preset().label)
    track:monitoring_control():set_value(ARDOUR.MonitorChoice.MonitorInput, PBD.GroupControlDisposition.NoGroup)
    local tin = track:input():nth(0):name()
    local tout = track:output():nth(0):name()
    track:input():disconnect_all(nil)
    track:output():disconnect_all(nil)
    local engine = Session:engine()
    say("connect-in", engine:connect(src, "ardour:" .. tin))
    if dst then say("connect-out", engine:connect("ardour:" .. tout, dst)) end
    say("ports", tin .. " | " .. tout)
    return proc, track
end

-- wait_file(PATH, SECONDS, TICK): true once PATH exists (the shell says a condition holds), false
-- after SECONDS; TICK() runs every 0.1 s meanwhile
local function wait_file(path, seconds, tick)
    for _ = 1, math.floor(seconds * 10) do
        tick()
        local f = io.open(path, "r")
        if f then f:close(); return true end
        ARDOUR.LuaAPI.usleep(100000)
    end
    return false
end

-- the probe inside Ardour: "continuo onset log" processors and what of theirs is written out
local LOG_RING, LOG_FIELDS = 1024, 6   -- as in tests/hosts/ardour_onset_log.lua
local function add_onset_log(track, index)
    local p = ARDOUR.LuaAPI.new_luaproc(Session, "continuo onset log")
    if p:isnil() then fail("no Lua DSP processor \"continuo onset log\" (scripts folder)") end
    track:add_processor_by_index(p, index, nil, true)
    return { shm = p:to_insert():plugin(0):to_luaproc():shmem(), done = 0 }
end
-- the beat (quarter notes) at SAMPLE; Temporal.Beats prints as "BEATS:TICKS", 1920 ticks a beat
local function beat_at(map, sample)
    local q = tostring(map:quarters_at_sample(sample))
    local b, t = q:match("^(%-?%d+):(%d+)$")
    if not b then fail("cannot read the beat position from " .. q) end
    return tonumber(b) + tonumber(t) / 1920
end

-- new records of the logs to the file OUT, one build/jack-probe line each, in beat order. A
-- track runs its plugins LATENCY samples ahead of the transport (Ardour's playback latency
-- compensation: what they send is heard LATENCY later), so a note's beat is the map's beat at
-- its transport sample plus LATENCY: the beat it is heard on, and the plugin was told it plays on.
local function drain(logs, out, latency)
    local lines = {}
    local map = Temporal.TempoMap.read()
    for _, l in ipairs(logs) do
        local a = l.shm:to_float(0):array()
        local n = math.floor(a[1])
        if n - l.done > LOG_RING then fail("the onset log overran its ring") end
        while l.done < n do
            local at = 1 + (l.done % LOG_RING) * LOG_FIELDS
            local s = math.floor(a[at + 4]) * 65536 + math.floor(a[at + 5]) + latency
            local beat = beat_at(map, s)
            lines[#lines + 1] = { beat, string.format("%02x %d %d %.6f %.3f %d %d", math.floor(a[at + 1]),
                math.floor(a[at + 2]), math.floor(a[at + 3]), beat,
                map:quarters_per_minute_at(Temporal.timepos_t(s)), s, math.floor(a[at + 6])) }
            l.done = l.done + 1
        end
    end
    table.sort(lines, function(x, y) return x[1] < y[1] end)
    for _, l in ipairs(lines) do out:write(l[2], "\n") end
    out:flush()
end

-- the session's position in quarter notes (Temporal.Beats prints as "BEATS:TICKS", 1920 ticks a beat)
local function quarters_now()
    return beat_at(Temporal.TempoMap.read(), Session:transport_sample())
end

-- a tempo point of BPM (quarter notes, constant) at the next whole beat at least half a beat
-- ahead, so the beat runs on continuously through the change; returns that beat
local function tempo_ahead(bpm)
    local at = math.floor(quarters_now() + 0.5) + 1
    local map = Temporal.TempoMap.write_copy()
    map:set_tempo(Temporal.Tempo(bpm, bpm, 4), Temporal.timepos_t.from_ticks(at * 1920))
    if Temporal.TempoMap.update(map) ~= 0 then fail("TempoMap.update refused the new map") end
    return at
end

if action == "create" then
    local src, dst, seconds = arg[4], arg[5], tonumber(arg[6])
    local proc = build_session(src, dst)
    print_controls(proc)
    Session:request_roll(ARDOUR.TransportRequestSource.TRS_UI)
    sleep_s(seconds)
    Session:request_stop(false, false, ARDOUR.TransportRequestSource.TRS_UI)
    sleep_s(1)
    Session:save_state("", false, false, false, false, false)
    say("saved", Session:path())
    close_session()
    say("done", "create")
elseif action == "reload" then
    local s = load_session(dir, name)
    if not s then fail("load_session failed") end
    local route, proc = find_plugin()
    if not proc then fail("the reloaded session has no continuo plugin") end
    say("route", route:name())
    print_controls(proc)
    sleep_s(1)
    Session:save_state("reloaded", false, false, false, false, false)
    say("saved", Session:path())
    close_session()
    say("done", "reload")
elseif action == "tempo" then
    local src, logpath, go, stop = arg[4], arg[5], arg[6], arg[7]
    local bpm, seconds = tonumber(arg[8]), tonumber(arg[9])
    local _, track = build_session(src, nil)
    local logs = { add_onset_log(track, 1), add_onset_log(track, 0) }   -- after continuo, before it
    local out = io.open(logpath, "w")
    if not out then fail(logpath .. ": cannot write") end
    local tick = function() drain(logs, out, track:playback_latency(false)) end
    Session:request_roll(ARDOUR.TransportRequestSource.TRS_UI)
    if not wait_file(go, seconds, tick) then
        fail("no go from the shell in " .. seconds .. " s (rolling: " .. tostring(Session:transport_rolling()) ..
             ", notes logged: " .. logs[1].done .. " out, " .. logs[2].done .. " in)")
    end
    local rolling = Session:transport_rolling()
    say("playback-latency", track:playback_latency(false))
    local at = tempo_ahead(bpm)
    local map = Temporal.TempoMap.read()
    say("rolling-at-change", rolling)
    say("tempo-change-beat", at)
    say("tempo-change-sample", map:sample_at_beats(Temporal.Beats(at, 0)))
    say("tempo-before", map:tempo_at(Temporal.timepos_t.from_ticks((at - 1) * 1920)):note_types_per_minute())
    say("tempo-after", map:tempo_at(Temporal.timepos_t.from_ticks((at + 1) * 1920)):note_types_per_minute())
    io.stdout:flush()
    say("ended-by-shell", wait_file(stop, seconds, tick))
    Session:request_stop(false, false, ARDOUR.TransportRequestSource.TRS_UI)
    sleep_s(1)
    tick()
    out:close()
    close_session()
    say("done", "tempo")
else
    fail("unknown action " .. tostring(action))
end
