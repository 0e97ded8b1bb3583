/* Model files: the format is described in nn_model.h. Saving streams the file through a
 * temporary name; loading reads the header with every field checked against the limits and
 * the file's size, then the CRC over the whole file, and only then allocates the network. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "nn_internal.h"
#include "nn_model.h"

static const unsigned char magic[8] = {'B', 'S', 'I', 'M', 'N', 'N', '\r', '\n'};

/* ---- writing ------------------------------------------------------------------------------- */





static uint32_t float_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float bits_float(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}


static uint32_t layer_code(const nn_layer_spec *s)
{
    if (s->kind == NN_LAYER_DENSE || s->kind == NN_LAYER_CMUL) return (uint32_t)s->act;
    if (s->kind == NN_LAYER_LOSS) return (uint32_t)s->loss;
    return 0;
}

/* The record's value field: a noise layer's sigma (its bits), a cmul layer's pairs. */
static uint32_t layer_value(const nn_layer_spec *s)
{
    if (s->kind == NN_LAYER_NOISE) return float_bits(s->sigma);
    if (s->kind == NN_LAYER_CMUL) return (uint32_t)s->pairs;
    return 0;
}

/* Floats in little-endian order, through a small buffer. */

int nn_model_save(const char *path, const nn_net *net, const nn_meta *meta)
{
    const char *who = "model";
    if (!path || !net) return nn_error(NN_EINVAL, "%s: no path or network", who);
    /* A caller's layer lives in the caller's code, and a side input in the caller's data: a file
     * could not bring either back. */
    for (size_t t = 0; t < nn_net_n_layers(net); t++) {
        nn_layer_info info;
        nn_net_layer_info(net, t, &info);
        if (info.spec.kind == NN_LAYER_CUSTOM || info.spec.side_width > 0)
            return nn_error(NN_EINVAL, "%s: layer %zu is a %s: not storable in a model file", who,
                            t, info.spec.kind == NN_LAYER_CUSTOM ? "custom layer"
                                                                 : "layer with a side input");
    }
    nn_atomic_file af;
    int status = nn_atomic_open(&af, path, who);
    if (status != NN_OK) return status;
    nn_writer w = {af.f, 0};
    nn_put_bytes(&w, magic, sizeof magic);
    nn_put_u32(&w, NN_MODEL_VERSION);
    size_t n_meta = meta ? nn_meta_count(meta) : 0;
    nn_put_u32(&w, (uint32_t)n_meta);
    for (size_t i = 0; i < n_meta; i++) {
        nn_put_string(&w, nn_meta_key(meta, i));
        nn_put_string(&w, nn_meta_value(meta, i));
    }
    nn_put_u32(&w, (uint32_t)nn_net_n_in(net));
    nn_put_u32(&w, (uint32_t)nn_net_n_layers(net));
    for (size_t t = 0; t < nn_net_n_layers(net); t++) {
        nn_layer_info info;
        nn_net_layer_info(net, t, &info);
        nn_put_u32(&w, (uint32_t)info.spec.kind);
        nn_put_u32(&w, (uint32_t)info.spec.n_out);
        nn_put_u32(&w, layer_code(&info.spec));
        nn_put_u32(&w, layer_value(&info.spec));
        nn_put_u32(&w, (uint32_t)info.n_param);
    }
    nn_put_u64(&w, nn_net_n_params(net));
    nn_put_floats(&w, nn_net_n_params(net), nn_net_params_const(net));
    nn_put_u32(&w, w.crc);
    return nn_atomic_commit(&af, who);
}

/* ---- reading ------------------------------------------------------------------------------- */

typedef struct {
    FILE *f;
    const char *path;
    uint64_t size;   /* bytes in the file */
    uint64_t offset; /* bytes read so far */
    uint32_t crc;    /* CRC of those bytes */
} reader;

/* Reads n bytes; a short file is reported as truncated, naming what was being read. */
static int get_bytes(reader *r, void *p, size_t n, const char *what)
{
    if (n > r->size - r->offset)
        return nn_error(NN_ETRUNC, "%s: truncated: %llu bytes, ends inside %s",
                        r->path, (unsigned long long)r->size, what);
    if (fread(p, 1, n, r->f) != n)
        return nn_error(NN_EIO, "%s: read error in %s", r->path, what);
    r->crc = nn_crc32(r->crc, p, n);
    r->offset += n;
    return NN_OK;
}

static int get_u32(reader *r, uint32_t *v, const char *what)
{
    unsigned char b[4] = {0};
    int status = get_bytes(r, b, 4, what);
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return status;
}

static int get_u64(reader *r, uint64_t *v, const char *what)
{
    uint32_t lo = 0, hi = 0;
    int status = get_u32(r, &lo, what);
    if (status == NN_OK) status = get_u32(r, &hi, what);
    *v = (uint64_t)hi << 32 | lo;
    return status;
}

/* A string of at most max bytes without NUL bytes; allocated once its length is known to fit
 * both the limit and the file. */
static int get_string(reader *r, uint32_t min, uint32_t max, char **out, const char *what)
{
    uint32_t len;
    int status = get_u32(r, &len, what);
    if (status != NN_OK) return status;
    if (len < min || len > max)
        return nn_error(NN_ELIMIT, "%s: %s of %u bytes, not %u..%u", r->path, what,
                        len, min, max);
    if (len > r->size - r->offset)
        return nn_error(NN_ETRUNC, "%s: truncated: %llu bytes, ends inside %s",
                        r->path, (unsigned long long)r->size, what);
    char *s = nn_alloc_bytes((size_t)len + 1);
    if (!s) return nn_error(NN_ENOMEM, "%s: out of memory", r->path);
    if ((status = get_bytes(r, s, len, what)) != NN_OK || memchr(s, '\0', len)) {
        nn_free(s);
        return status != NN_OK
                   ? status
                   : nn_error(NN_EFORMAT, "%s: %s holds a NUL byte", r->path, what);
    }
    s[len] = '\0';
    *out = s;
    return NN_OK;
}

static int read_meta(reader *r, nn_meta *meta)
{
    uint32_t n;
    int status = get_u32(r, &n, "the key/value count");
    if (status != NN_OK) return status;
    if (n > NN_META_MAX_PAIRS)
        return nn_error(NN_ELIMIT, "%s: %u key/value pairs, more than %u", r->path,
                        n, NN_META_MAX_PAIRS);
    for (uint32_t i = 0; i < n; i++) {
        char *key = NULL, *value = NULL;
        status = get_string(r, 1, NN_META_MAX_KEY, &key, "a key");
        if (status == NN_OK) status = get_string(r, 0, NN_META_MAX_VALUE, &value, "a value");
        if (status == NN_OK && nn_meta_get(meta, key))
            status =
                nn_error(NN_EFORMAT, "%s: key '%s' appears twice", r->path, key);
        if (status == NN_OK) status = nn_meta_set(meta, key, value);
        nn_free(key);
        nn_free(value);
        if (status != NN_OK) return status;
    }
    return NN_OK;
}

/* A layer record as read from the file. */
typedef struct {
    uint32_t kind, n_out, code, value, n_param;
} layer_record;

/* Checks the kind-specific fields of record t and fills spec; *out and *n_param receive the
 * output width and parameter count that follow from the input width `width`. */
static int check_kind(const reader *r, uint32_t t, uint32_t n_layers, uint64_t width,
                      const layer_record *rec, nn_layer_spec *spec, uint64_t *out,
                      uint64_t *n_param)
{
    const char *path = r->path;
    *spec = (nn_layer_spec){.kind = (nn_layer_kind)rec->kind, .n_out = rec->n_out};
    *out = width;
    *n_param = 0;
    switch (rec->kind) {
    case NN_LAYER_DENSE:
        if (rec->n_out < 1 || rec->n_out > NN_MAX_WIDTH)
            return nn_error(NN_ELIMIT, "%s: layer %u: %u units, not 1..%u", path, t,
                            rec->n_out, NN_MAX_WIDTH);
        if (rec->code > NN_ACT_SIGMOID)
            return nn_error(NN_EFORMAT, "%s: layer %u: unknown activation %u", path,
                            t, rec->code);
        spec->act = (nn_act)rec->code;
        *out = rec->n_out;
        *n_param = width * rec->n_out + rec->n_out;
        return NN_OK;
    case NN_LAYER_POWER_NORM:
        if (width % 2)
            return nn_error(NN_EFORMAT, "%s: layer %u: power_norm of odd width %llu",
                            path, t, (unsigned long long)width);
        return NN_OK;
    case NN_LAYER_NOISE:
        spec->sigma = bits_float(rec->value);
        if (!(spec->sigma >= 0.0f && spec->sigma <= NN_MODEL_MAX_PARAM))
            return nn_error(NN_EFORMAT, "%s: layer %u: noise sigma %g", path, t,
                            (double)spec->sigma);
        return NN_OK;
    case NN_LAYER_CMUL:
        if (rec->code > NN_ACT_SIGMOID)
            return nn_error(NN_EFORMAT, "%s: layer %u: unknown activation %u", path,
                            t, rec->code);
        if (rec->value < 1 || rec->value > width / 4)
            return nn_error(NN_EFORMAT, "%s: layer %u: cmul of %u pairs on %llu "
                            "inputs", path, t, rec->value, (unsigned long long)width);
        spec->act = (nn_act)rec->code;
        spec->pairs = rec->value;
        *out = width - rec->value;
        return NN_OK;
    case NN_LAYER_LOSS:
        if (t + 1 != n_layers || t == 0)
            return nn_error(NN_EFORMAT,
                            "%s: layer %u: a loss must come last, after another "
                            "layer",
                            path, t);
        if (rec->code < NN_LOSS_SOFTMAX_CE || rec->code > NN_LOSS_MSE)
            return nn_error(NN_EFORMAT, "%s: layer %u: unknown loss %u", path, t,
                            rec->code);
        spec->loss = (nn_loss)rec->code;
        *out = 1;
        return NN_OK;
    }
    return nn_error(NN_EFORMAT, "%s: layer %u: unknown kind %u", path, t, rec->kind);
}

/* Layer record t, checked against the width it receives; *width becomes its output width. */
static int read_layer(reader *r, uint32_t t, uint32_t n_layers, uint64_t *width,
                      nn_layer_spec *spec, uint64_t *n_param)
{
    layer_record rec;
    uint32_t *fields[] = {&rec.kind, &rec.n_out, &rec.code, &rec.value, &rec.n_param};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        int status = get_u32(r, fields[i], "a layer record");
        if (status != NN_OK) return status;
    }
    uint64_t out, params;
    int status = check_kind(r, t, n_layers, *width, &rec, spec, &out, &params);
    if (status != NN_OK) return status;
    if (rec.n_out != out || rec.n_param != params)
        return nn_error(NN_EFORMAT,
                        "%s: layer %u: shape %u (%u parameters) where %llu (%llu) "
                        "follow from its input",
                        r->path, t, rec.n_out, rec.n_param, (unsigned long long)out,
                        (unsigned long long)params);
    *width = out;
    *n_param += params;
    return NN_OK;
}

typedef struct {
    uint32_t n_in, n_layers;
    nn_layer_spec specs[NN_MAX_LAYERS];
    uint64_t n_param;
} header;

static int read_header(reader *r, header *h, nn_meta *meta)
{
    const char *path = r->path;
    unsigned char m[sizeof magic];
    size_t have = r->size < sizeof m ? (size_t)r->size : sizeof m;
    if (fread(m, 1, have, r->f) != have)
        return nn_error(NN_EIO, "%s: read error", path);
    if (memcmp(m, magic, have) != 0)
        return nn_error(NN_EFORMAT, "%s: not a bersim model file (bad magic)", path);
    r->offset = have;
    r->crc = nn_crc32(0, m, have);
    if (have < sizeof m)
        return nn_error(NN_ETRUNC,
                        "%s: truncated: %llu bytes, ends inside the magic", path,
                        (unsigned long long)r->size);
    uint32_t version;
    int status = get_u32(r, &version, "the version");
    if (status != NN_OK) return status;
    if (version != NN_MODEL_VERSION)
        return nn_error(NN_EVERSION, "%s: format version %u, this build reads %u",
                        path, version, NN_MODEL_VERSION);
    if ((status = read_meta(r, meta)) != NN_OK) return status;
    if ((status = get_u32(r, &h->n_in, "the input width")) != NN_OK) return status;
    if (h->n_in < 1 || h->n_in > NN_MAX_WIDTH)
        return nn_error(NN_ELIMIT, "%s: input width %u, not 1..%u", path, h->n_in,
                        NN_MAX_WIDTH);
    if ((status = get_u32(r, &h->n_layers, "the layer count")) != NN_OK) return status;
    if (h->n_layers < 1 || h->n_layers > NN_MAX_LAYERS)
        return nn_error(NN_ELIMIT, "%s: %u layers, not 1..%u", path, h->n_layers,
                        NN_MAX_LAYERS);
    uint64_t width = h->n_in, n_param = 0;
    for (uint32_t t = 0; t < h->n_layers; t++)
        if ((status = read_layer(r, t, h->n_layers, &width, &h->specs[t], &n_param)) != NN_OK)
            return status;
    if ((status = get_u64(r, &h->n_param, "the parameter count")) != NN_OK) return status;
    if (h->n_param != n_param)
        return nn_error(NN_EFORMAT, "%s: %llu parameters, the layers have %llu",
                        path, (unsigned long long)h->n_param, (unsigned long long)n_param);
    uint64_t rest = r->size - r->offset, need = 4 * n_param + 4;
    if (rest < need)
        return nn_error(NN_ETRUNC,
                        "%s: truncated: %llu bytes, the header describes "
                        "%llu",
                        path, (unsigned long long)r->size, (unsigned long long)(r->offset + need));
    if (rest > need)
        return nn_error(NN_EFORMAT, "%s: %llu bytes after the checksum", path,
                        (unsigned long long)(rest - need));
    return NN_OK;
}

/* Runs the CRC over the parameters and compares it with the stored one, leaving the file
 * positioned at the parameters again. */
static int check_crc(reader *r)
{
    long params_at = (long)r->offset;
    unsigned char buf[4096];
    uint64_t left = r->size - r->offset - 4;
    while (left > 0) {
        size_t chunk = left < sizeof buf ? (size_t)left : sizeof buf;
        int status = get_bytes(r, buf, chunk, "the parameters");
        if (status != NN_OK) return status;
        left -= chunk;
    }
    uint32_t computed = r->crc, stored;
    int status = get_u32(r, &stored, "the checksum");
    if (status != NN_OK) return status;
    if (stored != computed)
        return nn_error(NN_ECRC,
                        "%s: checksum mismatch (stored %08x, computed %08x): "
                        "the file is corrupted",
                        r->path, stored, computed);
    if (fseek(r->f, params_at, SEEK_SET) != 0)
        return nn_error(NN_EIO, "%s: cannot seek", r->path);
    return NN_OK;
}

static int read_params(reader *r, size_t n, float *theta)
{
    unsigned char buf[4096];
    for (size_t done = 0; done < n;) {
        size_t chunk = n - done < sizeof buf / 4 ? n - done : sizeof buf / 4;
        if (fread(buf, 1, 4 * chunk, r->f) != 4 * chunk)
            return nn_error(NN_EIO, "%s: read error in the parameters", r->path);
        for (size_t i = 0; i < chunk; i++) {
            const unsigned char *b = buf + 4 * i;
            uint32_t u =
                (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
            theta[done + i] = bits_float(u);
            if (!(fabsf(theta[done + i]) <= NN_MODEL_MAX_PARAM))
                return nn_error(NN_EFORMAT, "%s: parameter %zu is %g, not a finite number of "
                                "magnitude up to %g", r->path, done + i,
                                (double)theta[done + i], (double)NN_MODEL_MAX_PARAM);
        }
        done += chunk;
    }
    return NN_OK;
}

/* The file's size, from the end of the stream. */
static int file_size(FILE *f, const char *path, uint64_t *size)
{
    long end;
    if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        return nn_error(NN_EIO, "%s: cannot find its size (not a file?)", path);
    *size = (uint64_t)end;
    return NN_OK;
}

nn_net *nn_model_load(const char *path, size_t max_batch, nn_meta **meta_out)
{
    if (meta_out) *meta_out = NULL;
    if (!path) return nn_error(NN_EINVAL, "no model path"), NULL;
    if (max_batch < 1 || max_batch > NN_MAX_BATCH)
        return nn_error(NN_EINVAL, "model: max_batch=%zu not in 1..%u", max_batch,
                        NN_MAX_BATCH),
               NULL;
    nn_net *net = NULL;
    nn_meta *meta = NULL;
    header *h = NULL;
    reader r = {fopen(path, "rb"), path, 0, 0, 0};
    if (!r.f) {
        nn_error(NN_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (file_size(r.f, path, &r.size) != NN_OK) goto fail;
    meta = nn_meta_create();
    h = nn_alloc_bytes(sizeof *h);
    if (!meta || !h) {
        nn_error(NN_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    if (read_header(&r, h, meta) != NN_OK || check_crc(&r) != NN_OK) goto fail;
    nn_net_config cfg = {.n_in = h->n_in, .max_batch = max_batch};
    net = nn_net_create(&cfg, h->n_layers, h->specs);
    if (!net) goto fail;
    if (read_params(&r, nn_net_n_params(net), nn_net_params(net)) != NN_OK) goto fail;
    fclose(r.f);
    nn_free(h);
    if (meta_out)
        *meta_out = meta;
    else
        nn_meta_destroy(meta);
    nn_error(NN_OK, "%s", "");
    return net;

fail:
    fclose(r.f);
    nn_free(h);
    nn_meta_destroy(meta);
    nn_net_destroy(net);
    return NULL;
}
