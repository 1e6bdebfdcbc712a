/* midi_msg.c: whether a short live MIDI message is well formed, for what the engine and the
 * front ends pass through: a status byte, then exactly the data bytes that status takes, each
 * below 0x80. A system-exclusive message is whole (F0 ... F7) or not passed at all. */
#include "midi.h"

int cn_midi_msg_ok(const uint8_t *d, size_t n) {
    if (n < 1 || !(d[0] & 0x80)) return 0;
    size_t want;
    switch (d[0] & 0xF0) {
    case 0xC0: case 0xD0: want = 2; break;
    case 0xF0:
        switch (d[0]) {
        case 0xF0:   /* sysex: whole, with its end, data bytes between */
            if (n < 2 || d[n - 1] != 0xF7) return 0;
            for (size_t i = 1; i + 1 < n; i++) if (d[i] & 0x80) return 0;
            return 1;
        case 0xF1: case 0xF3: want = 2; break;
        case 0xF2: want = 3; break;
        case 0xF6: case 0xF8: case 0xFA: case 0xFB: case 0xFC: case 0xFE: case 0xFF: want = 1; break;
        default: return 0;   /* F4 F5 F9 FD are undefined; a lone F7 ends nothing */
        }
        break;
    default: want = 3; break;
    }
    if (n != want) return 0;
    for (size_t i = 1; i < n; i++) if (d[i] & 0x80) return 0;
    return 1;
}
