/* An ordered set of string key/value pairs, stored in model files. */
#include <string.h>

#include "nn_internal.h"
#include "nn_model.h"

struct nn_meta {
    size_t n;
    char *keys[NN_META_MAX_PAIRS];
    char *values[NN_META_MAX_PAIRS];
};

nn_meta *nn_meta_create(void)
{
    nn_meta *meta = nn_alloc_bytes(sizeof *meta);
    if (!meta) return nn_error(NN_ENOMEM, "nn_meta_create: out of memory"), NULL;
    meta->n = 0;
    return meta;
}

void nn_meta_destroy(nn_meta *meta)
{
    if (!meta) return;
    for (size_t i = 0; i < meta->n; i++) {
        nn_free(meta->keys[i]);
        nn_free(meta->values[i]);
    }
    nn_free(meta);
}

static char *copy_string(const char *s, size_t len)
{
    char *copy = nn_alloc_bytes(len + 1);
    if (copy) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

static size_t find(const nn_meta *meta, const char *key)
{
    size_t i = 0;
    while (i < meta->n && strcmp(meta->keys[i], key) != 0)
        i++;
    return i;
}

int nn_meta_set(nn_meta *meta, const char *key, const char *value)
{
    if (!meta || !key || !value) return nn_error(NN_EINVAL, "nn_meta_set: no set, key or value");
    size_t key_len = strlen(key), value_len = strlen(value);
    if (key_len < 1 || key_len > NN_META_MAX_KEY)
        return nn_error(NN_EINVAL, "nn_meta_set: key of %zu bytes, not 1..%u", key_len,
                        NN_META_MAX_KEY);
    if (value_len > NN_META_MAX_VALUE)
        return nn_error(NN_EINVAL, "nn_meta_set: %s: value of %zu bytes, more than %u", key,
                        value_len, NN_META_MAX_VALUE);
    size_t i = find(meta, key);
    if (i == meta->n && meta->n == NN_META_MAX_PAIRS)
        return nn_error(NN_EINVAL, "nn_meta_set: %s: already %u pairs", key, NN_META_MAX_PAIRS);
    char *value_copy = copy_string(value, value_len);
    char *key_copy = i == meta->n ? copy_string(key, key_len) : meta->keys[i];
    if (!value_copy || !key_copy) {
        nn_free(value_copy);
        if (i == meta->n) nn_free(key_copy);
        return nn_error(NN_ENOMEM, "nn_meta_set: out of memory");
    }
    if (i == meta->n) {
        meta->keys[meta->n++] = key_copy;
    } else {
        nn_free(meta->values[i]);
    }
    meta->values[i] = value_copy;
    return NN_OK;
}

const char *nn_meta_get(const nn_meta *meta, const char *key)
{
    size_t i = find(meta, key);
    return i < meta->n ? meta->values[i] : NULL;
}

size_t nn_meta_count(const nn_meta *meta)
{
    return meta->n;
}

const char *nn_meta_key(const nn_meta *meta, size_t i)
{
    return i < meta->n ? meta->keys[i] : NULL;
}

const char *nn_meta_value(const nn_meta *meta, size_t i)
{
    return i < meta->n ? meta->values[i] : NULL;
}
