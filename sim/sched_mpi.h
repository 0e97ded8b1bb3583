/* MPI ranks (sched_mpi.c, built with BERSIM_MPI): rank 0 runs the sweep and keeps each point's
 * ordered sum; every rank's threads run groups of chunks claimed from rank 0 (README: Design).
 * A process that mpirun or srun did not start as one of several ranks is rank 0 of 1, and then
 * nothing here touches MPI: the run is the single-process one. Without BERSIM_MPI these are the
 * one-rank stubs below. */
#ifndef SIM_SCHED_MPI_H
#define SIM_SCHED_MPI_H

#include "engine.h"

#ifdef BERSIM_MPI

/* Joins the other ranks when the process was started as one of several (MPI_Init_thread);
 * ranks other than 0 then write nothing on stdout and keep their stderr for sim_mpi_agree.
 * Returns SIM_OK, or SIM_EIO when MPI cannot start. */
int sim_mpi_start(void);

/* This process's rank and the number of ranks (0 and 1 without MPI). */
int sim_mpi_rank(void);
int sim_mpi_ranks(void);

/* Collective, once before the first point: every rank's set-up status (0: ready) and thread
 * count. Returns the status of the first rank that failed, whose one-line message rank 0 prints
 * (its own, or the other rank's named by its rank), or 0 when all are ready. The files in
 * paths (at most SIM_MPI_AGREE_FILES; NULL: none) must hold the same bytes on every rank, else
 * usage status. */
#define SIM_MPI_AGREE_FILES 4
int sim_mpi_agree(int status, int threads, const char *const *paths, size_t npaths);

/* Rank 0: point point_index at ebn0_db over every rank, as sim_engine_run_point. */
int sim_mpi_run_point(const sim_engine_config *cfg, unsigned point_index, double ebn0_db,
                      sim_counts *out);

/* Rank 0: no more points; the other ranks' sim_mpi_serve returns. */
void sim_mpi_end_points(void);

/* Ranks other than 0: run the chunks rank 0 hands out, point after point, until it ends the
 * points. Returns SIM_OK or SIM_ENOMEM. */
int sim_mpi_serve(const sim_engine_config *cfg);

/* Collective, last: MPI is finalised; rank 0 returns its status, the other ranks 0 (mpirun and
 * srun pass rank 0's on). */
int sim_mpi_finish(int status);

/* Rank 0's share of the claim protocol since the start: groups of chunks other ranks ran,
 * messages it read and sent (claims, replies, final words), and the seconds it spent
 * reading and answering them (its cost of the protocol). */
void sim_mpi_message_counts(uint64_t *groups, uint64_t *messages, double *seconds);

#else

static inline int sim_mpi_start(void) { return 0; }
static inline int sim_mpi_rank(void) { return 0; }
static inline int sim_mpi_ranks(void) { return 1; }
static inline int sim_mpi_agree(int status, int threads, const char *const *paths, size_t n)
{
    (void)threads, (void)paths, (void)n;
    return status;
}
static inline int sim_mpi_run_point(const sim_engine_config *cfg, unsigned point_index,
                                    double ebn0_db, sim_counts *out)
{
    return sim_engine_run_point(cfg, point_index, ebn0_db, out);
}
static inline void sim_mpi_end_points(void) {}
static inline int sim_mpi_serve(const sim_engine_config *cfg) { return (void)cfg, 0; }
static inline int sim_mpi_finish(int status) { return status; }
static inline void sim_mpi_message_counts(uint64_t *groups, uint64_t *messages,
                                          double *seconds)
{
    *groups = *messages = 0;
    *seconds = 0;
}

#endif

#endif
