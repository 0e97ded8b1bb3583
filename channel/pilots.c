#include "pilots.h"

#include <stdlib.h>
#include <string.h>

#include "ch_error.h"

struct ch_pilots {
    unsigned n_time, n_freq;
    size_t frame, n_pilot, n_data;
    uint8_t *mask;
    uint32_t *data_pos, *pilot_pos;
    float complex *value; /* [n_pilot] each pilot's symbol, or NULL: all CH_PILOT */
};

ch_pilots *ch_pilots_create_grid(unsigned n_time, unsigned n_freq, const uint8_t *mask)
{
    const char *fn = "ch_pilots_create";
    size_t frame = (size_t)n_time * n_freq;
    if (!mask || n_time == 0 || n_freq == 0 || frame > CH_PILOTS_MAX_FRAME)
        return ch_error(CH_EINVAL, "%s: a %u x %u frame, not 1 to %u positions", fn, n_time,
                        n_freq, CH_PILOTS_MAX_FRAME), NULL;
    size_t n_pilot = 0;
    for (size_t i = 0; i < frame; i++) n_pilot += mask[i] != 0;
    if (n_pilot == 0 || n_pilot == frame)
        return ch_error(CH_EINVAL, "%s: %zu pilots in a frame of %zu: need pilots and data", fn,
                        n_pilot, frame), NULL;
    ch_pilots *p = calloc(1, sizeof *p);
    if (!p) goto nomem;
    *p = (ch_pilots){.n_time = n_time, .n_freq = n_freq, .frame = frame, .n_pilot = n_pilot,
                     .n_data = frame - n_pilot};
    p->mask = malloc(frame);
    p->data_pos = malloc(p->n_data * sizeof *p->data_pos);
    p->pilot_pos = malloc(n_pilot * sizeof *p->pilot_pos);
    if (!p->mask || !p->data_pos || !p->pilot_pos) goto nomem;
    size_t d = 0, q = 0;
    for (size_t i = 0; i < frame; i++) {
        p->mask[i] = mask[i] != 0;
        if (p->mask[i])
            p->pilot_pos[q++] = (uint32_t)i;
        else
            p->data_pos[d++] = (uint32_t)i;
    }
    return p;
nomem:
    ch_pilots_destroy(p);
    return ch_error(CH_ENOMEM, "%s: out of memory", fn), NULL;
}

ch_pilots *ch_pilots_create_block(unsigned spacing)
{
    if (spacing < 2 || spacing > CH_PILOTS_MAX_FRAME)
        return ch_error(CH_EINVAL, "ch_pilots_create_block: spacing=%u, not 2 to %u", spacing,
                        CH_PILOTS_MAX_FRAME), NULL;
    uint8_t *mask = calloc(spacing, 1);
    if (!mask) return ch_error(CH_ENOMEM, "ch_pilots_create_block: out of memory"), NULL;
    mask[0] = 1;
    ch_pilots *p = ch_pilots_create_grid(spacing, 1, mask);
    free(mask);
    return p;
}

void ch_pilots_destroy(ch_pilots *p)
{
    if (!p) return;
    free(p->mask);
    free(p->data_pos);
    free(p->pilot_pos);
    free(p->value);
    free(p);
}

size_t ch_pilots_frame(const ch_pilots *p) { return p->frame; }
size_t ch_pilots_n_pilot(const ch_pilots *p) { return p->n_pilot; }
size_t ch_pilots_n_data(const ch_pilots *p) { return p->n_data; }
unsigned ch_pilots_n_time(const ch_pilots *p) { return p->n_time; }
unsigned ch_pilots_n_freq(const ch_pilots *p) { return p->n_freq; }

bool ch_pilots_is_pilot(const ch_pilots *p, size_t i)
{
    return i < p->frame && p->mask[i];
}

double ch_pilots_rate(const ch_pilots *p)
{
    return (double)p->n_data / (double)p->frame;
}

const uint32_t *ch_pilots_data_positions(const ch_pilots *p) { return p->data_pos; }
const uint32_t *ch_pilots_pilot_positions(const ch_pilots *p) { return p->pilot_pos; }

int ch_pilots_set_values(ch_pilots *p, const float complex *values)
{
    float complex *v = malloc(p->n_pilot * sizeof *v);
    if (!v) return ch_error(CH_ENOMEM, "ch_pilots_set_values: out of memory");
    memcpy(v, values, p->n_pilot * sizeof *v);
    free(p->value);
    p->value = v;
    return CH_OK;
}

float complex ch_pilots_value(const ch_pilots *p, size_t j)
{
    return p->value ? p->value[j] : CH_PILOT;
}

void ch_pilots_insert(const ch_pilots *p, size_t nframes, const float complex *data,
                      float complex *grid)
{
    for (size_t f = 0; f < nframes; f++) {
        float complex *g = grid + f * p->frame;
        const float complex *x = data + f * p->n_data;
        /* Data first, front to back, then pilots: in place, each write lands at or before the
         * next read (see the header). */
        for (size_t j = 0; j < p->n_data; j++) g[p->data_pos[j]] = x[j];
        for (size_t j = 0; j < p->n_pilot; j++) g[p->pilot_pos[j]] = ch_pilots_value(p, j);
    }
}

void ch_pilots_split(const ch_pilots *p, size_t nframes, const float complex *grid,
                     float complex *data, float complex *pilots)
{
    for (size_t f = 0; f < nframes; f++) {
        const float complex *g = grid + f * p->frame;
        if (data)
            for (size_t j = 0; j < p->n_data; j++) data[f * p->n_data + j] = g[p->data_pos[j]];
        if (pilots)
            for (size_t j = 0; j < p->n_pilot; j++)
                pilots[f * p->n_pilot + j] = g[p->pilot_pos[j]];
    }
}
