/* midi_check.c: checks every byte of a Standard MIDI File and rewrites it as a clean,
 * canonical buffer before libsmf sees it, because libsmf 1.3 overflows its heap or aborts
 * on truncated events, a missing End-of-Track or a chunk length past the end of the file.
 *
 * The clean buffer holds a 6-byte MThd and only MTrk chunks, each made of the events the
 * reader uses (notes, CC64, program, tempo, time signature), with explicit status bytes
 * (running status expanded), delta times of dropped events carried over, and exactly one
 * End-of-Track. Repairs: a missing End-of-Track is added; a last chunk whose length runs
 * past the end of the file is cut to the file when its events parse cleanly; a chunk whose
 * length swallows the next MTrk is resynchronised at its End-of-Track; unknown chunks and
 * trailing junk after the declared tracks are skipped. Anything else is one clear error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bytebuf.h"
#include "midi.h"

static void put_varlen(cn_bytebuf *o, uint32_t v) {
    uint8_t tmp[4]; int n = 0;
    tmp[n++] = v & 0x7f;
    while ((v >>= 7) && n < 4) tmp[n++] = (uint8_t)(0x80 | (v & 0x7f));
    while (n) cn_bytebuf_byte(o, tmp[--n]);
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Result of reading one piece of a track: OK, cut by the end of the bytes, or malformed. */
enum { RD_OK = 0, RD_CUT = 1, RD_BAD = 2 };

static int read_varlen(const uint8_t *b, size_t end, size_t *pos, uint32_t *val) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (*pos >= end) return RD_CUT;
        uint8_t c = b[(*pos)++];
        v = (v << 7) | (c & 0x7f);
        if (!(c & 0x80)) { *val = v; return RD_OK; }
    }
    return RD_BAD;
}

/* The largest absolute tick a track may reach: the largest delta a 4-byte variable-length
 * quantity holds, so that a delta carried over dropped events is written exactly (libsmf
 * keeps pulses in an int, which this also fits). */
#define MAX_TRACK_TICKS 0x0fffffffu

typedef struct {
    const uint8_t *b;
    size_t body, end;      /* first byte of the track's events, first byte after them */
    size_t stop;           /* where parsing stopped (after EOT, or at end) */
    int found_eot;
    char why[160];         /* problem text when RD_BAD / RD_CUT */
} track_scan;

/* Parses one track's events from t->body to t->end and appends its canonical form to o
 * (without the chunk header). Returns RD_OK, RD_CUT (an event crosses t->end) or RD_BAD. */
static int scan_track(track_scan *t, cn_bytebuf *o) {
    const uint8_t *b = t->b;
    size_t pos = t->body;
    uint8_t running = 0;
    uint64_t pending = 0, abs_ticks = 0;  /* ticks since the last kept event; track time */
    t->found_eot = 0;
    while (pos < t->end) {
        size_t ev_at = pos;
        uint32_t delta;
        int r = read_varlen(b, t->end, &pos, &delta);
        if (r == RD_BAD) { snprintf(t->why, sizeof t->why, "byte %zu: delta time longer than 4 bytes", ev_at); return RD_BAD; }
        if (r == RD_CUT) { snprintf(t->why, sizeof t->why, "byte %zu: event cut off", ev_at); return RD_CUT; }
        pending += delta; abs_ticks += delta;
        if (abs_ticks > MAX_TRACK_TICKS) { snprintf(t->why, sizeof t->why, "byte %zu: track longer than %u ticks", ev_at, MAX_TRACK_TICKS); return RD_BAD; }
        if (pos >= t->end) { snprintf(t->why, sizeof t->why, "byte %zu: event cut off", ev_at); return RD_CUT; }
        uint8_t st = b[pos];
        if (st < 0x80) {
            if (!running) { snprintf(t->why, sizeof t->why, "byte %zu: data byte 0x%02x with no running status", pos, st); return RD_BAD; }
            st = running;
        } else {
            pos++;
        }
        if (st < 0xf0) {
            running = st;
            int hi = st & 0xf0, nd = (hi == 0xc0 || hi == 0xd0) ? 1 : 2;
            if (pos + (size_t)nd > t->end) { snprintf(t->why, sizeof t->why, "byte %zu: event cut off", ev_at); return RD_CUT; }
            for (int i = 0; i < nd; i++)
                if (b[pos + i] & 0x80) {
                    snprintf(t->why, sizeof t->why, "byte %zu: status byte 0x%02x where a data byte belongs", pos + i, b[pos + i]);
                    return RD_BAD;
                }
            int keep = hi == 0x80 || hi == 0x90 || hi == 0xc0 || (hi == 0xb0 && b[pos] == 64);
            if (keep) {
                put_varlen(o, (uint32_t)pending); pending = 0;
                cn_bytebuf_byte(o, st); cn_bytebuf_put(o, b + pos, (size_t)nd);
            }
            pos += (size_t)nd;
        } else if (st == 0xf0 || st == 0xf7) {
            uint32_t len;
            r = read_varlen(b, t->end, &pos, &len);
            if (r == RD_BAD) { snprintf(t->why, sizeof t->why, "byte %zu: sysex length longer than 4 bytes", ev_at); return RD_BAD; }
            if (r == RD_CUT || len > t->end - pos) { snprintf(t->why, sizeof t->why, "byte %zu: sysex event cut off", ev_at); return RD_CUT; }
            pos += len;
        } else if (st == 0xff) {
            if (pos >= t->end) { snprintf(t->why, sizeof t->why, "byte %zu: meta event cut off", ev_at); return RD_CUT; }
            uint8_t type = b[pos++];
            uint32_t len;
            r = read_varlen(b, t->end, &pos, &len);
            if (r == RD_BAD) { snprintf(t->why, sizeof t->why, "byte %zu: meta length longer than 4 bytes", ev_at); return RD_BAD; }
            if (r == RD_CUT || len > t->end - pos) { snprintf(t->why, sizeof t->why, "byte %zu: meta event cut off", ev_at); return RD_CUT; }
            const uint8_t *d = b + pos;
            pos += len;
            if (type == 0x2f) { t->found_eot = 1; break; }
            if (type == 0x51 && len == 3 && (d[0] | d[1] | d[2])) {
                uint8_t ev[3] = { 0xff, 0x51, 3 };
                put_varlen(o, (uint32_t)pending); pending = 0;
                cn_bytebuf_put(o, ev, 3); cn_bytebuf_put(o, d, 3);
            } else if (type == 0x58 && len >= 4 && d[0] > 0 && d[1] < 8) {
                uint8_t ev[3] = { 0xff, 0x58, 4 };
                put_varlen(o, (uint32_t)pending); pending = 0;
                cn_bytebuf_put(o, ev, 3); cn_bytebuf_put(o, d, 4);
            }
        } else {
            snprintf(t->why, sizeof t->why, "byte %zu: status 0x%02x is not allowed in a MIDI file", ev_at, st);
            return RD_BAD;
        }
    }
    t->stop = pos;
    uint8_t eot[3] = { 0xff, 0x2f, 0 };
    put_varlen(o, (uint32_t)pending);
    cn_bytebuf_put(o, eot, 3);
    return RD_OK;
}

static int fail(char *err, size_t errlen, const char *name, const char *fmt, const char *detail, long a, long b) {
    char what[256];
    snprintf(what, sizeof what, fmt, a, b);
    if (detail) snprintf(err, errlen, "%s: %s: %s", name, what, detail);
    else snprintf(err, errlen, "%s: %s", name, what);
    return -1;
}

static int is_chunk_id(const uint8_t *p) {
    for (int i = 0; i < 4; i++) if (p[i] < 0x20 || p[i] > 0x7e) return 0;
    return 1;
}

int cn_midi_clean(const uint8_t *buf, size_t len, const char *name, uint8_t **out, size_t *out_len,
                  int *repaired, char *err, size_t errlen) {
    *out = NULL; *out_len = 0;
    if (repaired) *repaired = 0;
    if (len == 0) return fail(err, errlen, name, "empty file", NULL, 0, 0);
    if (len < 4 || memcmp(buf, "MThd", 4) != 0) return fail(err, errlen, name, "not a MIDI file (no MThd header)", NULL, 0, 0);
    if (len < 14) return fail(err, errlen, name, "truncated file (header cut off at %ld bytes)", NULL, (long)len, 0);
    uint32_t hlen = be32(buf + 4);
    if (hlen < 6) return fail(err, errlen, name, "bad header length %ld (expected 6)", NULL, (long)hlen, 0);
    if (hlen > len - 8) return fail(err, errlen, name, "truncated file (header length %ld past the end)", NULL, (long)hlen, 0);
    int format = buf[8] << 8 | buf[9];
    int ntracks = buf[10] << 8 | buf[11];
    int division = buf[12] << 8 | buf[13];
    if (format > 2) return fail(err, errlen, name, "unknown format %ld", NULL, format, 0);
    if (format == 2) return fail(err, errlen, name, "format 2 (independent sequences) is not supported", NULL, 0, 0);
    if (division & 0x8000) return fail(err, errlen, name, "SMPTE division (frames per second) is not supported", NULL, 0, 0);
    if (division == 0) return fail(err, errlen, name, "zero division (ticks per quarter note)", NULL, 0, 0);

    cn_bytebuf o = { 0 };
    uint8_t hdr[14] = { 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 0, (uint8_t)(division >> 8), (uint8_t)division };
    cn_bytebuf_put(&o, hdr, sizeof hdr);
    int found = 0, fixed = 0;
    size_t pos = 8 + hlen;
    while (pos + 8 <= len && found < 0xffff) {
        const uint8_t *id = buf + pos;
        uint32_t clen = be32(buf + pos + 4);
        size_t avail = len - (pos + 8);
        if (memcmp(id, "MTrk", 4) != 0) {
            if (found >= ntracks && found > 0) { fixed |= CN_MIDI_FIX_JUNK; break; }   /* junk after the tracks */
            if (!is_chunk_id(id)) {
                cn_bytebuf_free(&o);
                return fail(err, errlen, name, "byte %ld: expected a track chunk (MTrk) but found garbage (track %ld)", NULL, (long)pos, found + 1);
            }
            if (clen >= avail) break;                                      /* unknown last chunk */
            pos += 8 + (size_t)clen;
            continue;
        }
        int clamped = clen > avail;
        track_scan t = { .b = buf, .body = pos + 8, .end = pos + 8 + (clamped ? avail : clen) };
        size_t chunk_at = o.n;
        cn_bytebuf_put(&o, (const uint8_t *)"MTrk\0\0\0\0", 8);
        int r = scan_track(&t, &o);
        if (r != RD_OK) {
            cn_bytebuf_free(&o);
            if (r == RD_CUT && clamped)
                return fail(err, errlen, name, "truncated file: track %ld is cut off in the middle of an event", t.why, found + 1, 0);
            if (r == RD_CUT)
                return fail(err, errlen, name, "track %ld: wrong chunk length %ld: an event runs past the chunk end", t.why, found + 1, (long)clen);
            return fail(err, errlen, name, "track %ld", t.why, found + 1, 0);
        }
        if (!t.found_eot) fixed |= CN_MIDI_FIX_EOT;
        if (clamped) fixed |= CN_MIDI_FIX_CUT;
        if (o.oom) break;
        uint32_t body_len = (uint32_t)(o.n - chunk_at - 8);
        o.p[chunk_at + 4] = (uint8_t)(body_len >> 24); o.p[chunk_at + 5] = (uint8_t)(body_len >> 16);
        o.p[chunk_at + 6] = (uint8_t)(body_len >> 8);  o.p[chunk_at + 7] = (uint8_t)body_len;
        found++;
        size_t next = clamped ? len : pos + 8 + (size_t)clen;
        /* A length that swallows the next track: resume at the End-of-Track when an MTrk follows it. */
        if (t.found_eot && t.stop < next && t.stop + 4 <= len && memcmp(buf + t.stop, "MTrk", 4) == 0 &&
            (next + 4 > len || memcmp(buf + next, "MTrk", 4) != 0)) {
            next = t.stop; fixed |= CN_MIDI_FIX_RESYNC;
        }
        pos = next;
    }
    if (o.oom) { cn_bytebuf_free(&o); return fail(err, errlen, name, "out of memory", NULL, 0, 0); }
    if (found == 0) {
        cn_bytebuf_free(&o);
        return fail(err, errlen, name, pos + 8 > len && len > 8 + hlen ? "truncated file: no complete track chunk" : "no track chunk (MTrk)", NULL, 0, 0);
    }
    if (found < ntracks) fixed |= CN_MIDI_FIX_FEWER_TRACKS;
    if (found > ntracks) fixed |= CN_MIDI_FIX_MORE_TRACKS;
    int outfmt = found > 1 ? 1 : format;
    o.p[8] = 0; o.p[9] = (uint8_t)outfmt;
    o.p[10] = (uint8_t)(found >> 8); o.p[11] = (uint8_t)found;
    *out = o.p; *out_len = o.n;
    if (repaired) *repaired = fixed;
    return 0;
}

void cn_midi_repairs_text(int fixed, char *buf, size_t len) {
    static const struct { int bit; const char *text; } what[] = {
        { CN_MIDI_FIX_CUT, "a track runs past the end of the file (cut there: the file is truncated)" },
        { CN_MIDI_FIX_FEWER_TRACKS, "the header claims more tracks than the file holds" },
        { CN_MIDI_FIX_MORE_TRACKS, "the file holds more tracks than the header claims" },
        { CN_MIDI_FIX_RESYNC, "a track length runs into the next track" },
        { CN_MIDI_FIX_EOT, "a track has no End-of-Track" },
        { CN_MIDI_FIX_JUNK, "bytes after the last track were skipped" },
    };
    size_t k = 0;
    if (len) buf[0] = 0;
    for (size_t i = 0; i < sizeof what / sizeof what[0] && k < len; i++)
        if (fixed & what[i].bit) k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? "; " : "", what[i].text);
}
