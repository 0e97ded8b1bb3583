/* CH_UNROLL(n): unroll the next loop, of a constant trip count of at most n, completely.
 *
 * GCC takes its own pragma with the count. Clang accepts that pragma too but unrolls after its
 * loop vectoriser has run, which then vectorises the small loop over bits or points (two to
 * eight lanes) instead of the loop over symbols around it; asked for a full unroll in its own
 * words, clang unrolls first and vectorises the outer loop, as GCC does (8-PSK max-log 10x
 * faster in the clang build).
 *
 * CH_NO_UNROLL: keep the next loop rolled. For loops whose body is already many vector
 * registers wide (the generator's step over 32 lanes): clang unrolled them completely and
 * spilled the state to the stack (the Gaussian generator 1.5x slower than GCC's); GCC keeps
 * them rolled by itself. Private to channel/. */
#ifndef CH_UNROLL_H
#define CH_UNROLL_H

#define CH_PRAGMA(text) _Pragma(#text)
#if defined(__clang__)
#define CH_UNROLL(n) CH_PRAGMA(clang loop unroll(full))
#define CH_NO_UNROLL CH_PRAGMA(clang loop unroll(disable))
#else
#define CH_UNROLL(n) CH_PRAGMA(GCC unroll n)
#define CH_NO_UNROLL
#endif

#endif
