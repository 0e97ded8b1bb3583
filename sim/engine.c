/* The pure pieces of the engine: points, the chunk runner, the stop rule and the ordered sum. */
#include "bench.h"
#include "engine.h"
#include "sim_error.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

sim_point sim_point_make(const sim_chain *c, uint64_t seed, unsigned index, double ebn0_db)
{
    /* Es = 1 a symbol: n0 = 1 / (information bits a symbol Eb/N0) */
    double n0 = pow(10.0, -ebn0_db / 10) / sim_chain_info_per_symbol(c);
    return (sim_point){.seed = seed, .index = index, .ebn0_db = ebn0_db, .n0 = (float)n0};
}

void sim_engine_run_chunk(sim_chain_worker *w, const sim_point *p, uint64_t chunk,
                          sim_counts *out)
{
    sim_chain_run_chunk(w, p->seed, (uint64_t)p->index << 40 | chunk, p->n0, out);
}

sim_stop_rule sim_stop_rule_make(const sim_chain *c, uint64_t min_errors,
                                 uint64_t min_block_errors, uint64_t max_bits)
{
    bool memory = sim_link_has_memory(sim_chain_link(c));
    return (sim_stop_rule){min_errors, min_block_errors, max_bits,
                           memory ? SIM_ENGINE_MIN_CHUNKS_MEMORY : 1};
}

bool sim_stop_reached(const sim_stop_rule *rule, const sim_counts *sum)
{
    bool enough_errors = sum->bit_errors >= rule->min_errors &&
                         sum->block_errors >= rule->min_block_errors &&
                         sum->chunks >= rule->min_chunks;
    return enough_errors || sum->bits >= rule->max_bits || sum->chunks >= SIM_ENGINE_MAX_CHUNKS;
}

int sim_ordered_sum_init(sim_ordered_sum *s, const sim_chain *c, const sim_point *p,
                         const sim_stop_rule *rule, uint64_t window)
{
    memset(s, 0, sizeof *s);
    s->rule = *rule;
    s->window = window > SIM_ENGINE_WINDOW ? window : SIM_ENGINE_WINDOW;
    s->ring = malloc(s->window * sizeof *s->ring);
    s->ready = calloc(s->window, sizeof *s->ready);
    s->total.ebn0_db = p->ebn0_db;
    s->total.esn0_db = p->ebn0_db + 10 * log10(sim_chain_info_per_symbol(c));
    if (s->ring && s->ready) return SIM_OK;
    sim_ordered_sum_destroy(s);
    return sim_error(SIM_ENOMEM, "out of memory");
}

void sim_ordered_sum_destroy(sim_ordered_sum *s)
{
    free(s->ring);
    free(s->ready);
    free(s->last);
    s->ring = NULL;
    s->ready = NULL;
    s->last = NULL;
}

bool sim_ordered_sum_has_room(const sim_ordered_sum *s, uint64_t chunk)
{
    return chunk < s->summed + s->window;
}

void sim_counts_add(sim_counts *total, const sim_counts *c)
{
    total->bits += c->bits;
    total->bit_errors += c->bit_errors;
    total->symbols += c->symbols;
    total->symbol_errors += c->symbol_errors;
    total->blocks += c->blocks;
    total->block_errors += c->block_errors;
    total->chunks += c->chunks;
    total->chunk_error_sq += c->chunk_error_sq;
    total->chunk_block_sq += c->chunk_block_sq;
    total->units += c->units;
    total->unit_error_sq += c->unit_error_sq;
    total->unit_block_sq += c->unit_block_sq;
}

int sim_ordered_sum_by_groups(sim_ordered_sum *s, unsigned span,
                              void (*recount)(void *user, uint64_t chunk, sim_counts *out),
                              void *user)
{
    s->span = span, s->recount = recount, s->recount_user = user;
    s->last = malloc(s->window * sizeof *s->last);
    return s->last ? SIM_OK : sim_error(SIM_ENOMEM, "out of memory");
}

/* total - c, field by field (exact: every field is an integer, or a double holding one). */
static void sub_counts(sim_counts *total, const sim_counts *c)
{
    total->bits -= c->bits;
    total->bit_errors -= c->bit_errors;
    total->symbols -= c->symbols;
    total->symbol_errors -= c->symbol_errors;
    total->blocks -= c->blocks;
    total->block_errors -= c->block_errors;
    total->chunks -= c->chunks;
    total->chunk_error_sq -= c->chunk_error_sq;
    total->chunk_block_sq -= c->chunk_block_sq;
    total->units -= c->units;
    total->unit_error_sq -= c->unit_error_sq;
    total->unit_block_sq -= c->unit_block_sq;
}

/* Entry s->summed, a group that meets the rule: its chunks again, one by one. */
static void add_group_by_chunks(sim_ordered_sum *s)
{
    uint64_t first = s->summed * s->span;
    for (unsigned j = 0; j < s->span && !s->done; j++) {
        sim_counts c;
        s->recount(s->recount_user, first + j, &c);
        sim_counts_add(&s->total, &c);
        s->done = sim_stop_reached(&s->rule, &s->total);
    }
}

/* Entry `slot` into the total: a chunk, or a group, whole unless the rule is met before its
 * last chunk. */
static void add_entry(sim_ordered_sum *s, size_t slot)
{
    sim_counts_add(&s->total, &s->ring[slot]);
    s->done = sim_stop_reached(&s->rule, &s->total);
    if (!s->done || s->span <= 1) return;
    sim_counts before_last = s->total;
    sub_counts(&before_last, &s->last[slot]);
    if (!sim_stop_reached(&s->rule, &before_last)) return; /* met at the last chunk */
    sub_counts(&s->total, &s->ring[slot]);
    s->done = false;
    add_group_by_chunks(s);
}

void sim_ordered_sum_add(sim_ordered_sum *s, uint64_t chunk, const sim_counts *c)
{
    s->ring[chunk % s->window] = *c;
    s->ready[chunk % s->window] = true;
    while (!s->done && s->ready[s->summed % s->window]) {
        size_t slot = s->summed % s->window;
        s->ready[slot] = false;
        add_entry(s, slot);
        s->summed++;
    }
}

void sim_ordered_sum_add_group(sim_ordered_sum *s, uint64_t g, const sim_counts *sum,
                               const sim_counts *last)
{
    s->last[g % s->window] = *last;
    sim_ordered_sum_add(s, g, sum);
}

void sim_progress_start(sim_progress_clock *c)
{
    c->start = c->last = sim_bench_now();
}

bool sim_progress_due(sim_progress_clock *c, const sim_engine_config *cfg,
                      const sim_ordered_sum *s, sim_counts *snapshot, double *seconds)
{
    double now = sim_bench_now();
    if (!cfg->progress || now - c->last < 0.25) return false;
    c->last = now;
    *snapshot = s->total;
    *seconds = now - c->start;
    return true;
}

void sim_progress_report(const sim_engine_config *cfg, const sim_counts *snapshot,
                         double seconds)
{
    cfg->progress(snapshot, seconds > 0 ? (double)snapshot->bits / seconds : 0, seconds,
                  cfg->progress_user);
}

void sim_counts_interval(const sim_counts *c, bool blocks, double level, double *lo, double *hi)
{
    uint64_t k = blocks ? c->block_errors : c->bit_errors, n = blocks ? c->blocks : c->bits;
    if (c->units)
        sim_rate_interval(k, n, c->units, blocks ? c->unit_block_sq : c->unit_error_sq, level,
                          lo, hi);
    else if (k == 0) /* chunks are the engine's, not the link's: no error says nothing of them */
        sim_clopper_pearson(0, n, level, lo, hi);
    else
        sim_rate_interval(k, n, c->chunks, blocks ? c->chunk_block_sq : c->chunk_error_sq, level,
                          lo, hi);
}
