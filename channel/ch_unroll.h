/* CH_UNROLL(n): unroll the next loop, of a constant trip count of at most n, completely.
 *
 * GCC takes its own pragma with the count. Clang accepts that pragma too but unrolls after its
 * loop vectoriser has run, which then vectorises the small loop over bits or points (two to
 * eight lanes) instead of the loop over symbols around it; asked for a full unroll in its own
 * words, clang unrolls first and vectorises the outer loop, as GCC does (8-PSK max-log 10x
 * faster in the clang build). Private to channel/. */
#ifndef CH_UNROLL_H
#define CH_UNROLL_H

#define CH_PRAGMA(text) _Pragma(#text)
#if defined(__clang__)
#define CH_UNROLL(n) CH_PRAGMA(clang loop unroll(full))
#else
#define CH_UNROLL(n) CH_PRAGMA(GCC unroll n)
#endif

#endif
