-- ardour_session.lua: drives Ardour 7 headless (ardour7-lua) for tests/ardour.sh.
-- Arguments (global `arg`): ACTION SESSION_DIR NAME [SRC_PORT DST_PORT SECONDS]
--   create  make a session on the JACK backend with a MIDI track carrying continuo, its
--           preset "continuo-ardour-test" (controls and the model path), wire SRC_PORT into
--           the track and the track out to DST_PORT, roll for SECONDS, stop, save
--   reload  load the session again, print the plugin's controls, save a new snapshot
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

if action == "create" then
    local src, dst, seconds = arg[4], arg[5], tonumber(arg[6])
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
    say("connect-out", engine:connect("ardour:" .. tout, dst))
    say("ports", tin .. " | " .. tout)
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
else
    fail("unknown action " .. tostring(action))
end
