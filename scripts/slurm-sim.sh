#!/usr/bin/env bash
# An example Slurm batch script: one bersim sweep over every rank of the allocation, a rank a
# node with a thread a core (README: MPI ranks). Edit the #SBATCH lines and the link, then
#     sbatch scripts/slurm-sim.sh
# Ten minutes before the time limit Slurm sends SIGTERM to the ranks (--signal): rank 0 writes
# the finished rows and the job ends with status 130; submit the script again and it resumes
# the table (--resume) instead of starting over.
#SBATCH --job-name=bersim
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=32
#SBATCH --time=12:00:00
#SBATCH --signal=TERM@600
#SBATCH --output=bersim-%j.log
set -euo pipefail

table=${TABLE:-ber.tsv}
threads=${SLURM_CPUS_PER_TASK:-1} # threads per rank: the cores Slurm gave each task

if [ -f "$table" ] && grep -q '^# stopped: interrupted' "$table"; then
    run=(sim --resume "$table" --threads "$threads" --progress)
else
    run=(sim --mod 16qam --channel rayleigh --coherence 8 --csi pilot --ebn0 0:2:30
         --min-errors 1000 --max-bits 1e12 --seed 1 --threads "$threads" --progress
         -o "$table")
fi

# srun starts the ranks through PMIx and ends the step when one dies (--kill-on-bad-exit), so a
# lost node ends the run without a table rather than leaving it waiting. Without srun's PMIx:
#     mpirun -q --map-by ppr:1:node --bind-to none bersim "${run[@]}"
exec srun --mpi=pmix --kill-on-bad-exit=1 --cpu-bind=none bersim "${run[@]}"
