# probe_judge.sh: judging a build/jack-probe log (sourced by jack.sh, transport.sh and ardour.sh), so
# the hosts' answers are judged alike. A log line is one MIDI event with the host's transport at it:
#   STATUS PITCH VELOCITY HOSTBEAT BPM TRANSPORTFRAME ROLLING [OFFSET PERIOD RATE]
# Our answer is on channel 2 (status 91), the call on channel 1 (90).

# our note-ons (channel 2) in a probe log from line $2 on, rolling, at tempo $3
ons() { tail -n +"$2" "$1" | awk -v bpm="$3" '$1 == "91" && $3 > 0 && $7 == 1 && ($5 - bpm) * ($5 - bpm) < 0.01'; }
enough() { [ "$(ons "$1" "$2" "$3" | awk '!seen[$6]++' | wc -l)" -ge "$4" ]; }   # onsets
# grid LOG FROM BPM [ANCHOR FACTOR]: onsets (note-ons at one frame count once: a chord late by a
# lost cycle is one late onset) within 0.01 beat of the host's 1/12-beat grid; prints
# "on_grid judged late". An onset off the grid in a cycle that came after cycles the graph lost
# (the probe's "00 1" line, at that cycle or up to two cycles before it: an xrun on a loaded
# machine; the sender may lose a cycle more than the probe) was due in a cycle that never ran,
# and it is counted as late, not judged (the test's own noise, counted to show it is only
# that), when it is at offset 0 (played as soon as its sender runs) or one or two periods late
# to the frame (the probe read the buffer its late sender wrote for the cycle before: seen once
# at 120 bpm, 263 frames after its grid point with a period of 256). A clock that is off puts
# notes off the grid by other amounts, and not only after lost cycles. A log without the
# OFFSET, PERIOD and RATE columns (Ardour's) counts only an onset at the very frame of a "00 1"
# line. With ANCHOR and FACTOR each beat b is first taken as ANCHOR + (b - ANCHOR) * FACTOR:
# the beat the same moment would have at another tempo from ANCHOR on (FACTOR = old bpm / new
# bpm), to show that notes on the new tempo's grid are not on the old one's.
grid() { tail -n +"$2" "$1" | awk -v bpm="$3" -v a="${4:-0}" -v k="${5:-1}" '
        function off(b,   x, f, d) { x = a + (b - a) * k; f = x - int(x); d = f * 12; d -= int(d + 0.5)
                                    return (d < 0 ? -d : d) / 12 }
        $1 == "00" && $2 == 1 { gap[$6] = 1; lastgap = $6; hadgap = 1; next }
        !($1 == "91" && $3 > 0 && $7 == 1 && ($5 - bpm) * ($5 - bpm) < 0.01) || seen[$6]++ { next }
        { after = 0
          if ($10 != "" && hadgap && $6 >= lastgap && $6 - lastgap <= 2 * $9) {
              p = $9 * $5 / (60 * $10); after = $8 == 0 || off($4 - p) <= 0.001 || off($4 - 2 * p) <= 0.001 }
          if (off($4) <= 0.01) g++; else if (($6 in gap) || after) { late++; next }; n++ }
        END { print g + 0, n + 0, late + 0 }'; }
# nine in ten judged onsets on the grid, of at least four, and most onsets judged (one in ten
# may be moved by a cycle run twice, which the probe cannot see)
grid_ok() { set -- $(grid "$@"); [ "$2" -ge 4 ] && [ $((10 * $1)) -ge $((9 * $2)) ] && [ "$3" -le "$2" ]; }

# our notes sounding at the end of a probe log (note-ons minus note-offs, channel 2)
held() { awk '$1 == "91" && $3 > 0 { h[$2]++ } ($1 == "81" || ($1 == "91" && $3 == 0)) && h[$2] > 0 { h[$2]-- }
              END { n = 0; for (p in h) n += h[p]; print n }' "$1"; }
is_held() { [ "$(held "$1")" -gt 0 ]; }

# notes LOG CHANNEL-NIBBLE: "HELD UNENDED EXCUSED GAPS". HELD: notes sounding at the end of the
# log (a note-off or CC123 releases them), -1 on a double on (a key struck again while it
# sounds, with no lost cycle between). A note-on whose own note-off never came before its
# key's next note-on or the log's end is EXCUSED when a lost cycle came after it (the note-off
# may have been in that cycle: the test's own noise, counted), else UNENDED. GAPS: the lost
# cycles.
notes() {
    awk -v on="9$2" -v off="8$2" -v cc="b$2" '
        function close_(k) { if (open[k]) { if (lost[k]) ex++; else un++ } open[k] = 0 }
        $1 == "00" && $2 == 1 { gaps++; for (k in open) lost[k] = 1; next }
        $1 == on && $3 > 0 { if (h[$2] && !lost[$2]) bad = 1; close_($2); h[$2] = open[$2] = 1; lost[$2] = 0; next }
        $1 == off || ($1 == on && $3 == 0) { h[$2] = 0; open[$2] = 0; next }
        $1 == cc && $2 == 123 { for (k in h) h[k] = 0 }
        END { for (k in open) close_(k); n = 0; for (k in h) n += h[k]
              print (bad ? -1 : n), un + 0, ex + 0, gaps + 0 }' "$1"
}

# an answer has just begun: one to three of our note-ons since the last call note-on, and a
# note of ours sounding. A change made now meets the answer near its start, with seconds of it
# still to come also when the machine is loaded; a moment that is missed waits for the next
# answer (a call every 8 s), never for a time.
answer_begun() { awk '$1 == "90" && $3 > 0 { since = 0 } $1 == "91" && $3 > 0 { since++; h[$2]++ }
                      ($1 == "81" || ($1 == "91" && $3 == 0)) && h[$2] > 0 { h[$2]-- }
                      END { n = 0; for (p in h) n += h[p]; exit !(since >= 1 && since <= 3 && n > 0) }' "$1"; }

# went_on LOG BPM: once the host's tempo is BPM, at least one of our note-ons before the next
# call's first note (the answer that was playing went on at the new tempo)
went_on() { awk -v bpm="$2" '($5 - bpm) * ($5 - bpm) < 0.01 { now = 1 } now && $1 == "90" && $3 > 0 { call = 1 }
                 now && !call && $1 == "91" && $3 > 0 { n++ } END { exit !(n > 0) }' "$1"; }
