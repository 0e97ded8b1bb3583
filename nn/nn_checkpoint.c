/* Training checkpoints (nn_checkpoint.h): written through the atomic writer; read whole into
 * memory, the size and the CRC checked first, then every field against the limits and the
 * bytes left before anything is allocated from it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn_checkpoint.h"
#include "nn_file.h"
#include "nn_internal.h"

static const unsigned char magic[8] = {'B', 'S', 'I', 'M', 'C', 'K', '\r', '\n'};

/* ---- writing ------------------------------------------------------------------------------- */





static void put_f64(nn_writer *w, double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    nn_put_u64(w, u);
}



int nn_checkpoint_save(const char *path, const nn_meta *meta, const nn_net *net,
                       const nn_optim *opt, const nn_train_progress *p)
{
    const char *who = "checkpoint";
    if (!path || !net || !opt || !p || p->n_rows < 1 || p->n_rows > NN_CHECKPOINT_MAX_ROWS)
        return nn_error(NN_EINVAL, "%s: no path, network, optimizer or rows", who);
    size_t n_meta = meta ? nn_meta_count(meta) : 0;
    nn_optim_state st;
    nn_optim_get_state(opt, &st);
    if (st.n != nn_net_n_params(net))
        return nn_error(NN_EINVAL, "%s: optimizer and network differ in size", who);
    nn_atomic_file af;
    int status = nn_atomic_open(&af, path, who);
    if (status != NN_OK) return status;
    nn_writer w = {af.f, 0};
    nn_put_bytes(&w, magic, sizeof magic);
    nn_put_u32(&w, NN_CHECKPOINT_VERSION);
    nn_put_u32(&w, (uint32_t)n_meta);
    for (size_t i = 0; i < n_meta; i++) {
        nn_put_string(&w, nn_meta_key(meta, i));
        nn_put_string(&w, nn_meta_value(meta, i));
    }
    nn_put_u64(&w, p->step);
    nn_put_u64(&w, p->loss_count);
    put_f64(&w, p->loss_sum);
    nn_put_u32(&w, (uint32_t)p->n_rows);
    for (size_t i = 0; i < p->n_rows; i++) {
        nn_put_u64(&w, p->rows[i].step);
        put_f64(&w, p->rows[i].train_loss);
        put_f64(&w, p->rows[i].val_loss);
        put_f64(&w, p->rows[i].lr);
    }
    nn_put_u64(&w, st.n);
    nn_put_floats(&w, st.n, nn_net_params_const(net));
    nn_put_u32(&w, (uint32_t)st.kind);
    nn_put_u64(&w, st.t);
    put_f64(&w, st.beta1_t);
    put_f64(&w, st.beta2_t);
    nn_put_floats(&w, st.n, st.m);
    if (st.kind == NN_OPT_ADAM) nn_put_floats(&w, st.n, st.v);
    nn_put_u32(&w, w.crc);
    return nn_atomic_commit(&af, who);
}

/* ---- reading ------------------------------------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    size_t size, at;
    const char *name;
} reader;

static int need(reader *r, uint64_t n, const char *what)
{
    if (n > r->size - r->at)
        return nn_error(NN_ETRUNC, "%s: truncated: %zu bytes, ends inside %s", r->name,
                        r->size + 4, what);
    return NN_OK;
}

static int get_u32(reader *r, uint32_t *v, const char *what)
{
    int status = need(r, 4, what);
    if (status != NN_OK) return status;
    const unsigned char *b = r->p + r->at;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    r->at += 4;
    return NN_OK;
}

static int get_u64(reader *r, uint64_t *v, const char *what)
{
    uint32_t lo = 0, hi = 0;
    int status = get_u32(r, &lo, what);
    if (status == NN_OK) status = get_u32(r, &hi, what);
    *v = (uint64_t)hi << 32 | lo;
    return status;
}

static int get_f64(reader *r, double *x, const char *what)
{
    uint64_t u = 0;
    int status = get_u64(r, &u, what);
    memcpy(x, &u, sizeof *x);
    return status;
}

/* n floats, each finite, of magnitude ≤ max and ≥ min. */
static int get_floats(reader *r, size_t n, float *v, float min, float max, const char *what)
{
    int status = need(r, (uint64_t)n * 4, what);
    for (size_t i = 0; status == NN_OK && i < n; i++) {
        uint32_t u = 0;
        get_u32(r, &u, what);
        memcpy(&v[i], &u, sizeof u);
        if (!(v[i] >= min && v[i] <= max))
            status = nn_error(NN_EFORMAT, "%s: %s %zu is %g, not a finite number in [%g, %g]",
                              r->name, what, i, (double)v[i], (double)min, (double)max);
    }
    return status;
}

static int get_string(reader *r, uint32_t min, uint32_t max, char *out, const char *what)
{
    uint32_t len;
    int status = get_u32(r, &len, what);
    if (status != NN_OK) return status;
    if (len < min || len > max)
        return nn_error(NN_ELIMIT, "%s: %s of %u bytes, not %u..%u", r->name, what, len, min,
                        max);
    if ((status = need(r, len, what)) != NN_OK) return status;
    if (memchr(r->p + r->at, '\0', len))
        return nn_error(NN_EFORMAT, "%s: %s holds a NUL byte", r->name, what);
    memcpy(out, r->p + r->at, len);
    out[len] = '\0';
    r->at += len;
    return NN_OK;
}

static int read_meta(reader *r, nn_meta *meta)
{
    char key[NN_META_MAX_KEY + 1];
    uint32_t n;
    int status = get_u32(r, &n, "the key/value count");
    if (status != NN_OK) return status;
    if (n > NN_META_MAX_PAIRS)
        return nn_error(NN_ELIMIT, "%s: %u key/value pairs, more than %u", r->name, n,
                        NN_META_MAX_PAIRS);
    char *value = n ? nn_alloc_bytes(NN_META_MAX_VALUE + 1) : NULL;
    if (n && !value) return nn_error(NN_ENOMEM, "%s: out of memory", r->name);
    for (uint32_t i = 0; status == NN_OK && i < n; i++) {
        if ((status = get_string(r, 1, NN_META_MAX_KEY, key, "a key")) != NN_OK ||
            (status = get_string(r, 0, NN_META_MAX_VALUE, value, "a value")) != NN_OK)
            break;
        if (nn_meta_get(meta, key))
            status = nn_error(NN_EFORMAT, "%s: key '%s' appears twice", r->name, key);
        else
            status = nn_meta_set(meta, key, value);
    }
    nn_free(value);
    return status;
}

static int read_rows(reader *r, nn_checkpoint *c)
{
    uint32_t n;
    int status = get_u32(r, &n, "the row count");
    if (status != NN_OK) return status;
    if (n < 1 || n > NN_CHECKPOINT_MAX_ROWS)
        return nn_error(NN_ELIMIT, "%s: %u rows of learning curve, not 1..%u", r->name, n,
                        NN_CHECKPOINT_MAX_ROWS);
    if ((status = need(r, (uint64_t)n * 32, "the rows")) != NN_OK) return status;
    if (!(c->rows = nn_alloc_bytes(n * sizeof *c->rows)))
        return nn_error(NN_ENOMEM, "%s: out of memory", r->name);
    c->n_rows = n;
    for (uint32_t i = 0; i < n; i++) {
        nn_train_row *row = &c->rows[i];
        get_u64(r, &row->step, "a row");
        get_f64(r, &row->train_loss, "a row");
        get_f64(r, &row->val_loss, "a row");
        get_f64(r, &row->lr, "a row");
        int train_ok = isfinite(row->train_loss) || (i == 0 && isnan(row->train_loss));
        if ((i == 0 ? row->step != 0 : row->step <= c->rows[i - 1].step) ||
            row->step > c->step || !train_ok || !isfinite(row->val_loss) ||
            !(row->lr >= 0 && isfinite(row->lr)))
            return nn_error(NN_EFORMAT, "%s: row %u (step %llu) is out of order or not finite",
                            r->name, i, (unsigned long long)row->step);
    }
    if (c->loss_count != c->step - c->rows[n - 1].step)
        return nn_error(NN_EFORMAT, "%s: %llu losses summed since the last row at step %llu, "
                        "at step %llu", r->name, (unsigned long long)c->loss_count,
                        (unsigned long long)c->rows[n - 1].step, (unsigned long long)c->step);
    return NN_OK;
}

static int read_optimizer(reader *r, nn_checkpoint *c)
{
    uint32_t kind;
    uint64_t t;
    nn_optim_state *st = &c->optim;
    int status = get_u32(r, &kind, "the optimizer");
    if (status == NN_OK && kind != NN_OPT_SGD && kind != NN_OPT_ADAM)
        status = nn_error(NN_EFORMAT, "%s: unknown optimizer %u", r->name, kind);
    if (status == NN_OK) status = get_u64(r, &t, "the optimizer's step");
    if (status == NN_OK && t != c->step)
        status = nn_error(NN_EFORMAT, "%s: optimizer at step %llu, training at %llu", r->name,
                          (unsigned long long)t, (unsigned long long)c->step);
    if (status == NN_OK) status = get_f64(r, &st->beta1_t, "the optimizer's powers");
    if (status == NN_OK) status = get_f64(r, &st->beta2_t, "the optimizer's powers");
    if (status != NN_OK) return status;
    if (!(st->beta1_t >= 0 && st->beta1_t <= 1 && st->beta2_t >= 0 && st->beta2_t <= 1))
        return nn_error(NN_EFORMAT, "%s: optimizer powers %g, %g not in [0, 1]", r->name,
                        st->beta1_t, st->beta2_t);
    int adam = kind == NN_OPT_ADAM;
    size_t n = c->n_params;
    if ((status = need(r, (uint64_t)n * 4 * (adam ? 2 : 1), "the moments")) != NN_OK)
        return status;
    float *m = nn_alloc_floats(n), *v = adam ? nn_alloc_floats(n) : NULL;
    st->kind = (nn_opt_kind)kind, st->t = t, st->n = n, st->m = m, st->v = v;
    if (!m || (adam && !v)) return nn_error(NN_ENOMEM, "%s: out of memory", r->name);
    status = get_floats(r, n, m, -INFINITY, INFINITY, "first moment");
    if (status == NN_OK && adam) status = get_floats(r, n, v, 0, INFINITY, "second moment");
    return status;
}

static int parse(reader *r, nn_checkpoint *c)
{
    uint32_t version;
    uint64_t n_params;
    if (r->size < sizeof magic + 4 || memcmp(r->p, magic, sizeof magic) != 0)
        return nn_error(NN_EFORMAT, "%s: not a bersim checkpoint (no BSIMCK magic)", r->name);
    uint32_t stored, computed = nn_crc32(0, r->p, r->size - 4);
    const unsigned char *b = r->p + r->size - 4;
    stored = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    if (stored != computed)
        return nn_error(NN_ECRC, "%s: checksum mismatch (stored %08x, computed %08x): the file "
                        "is corrupted or truncated", r->name, stored, computed);
    r->size -= 4; /* the CRC */
    r->at = sizeof magic;
    int status = get_u32(r, &version, "the version");
    if (status == NN_OK && version != NN_CHECKPOINT_VERSION)
        status = nn_error(NN_EVERSION, "%s: checkpoint version %u, this bersim reads %u",
                          r->name, version, NN_CHECKPOINT_VERSION);
    if (status == NN_OK) status = read_meta(r, c->meta);
    if (status == NN_OK) status = get_u64(r, &c->step, "the step");
    if (status == NN_OK) status = get_u64(r, &c->loss_count, "the loss count");
    if (status == NN_OK) status = get_f64(r, &c->loss_sum, "the loss sum");
    if (status == NN_OK && !isfinite(c->loss_sum))
        status = nn_error(NN_EFORMAT, "%s: the loss sum is %g", r->name, c->loss_sum);
    if (status == NN_OK) status = read_rows(r, c);
    if (status == NN_OK) status = get_u64(r, &n_params, "the parameter count");
    if (status == NN_OK && (n_params < 1 || n_params > (r->size - r->at) / 4))
        status = nn_error(NN_ELIMIT, "%s: %llu parameters, not 1..what the file holds", r->name,
                          (unsigned long long)n_params);
    if (status != NN_OK) return status;
    c->n_params = (size_t)n_params;
    if (!(c->params = nn_alloc_floats(c->n_params)))
        return nn_error(NN_ENOMEM, "%s: out of memory", r->name);
    status = get_floats(r, c->n_params, c->params, -NN_MODEL_MAX_PARAM, NN_MODEL_MAX_PARAM,
                        "parameter");
    if (status == NN_OK) status = read_optimizer(r, c);
    if (status == NN_OK && r->at != r->size)
        status = nn_error(NN_EFORMAT, "%s: %zu bytes after the optimizer's state", r->name,
                          r->size - r->at);
    return status;
}

nn_checkpoint *nn_checkpoint_parse(const unsigned char *data, size_t size, const char *name)
{
    nn_checkpoint *c = nn_alloc_bytes(sizeof *c);
    if (!c) return nn_error(NN_ENOMEM, "%s: out of memory", name), NULL;
    memset(c, 0, sizeof *c);
    reader r = {data, size, 0, name};
    if (!(c->meta = nn_meta_create())) {
        nn_error(NN_ENOMEM, "%s: out of memory", name);
    } else if (parse(&r, c) == NN_OK) {
        nn_error(NN_OK, "%s", "");
        return c;
    }
    nn_checkpoint_destroy(c);
    return NULL;
}

nn_checkpoint *nn_checkpoint_load(const char *path)
{
    if (!path) return nn_error(NN_EINVAL, "no checkpoint path"), NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return nn_error(NN_EIO, "%s: cannot open: %s", path, strerror(errno)), NULL;
    long end;
    unsigned char *data = NULL;
    nn_checkpoint *c = NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        nn_error(NN_EIO, "%s: cannot find its size (not a file?)", path);
    } else if ((uint64_t)end > NN_CHECKPOINT_MAX_BYTES) {
        nn_error(NN_ELIMIT, "%s: %ld bytes, more than a checkpoint may have", path, end);
    } else if (!(data = nn_alloc_bytes((size_t)end + 1))) {
        nn_error(NN_ENOMEM, "%s: out of memory", path);
    } else if (fread(data, 1, (size_t)end, f) != (size_t)end) {
        nn_error(NN_EIO, "%s: read error", path);
    } else {
        c = nn_checkpoint_parse(data, (size_t)end, path);
    }
    nn_free(data);
    fclose(f);
    return c;
}

void nn_checkpoint_destroy(nn_checkpoint *c)
{
    if (!c) return;
    nn_meta_destroy(c->meta);
    nn_free(c->rows);
    nn_free(c->params);
    nn_free((void *)c->optim.m);
    nn_free((void *)c->optim.v);
    nn_free(c);
}

int nn_checkpoint_restore(const nn_checkpoint *c, nn_net *net, nn_optim *opt)
{
    if (!c || !net || !opt) return nn_error(NN_EINVAL, "checkpoint: nothing to restore");
    if (c->n_params != nn_net_n_params(net))
        return nn_error(NN_EINVAL, "checkpoint of %zu parameters, the network has %zu",
                        c->n_params, nn_net_n_params(net));
    int status = nn_optim_set_state(opt, &c->optim);
    if (status != NN_OK) return status;
    memcpy(nn_net_params(net), c->params, c->n_params * sizeof *c->params);
    return NN_OK;
}
