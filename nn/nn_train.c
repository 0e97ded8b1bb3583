/* The training loop and its learning curve. */
#include <math.h>
#include <string.h>

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

/* Records a row with the validation loss after `step` steps. */
static int add_row(run_state *rs, const nn_net *net, const nn_train_config *cfg, uint64_t step,
                   double train_loss, double lr)
{
    double val_loss;
    int status = nn_net_eval_loss(net, rs->ws, cfg->val_samples, rs->val_x, rs->val_y, &val_loss);
    if (status != NN_OK) return status;
    if (!isfinite(val_loss))
        return nn_error(NN_ENONFINITE, "nn_train: step %llu: validation loss is %g",
                        (unsigned long long)step, val_loss);
    nn_train_row *row = &rs->rows[rs->n_rows++];
    *row = (nn_train_row){step, train_loss, val_loss, lr};
    if (cfg->on_row && cfg->on_row(cfg->on_row_user, row) != 0)
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

int nn_train(nn_net *net, nn_optim *opt, const nn_train_config *cfg, nn_train_result *result)
{
    int status = check_config(net, opt, cfg);
    if (status != NN_OK) return status;
    run_state rs;
    if ((status = run_alloc(&rs, net, cfg)) != NN_OK) return status;

    nn_sample_fn val_source = cfg->val_source ? cfg->val_source : cfg->source;
    void *val_user = cfg->val_source ? cfg->val_user : cfg->source_user;
    uint64_t step = 0;
    if (val_source(val_user, cfg->val_samples, rs.val_x, rs.val_y) != 0) {
        status = nn_error(NN_ECALLBACK, "nn_train: the validation source failed");
        goto done;
    }
    if ((status = add_row(&rs, net, cfg, 0, NAN, nn_optim_lr(opt))) != NN_OK) goto done;

    double loss_sum = 0.0;
    uint64_t loss_count = 0;
    while (step < cfg->steps) {
        double loss, lr = nn_optim_lr(opt);
        if ((status = train_step(net, opt, cfg, &rs, step, &loss)) != NN_OK) goto done;
        step++;
        loss_sum += loss;
        loss_count++;
        if (step % cfg->val_every == 0 || step == cfg->steps) {
            status = add_row(&rs, net, cfg, step, loss_sum / (double)loss_count, lr);
            if (status != NN_OK) goto done;
            loss_sum = 0.0;
            loss_count = 0;
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
