/* The link options every subcommand shares: --mod, --constellation, --channel, --k-factor,
 * --coherence, --doppler; and the link (modem and channel) they describe. */
#ifndef SIM_LINK_OPTIONS_H
#define SIM_LINK_OPTIONS_H

#include <stdbool.h>

#include <channel.h>

#include "table.h"

typedef struct {
    const char *mod;           /* --mod name, or NULL */
    const char *constellation; /* --constellation FILE, or NULL */
    ch_mod_kind mod_kind;
    const char *channel;       /* --channel name, or NULL */
    ch_fading_config fading;
    bool k_given, coherence_given, doppler_given;
    bool pilots;               /* --csi pilot */
} sim_link_options;

/* A link made from its options. */
typedef struct {
    ch_modem *modem;        /* owned */
    ch_fading_config fading;
    unsigned pilot_spacing; /* 0: perfect CSI; N: one pilot every N symbols, no CSI */
} sim_link;

/* Sets o to its defaults: no modulation or channel chosen, fast fading, perfect CSI. */
void sim_link_options_init(sim_link_options *o);

/* Which link options a command takes, for its help. */
enum { SIM_LINK_HELP_CONSTELLATION = 1, SIM_LINK_HELP_CSI = 2 };

/* Prints the help lines of the link options; flags add the optional ones (SIM_LINK_HELP_*). */
void sim_link_options_help(unsigned flags);

/* If argv[*i] is a link option, takes it and its value (advancing *i) and returns 0, or -1 with
 * an error printed when the value is bad; returns 1 when argv[*i] is not a link option. */
int sim_link_options_parse(sim_link_options *o, int argc, char **argv, int *i);

/* Checks that the options are complete and consistent. With --csi pilot the channel must fade,
 * in blocks of --coherence N >= 2 symbols (a pilot leads each block), or with --doppler, where
 * --coherence N then sets the pilot spacing. 0, or -1 with an error printed. */
int sim_link_options_check(const sim_link_options *o);

/* The rate left for data by one pilot per block of `spacing` symbols: (N-1)/N, 1 for none. */
double sim_pilot_rate(unsigned spacing);

/* Makes the link (loads a custom constellation). 0, or -1 with an error printed. */
int sim_link_create(const sim_link_options *o, sim_link *link);

/* Frees what sim_link_create made (the modem); the struct itself is the caller's. */
void sim_link_destroy(sim_link *link);

/* Writes the modulation and channel metadata lines. */
void sim_link_write_meta(const sim_link *link, sim_table *t);

/* A one-line description of the channel ("rician K=3 fast"), into buf. */
void sim_link_channel_text(const ch_fading_config *f, char *buf, size_t size);

#endif
