/* textfile.h - reading a small text file whole (a configuration, an
 * experiment), refusing what is not a regular file without blocking. */
#ifndef TPOOL_CORE_TEXTFILE_H
#define TPOOL_CORE_TEXTFILE_H

#include <stddef.h>

/* Why a read failed, for the caller's own message. */
typedef struct tpool__file_error {
    int opening;   /* 1 when the file could not be opened at all */
    int too_large; /* 1 when it holds more than the caller's limit */
    char why[160]; /* a phrase without the file name: "No such file or
                      directory", "Is a directory", "it is a FIFO ...",
                      "larger than 64 MiB" */
} tpool__file_error;

/*
 * Reads the regular file at `path` into a malloc'd buffer, NUL-terminated
 * at *len (the text may hold NUL bytes before that: the caller checks).
 * The file is opened without blocking and without becoming a controlling
 * terminal, then refused unless it is a regular file: a FIFO would block
 * open() until a writer comes (forever, for every pool of a program whose
 * TPOOL_CONFIG names one), a device or a socket has no end to read to.
 * Returns 0, or TPOOL_ENOENT (no such file), TPOOL_ENOMEM, or TPOOL_EIO
 * (anything else, including a file larger than max_size bytes) with `fe`
 * filled.
 */
int tpool__read_text_file(const char *path, size_t max_size, char **buf, size_t *len,
                          tpool__file_error *fe);

#endif
