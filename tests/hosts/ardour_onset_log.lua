-- ardour_onset_log.lua: a Lua DSP processor for tests/hosts/ardour.sh, a probe inside Ardour. Put on a
-- MIDI track, it passes MIDI through and records each note event with the transport sample at
-- it and whether the transport rolls. tests/hosts/ardour_session.lua reads the records from the
-- processor's shared memory, takes Ardour's beat and tempo at each (latency compensated) from the
-- session's tempo map, and prints them as build/jack-probe lines, so tests/hosts/probe_judge.sh judges
-- Ardour's grid as it judges JACK's. (Ardour 7.3 gives a DSP script an empty time_info table;
-- Session is there.)
-- Shared memory (floats, exact to 2^24): [1] records written so far; then RING records of FIELDS:
--   status, pitch, velocity, sample / 65536 (whole), sample % 65536, rolling
ardour {
	["type"]    = "dsp",
	name        = "continuo onset log",
	category    = "Utility",
	license     = "MIT",
	description = [[Records note events with the session's beat and tempo (continuo's tests)]]
}

local RING, FIELDS = 1024, 6

function dsp_ioconfig ()
	return { { midi_in = 1, midi_out = 1, audio_in = 0, audio_out = 0 }, }
end

function dsp_init (rate)
	self:shmem():allocate(1 + RING * FIELDS)
	self:shmem():clear()
end

function dsp_run (_, _, n_samples)
	local shm = self:shmem():to_float(0):array()
	local start = Session:transport_sample()
	local rolling = Session:transport_rolling() and 1 or 0
	local cnt = 1
	for _, ev in ipairs(midiin) do
		midiout[cnt] = { time = ev.time, data = ev.data }
		cnt = cnt + 1
		local d = ev.data
		local kind = d[1] and (d[1] & 0xf0) or 0
		if (kind == 0x80 or kind == 0x90) and #d >= 3 then
			local s = start + ev.time - 1   -- ev.time counts from 1
			local n = math.floor(shm[1])
			local at = 1 + (n % RING) * FIELDS
			shm[at + 1] = d[1]; shm[at + 2] = d[2]; shm[at + 3] = d[3]
			shm[at + 4] = s // 65536; shm[at + 5] = s % 65536
			shm[at + 6] = rolling
			shm[1] = n + 1   -- last: the reader takes records below this count
		end
	end
end
