/* The training loop and its learning curve. */
#include <math.h>
#include <string.h>

#include "nn_checkpoint.h"
#include "nn_internal.h"
#include "nn_train.h"

/* Everything a run needs, allocated before the first step. */
typedef struct {
    float *x, *y;         /* one training batch */
    float *val_x, *val_y; /* the validation set */
    nn_train_row *rows;
    size_t n_rows, max_rows;
    nn_workspace *ws; /* validation passes */
} run_state;

static int has_newline(const char *s)
{
    return s && (strchr(s, '\n') || strchr(s, '\r'));
}

static int check_config(const nn_net *net, const nn_optim *opt, const nn_train_config *cfg)
{
    if (!net || !opt || !cfg)
        return nn_error(NN_EINVAL, "nn_train: no network, optimizer or config");
    nn_layer_info last;
    nn_net_layer_info(net, nn_net_n_layers(net) - 1, &last);
    if (last.spec.kind != NN_LAYER_LOSS)
        return nn_error(NN_EINVAL, "nn_train: the network has no loss layer");
    if (nn_optim_n_params(opt) != nn_net_n_params(net))
        return nn_error(NN_EINVAL, "nn_train: optimizer made for %zu parameters, network has %zu",
                        nn_optim_n_params(opt), nn_net_n_params(net));
    if (cfg->steps < 1 || !cfg->source)
        return nn_error(NN_EINVAL, "nn_train: needs steps >= 1 and a sample source");
    if (cfg->batch < 1 || cfg->batch > nn_net_max_batch(net))
        return nn_error(NN_EINVAL, "nn_train: batch=%zu not in 1..%zu (the network's max_batch)",
                        cfg->batch, nn_net_max_batch(net));
    if (cfg->val_every < 1 || cfg->val_samples < 1 || cfg->val_samples > NN_MAX_BATCH)
        return nn_error(NN_EINVAL, "nn_train: needs val_every >= 1 and val_samples in 1..%u",
                        NN_MAX_BATCH);
    if (cfg->curve_n_meta && !cfg->curve_meta)
        return nn_error(NN_EINVAL, "nn_train: curve_n_meta=%zu without curve_meta",
                        cfg->curve_n_meta);
    for (size_t i = 0; i < 2 * cfg->curve_n_meta; i++)
        if (!cfg->curve_meta[i] || has_newline(cfg->curve_meta[i]))
            return nn_error(NN_EINVAL, "nn_train: curve metadata %zu is missing or has a newline",
                            i / 2);
    return NN_OK;
}

static void run_free(run_state *rs)
{
    nn_free(rs->x);
    nn_free(rs->y);
    nn_free(rs->val_x);
    nn_free(rs->val_y);
    nn_free(rs->rows);
    nn_workspace_destroy(rs->ws);
}

static int run_alloc(run_state *rs, const nn_net *net, const nn_train_config *cfg)
{
    size_t n_in = nn_net_n_in(net), n_out = nn_net_n_out(net);
    size_t val_batch =
        cfg->val_samples < nn_net_max_batch(net) ? cfg->val_samples : nn_net_max_batch(net);
    uint64_t rows = cfg->steps / cfg->val_every + 2;
    if (rows > SIZE_MAX / sizeof *rs->rows)
        return nn_error(NN_EINVAL, "nn_train: %llu rows of learning curve",
                        (unsigned long long)rows);
    memset(rs, 0, sizeof *rs);
    rs->max_rows = (size_t)rows;
    rs->x = nn_alloc_floats(cfg->batch * n_in);
    rs->y = nn_alloc_floats(cfg->batch * n_out);
    rs->val_x = nn_alloc_floats(cfg->val_samples * n_in);
    rs->val_y = nn_alloc_floats(cfg->val_samples * n_out);
    rs->rows = nn_alloc_bytes(rs->max_rows * sizeof *rs->rows);
    rs->ws = nn_workspace_create(net, val_batch);
    if (!rs->x || !rs->y || !rs->val_x || !rs->val_y || !rs->rows || !rs->ws) {
        run_free(rs);
        return nn_error(NN_ENOMEM, "nn_train: out of memory");
    }
    return NN_OK;
}

/* Records a row with the validation loss after `step` steps; on_row sees it if notify. */
static int add_row(run_state *rs, const nn_net *net, const nn_train_config *cfg, uint64_t step,
                   double train_loss, double lr, int notify)
{
    double val_loss;
    int status = nn_net_eval_loss(net, rs->ws, cfg->val_samples, rs->val_x, rs->val_y, &val_loss);
    if (status != NN_OK) return status;
    if (!isfinite(val_loss))
        return nn_error(NN_ENONFINITE, "nn_train: step %llu: validation loss is %g",
                        (unsigned long long)step, val_loss);
    nn_train_row *row = &rs->rows[rs->n_rows++];
    *row = (nn_train_row){step, train_loss, val_loss, lr};
    if (notify && cfg->on_row && cfg->on_row(cfg->on_row_user, row) != 0)
        return nn_error(NN_ECALLBACK, "nn_train: step %llu: on_row stopped training",
                        (unsigned long long)step);
    return NN_OK;
}

/* One step: zero gradients → batch → forward → loss → backward → optimizer step. */
static int train_step(nn_net *net, nn_optim *opt, const nn_train_config *cfg, run_state *rs,
                      uint64_t step, double *loss)
{
    nn_net_zero_grad(net);
    if (cfg->source(cfg->source_user, cfg->batch, rs->x, rs->y) != 0)
        return nn_error(NN_ECALLBACK, "nn_train: step %llu: the sample source failed",
                        (unsigned long long)step);
    int status = nn_net_forward(net, cfg->batch, rs->x);
    if (status == NN_OK) status = nn_net_loss(net, rs->y, loss);
    if (status != NN_OK) return status;
    if (!isfinite(*loss))
        return nn_error(NN_ENONFINITE, "nn_train: step %llu: training loss is %g",
                        (unsigned long long)step, *loss);
    status = nn_net_backward(net);
    if (status != NN_OK) return status;
    return nn_optim_step(opt, nn_net_params(net), nn_net_grads(net));
}

/* Rows a run of cfg has after `step` steps, and the step of row i. */
static uint64_t rows_after(const nn_train_config *cfg, uint64_t step)
{
    return 1 + step / cfg->val_every + (step == cfg->steps && step % cfg->val_every != 0);
}

static uint64_t row_step(const nn_train_config *cfg, uint64_t i)
{
    return i * cfg->val_every < cfg->steps ? i * cfg->val_every : cfg->steps;
}

/* A checkpoint fits this run: its step, rows and loss count are those of cfg's schedule and
 * opt has been restored to it. */
static int check_resume(const nn_optim *opt, const nn_train_config *cfg)
{
    const nn_checkpoint *c = cfg->resume;
    if (c->step > cfg->steps)
        return nn_error(NN_EINVAL, "nn_train: the checkpoint is at step %llu, beyond %llu",
                        (unsigned long long)c->step, (unsigned long long)cfg->steps);
    if (nn_optim_steps(opt) != c->step)
        return nn_error(NN_EINVAL, "nn_train: the optimizer is at step %llu, the checkpoint at "
                        "%llu", (unsigned long long)nn_optim_steps(opt),
                        (unsigned long long)c->step);
    if (c->n_rows != rows_after(cfg, c->step))
        return nn_error(NN_EINVAL, "nn_train: the checkpoint has %zu rows, %llu at step %llu",
                        c->n_rows, (unsigned long long)rows_after(cfg, c->step),
                        (unsigned long long)c->step);
    for (size_t i = 0; i < c->n_rows; i++)
        if (c->rows[i].step != row_step(cfg, i))
            return nn_error(NN_EINVAL, "nn_train: the checkpoint's row %zu is at step %llu, not "
                            "%llu", i, (unsigned long long)c->rows[i].step,
                            (unsigned long long)row_step(cfg, i));
    if (c->loss_count != c->step - c->rows[c->n_rows - 1].step)
        return nn_error(NN_EINVAL, "nn_train: the checkpoint sums %llu losses since its last row, "
                        "not %llu", (unsigned long long)c->loss_count,
                        (unsigned long long)(c->step - c->rows[c->n_rows - 1].step));
    return NN_OK;
}

static nn_train_progress progress_of(const run_state *rs, const nn_optim *opt,
                                     const nn_train_config *cfg, uint64_t step, double loss_sum,
                                     uint64_t loss_count)
{
    const nn_train_row *last = rs->n_rows ? &rs->rows[rs->n_rows - 1] : NULL;
    return (nn_train_progress){
        .step = step, .steps = cfg->steps, .loss_sum = loss_sum, .loss_count = loss_count,
        .train_loss = loss_count ? loss_sum / (double)loss_count : last ? last->train_loss : NAN,
        .val_loss = last ? last->val_loss : NAN, .lr = nn_optim_lr(opt), .rows = rs->rows,
        .n_rows = rs->n_rows};
}

int nn_train(nn_net *net, nn_optim *opt, const nn_train_config *cfg, nn_train_result *result)
{
    int status = check_config(net, opt, cfg);
    if (status == NN_OK && cfg->resume) status = check_resume(opt, cfg);
    if (status != NN_OK) return status;
    run_state rs;
    if ((status = run_alloc(&rs, net, cfg)) != NN_OK) return status;

    nn_sample_fn val_source = cfg->val_source ? cfg->val_source : cfg->source;
    void *val_user = cfg->val_source ? cfg->val_user : cfg->source_user;
    uint64_t step = 0;
    double loss_sum = 0.0;
    uint64_t loss_count = 0;
    if (val_source(val_user, cfg->val_samples, rs.val_x, rs.val_y) != 0) {
        status = nn_error(NN_ECALLBACK, "nn_train: the validation source failed");
        goto done;
    }
    if (cfg->resume) {
        const nn_checkpoint *c = cfg->resume;
        memcpy(rs.rows, c->rows, c->n_rows * sizeof *rs.rows);
        rs.n_rows = c->n_rows;
        /* the source stands where it stood: its batches of the steps done, discarded */
        for (uint64_t i = 0; i < c->step; i++) {
            if ((cfg->stop && *cfg->stop) ||
                cfg->source(cfg->source_user, cfg->batch, rs.x, rs.y) != 0) {
                status = nn_error(NN_ECALLBACK, "nn_train: the sample source failed (or was "
                                  "stopped) while catching up with the checkpoint");
                goto done;
            }
        }
        step = c->step, loss_sum = c->loss_sum, loss_count = c->loss_count;
    } else if ((status = add_row(&rs, net, cfg, 0, NAN, nn_optim_lr(opt), 0)) != NN_OK) {
        goto done;
    }
    /* row 0 waits for the loss of the untrained network on the first batch */
    int row0_pending = step == 0 && isnan(rs.rows[0].train_loss);

    while (step < cfg->steps) {
        double loss, lr = nn_optim_lr(opt);
        if (!(cfg->stop && *cfg->stop)) status = train_step(net, opt, cfg, &rs, step, &loss);
        /* stopped: before the step, or by a source that saw the flag before it drew anything */
        if ((cfg->stop && *cfg->stop) && (status == NN_OK || status == NN_ECALLBACK) &&
            nn_optim_steps(opt) == step) {
            nn_train_progress p = progress_of(&rs, opt, cfg, step, loss_sum, loss_count);
            status = cfg->checkpoint_path ? nn_checkpoint_save(cfg->checkpoint_path,
                                                               cfg->checkpoint_meta, net, opt, &p)
                                          : NN_OK;
            if (status == NN_OK)
                status = nn_error(NN_ECALLBACK, "nn_train: stopped before step %llu",
                                  (unsigned long long)step + 1);
            goto done;
        }
        if (status != NN_OK) goto done;
        if (row0_pending) {
            row0_pending = 0;
            rs.rows[0].train_loss = loss;
            if (cfg->on_row && cfg->on_row(cfg->on_row_user, &rs.rows[0]) != 0) {
                status = nn_error(NN_ECALLBACK, "nn_train: step 0: on_row stopped training");
                goto done;
            }
        }
        step++;
        loss_sum += loss;
        loss_count++;
        if (step % cfg->val_every == 0 || step == cfg->steps) {
            status = add_row(&rs, net, cfg, step, loss_sum / (double)loss_count, lr, 1);
            if (status != NN_OK) goto done;
            loss_sum = 0.0;
            loss_count = 0;
        }
        if (cfg->on_step || cfg->checkpoint_path) {
            nn_train_progress p = progress_of(&rs, opt, cfg, step, loss_sum, loss_count);
            if (cfg->on_step && cfg->on_step(cfg->on_step_user, &p) != 0) {
                status = nn_error(NN_ECALLBACK, "nn_train: step %llu: on_step stopped training",
                                  (unsigned long long)step);
                goto done;
            }
            if (cfg->checkpoint_path && cfg->checkpoint_every &&
                step % cfg->checkpoint_every == 0 && step < cfg->steps &&
                (status = nn_checkpoint_save(cfg->checkpoint_path, cfg->checkpoint_meta, net, opt,
                                             &p)) != NN_OK)
                goto done;
        }
    }

done:
    if (result) {
        *result =
            (nn_train_result){.steps = step, .last = {0, NAN, NAN, NAN}, .best_val_loss = INFINITY};
        if (rs.n_rows) result->last = rs.rows[rs.n_rows - 1];
        for (size_t i = 0; i < rs.n_rows; i++)
            result->best_val_loss = fmin(result->best_val_loss, rs.rows[i].val_loss);
    }
    if (cfg->curve_path && rs.n_rows) {
        /* keep the first error's message: the table is written whatever stopped the run */
        char message[256];
        strncpy(message, nn_last_error(), sizeof message - 1);
        message[sizeof message - 1] = '\0';
        int written = nn_train_write_curve(cfg->curve_path, cfg->curve_meta, cfg->curve_n_meta,
                                           rs.rows, rs.n_rows);
        if (status == NN_OK)
            status = written;
        else
            nn_error(status, "%s", message);
    }
    run_free(&rs);
    return status;
}

int nn_train_write_curve(const char *path, const char *const *meta, size_t n_meta,
                         const nn_train_row *rows, size_t n_rows)
{
    const char *who = "learning curve";
    if (!path || (n_meta && !meta) || (n_rows && !rows))
        return nn_error(NN_EINVAL, "%s: no path, metadata or rows", who);
    nn_atomic_file af;
    int status = nn_atomic_open(&af, path, who);
    if (status != NN_OK) return status;
    for (size_t i = 0; i < n_meta; i++)
        nn_file_put_meta(af.f, meta[2 * i], meta[2 * i + 1]);
    fputs("step\ttrain_loss\tval_loss\tlr\n", af.f);
    for (size_t i = 0; i < n_rows; i++)
        fprintf(af.f, "%llu\t%.9g\t%.9g\t%.9g\n", (unsigned long long)rows[i].step,
                rows[i].train_loss, rows[i].val_loss, rows[i].lr);
    return nn_atomic_commit(&af, who);
}
