/* elf_check.h - refusing a truncated shared object before dlopen maps it. */
#ifndef TPOOL_CORE_ELF_CHECK_H
#define TPOOL_CORE_ELF_CHECK_H

#include <stddef.h>

/*
 * Checks that every loadable segment of the ELF file at `path` lies within
 * the file. glibc maps PT_LOAD segments straight from the file, so one that
 * runs past the end (a truncated copy, a half-written install) makes dlopen
 * die with SIGBUS instead of failing. Returns 0 when the file is not ELF or
 * looks whole (dlopen then gives its own verdict), or -1 with a reason in
 * `why` (NUL-terminated).
 */
int tpool__elf_check(const char *path, char *why, size_t why_size);

#endif
