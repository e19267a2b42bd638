/* elf_check.h - what the ELF file and the loaded object say about a policy,
 * checked before the loader trusts it. */
#ifndef TPOOL_CORE_ELF_CHECK_H
#define TPOOL_CORE_ELF_CHECK_H

#include <stdbool.h>
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

/*
 * Checks that `sym`, an address dlsym returned, is a function: a data
 * object exported under the entry point's name would be called as code.
 * Returns 0 when the symbol is a function or its type cannot be told, or -1
 * with the symbol type in `why` ("a data object (STT_OBJECT)").
 */
int tpool__elf_symbol_is_code(const void *sym, char *why, size_t why_size);

/*
 * True when [p, p + len) lies inside one readable loadable segment of the
 * loaded object that contains `anchor` (an address in the policy's .so):
 * memory the loader may read without a fault. False for memory elsewhere
 * (the heap, another library, nothing at all).
 */
bool tpool__elf_in_object(const void *anchor, const void *p, size_t len);

#endif
