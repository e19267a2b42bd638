/*
 * json_locate.h - JSON helpers for error messages: where a key or a value
 * sits in the text, how to name a key in a path, how to show a value, and
 * which known name a misspelt one was probably meant to be.
 *
 * tpool__json_locate's path syntax:
 * segments separated by '.', each an object key, optionally followed by
 * array indices ("policy_path[1]", "a.b[0][2]"); the empty path is the root.
 * A backslash takes the next character literally, so keys that contain '.',
 * '[' or '\' can be named (tpool__json_path_key writes them so).
 *
 * Positions are 1-based lines and 1-based columns counted the way jansson
 * counts them in its own error positions: one column per UTF-8 character
 * (a tab is one column), lines end at '\n' only.
 */
#ifndef TPOOL_CORE_JSON_LOCATE_H
#define TPOOL_CORE_JSON_LOCATE_H

#include <stddef.h>

#include <jansson.h>

/*
 * Finds where the value at a key path ("params.chunk", "threads") starts in a
 * JSON text: 1-based line and column (columns count UTF-8 characters, as
 * jansson counts them); paths may index arrays ("policy_path[1]") and escape
 * '.', '[' and '\' in key names with a backslash. Returns 0 on success, -1 if
 * the path is not found. For a key that occurs more than once the last
 * occurrence counts, as jansson keeps the last value.
 */
int tpool__json_locate(const char *text, const char *path, int *line, int *column);

/*
 * Like tpool__json_locate, but gives the position of the key itself (its
 * opening quote) rather than of its value. The last segment of `path` must be
 * an object key. Returns 0, or -1 when the path is not found.
 */
int tpool__json_locate_key(const char *text, const char *path, int *line,
                           int *column);

/*
 * True when the value at `path` (tpool__json_locate's syntax) is written as
 * the integer -0 in `text`. jansson reads it as 0, so the sign, which says
 * a negative number was meant, is seen only in the text.
 */
int tpool__json_negative_zero(const char *text, const char *path);

/* The line and column of byte `offset` of `text` (which is at least that
 * long), counted as above. */
void tpool__json_position(const char *text, size_t offset, int *line, int *column);

/*
 * Returns a malloc'd path naming member `name` of the value at `parent`
 * ("" or NULL for the root), with '.', '[' and '\' in `name` escaped, for
 * tpool__json_locate. NULL when out of memory.
 */
char *tpool__json_path_key(const char *parent, const char *name);

/*
 * Writes a JSON rendering of `v` into buf (NUL-terminated), cut to at most
 * about 40 characters with "..." on a UTF-8 character boundary, for the
 * "got ..." part of messages. Returns buf.
 */
char *tpool__json_render(const json_t *v, char *buf, size_t size);

/*
 * Returns the candidate that `word` most likely misspells (a small edit
 * distance, ignoring case, or `word` being a prefix or an abbreviation of it,
 * as "reps" of "repetitions"), or NULL when none
 * is close. NULL entries in `candidates` are skipped.
 */
const char *tpool__json_suggest(const char *word, const char *const *candidates,
                                size_t ncandidates);

#endif
