/* elf_linux.c - ELF checks of a policy file and of the loaded object (see
 * elf_check.h). */
#define _GNU_SOURCE
#include "elf_check.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int tpool__elf_check(const char *path, char *why, size_t why_size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0; /* dlopen reports it */
    struct stat st;
    Elf64_Ehdr eh;
    int rc = 0;
    if (fstat(fileno(f), &st) != 0 || fread(&eh, 1, sizeof eh, f) != sizeof eh
        || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64
        || eh.e_phentsize != sizeof(Elf64_Phdr)) {
        fclose(f); /* not a 64-bit ELF file we understand: dlopen decides */
        return 0;
    }
    unsigned long long fsize = (unsigned long long)st.st_size;
    unsigned long long table_end = eh.e_phoff + (unsigned long long)eh.e_phnum * sizeof(Elf64_Phdr);
    if (table_end > fsize) {
        fclose(f);
        snprintf(why, why_size,
                 "truncated ELF file: program header table (%u entries) ends at byte %llu, "
                 "past the end of the %llu-byte file",
                 (unsigned)eh.e_phnum, table_end, fsize);
        return -1;
    }
    for (unsigned i = 0; i < eh.e_phnum && rc == 0; i++) {
        Elf64_Phdr ph;
        if (fseek(f, (long)(eh.e_phoff + (unsigned long long)i * sizeof ph), SEEK_SET) != 0
            || fread(&ph, 1, sizeof ph, f) != sizeof ph)
            break;
        if (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > fsize) {
            snprintf(why, why_size,
                     "truncated ELF file: loadable segment %u ends at byte %llu, past the end "
                     "of the %llu-byte file",
                     i, (unsigned long long)(ph.p_offset + ph.p_filesz), fsize);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

int tpool__elf_symbol_is_code(const void *sym, char *why, size_t why_size)
{
    Dl_info info;
    const ElfW(Sym) *es = NULL;
    if (!dladdr1(sym, &info, (void **)&es, RTLD_DL_SYMENT) || !es)
        return 0; /* no symbol table entry to judge by */
    const char *kind;
    switch (ELF64_ST_TYPE(es->st_info)) { /* the same in ELF32 */
    case STT_OBJECT: kind = "a data object (STT_OBJECT)"; break;
    case STT_COMMON: kind = "a common data block (STT_COMMON)"; break;
    case STT_TLS: kind = "thread-local data (STT_TLS)"; break;
    default: return 0; /* STT_FUNC, STT_GNU_IFUNC, or untyped assembly */
    }
    snprintf(why, why_size, "%s", kind);
    return -1;
}

struct span {
    uintptr_t anchor, begin, end;
    bool inside;
};

static int find_span(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct span *s = arg;
    bool owner = false;
    for (int pass = 0; pass < 2; pass++) {
        for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            if (ph->p_type != PT_LOAD)
                continue;
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
            if (pass == 0 && s->anchor >= lo && s->anchor < hi)
                owner = true;
            if (pass == 1 && (ph->p_flags & PF_R) && s->begin >= lo && s->end <= hi)
                s->inside = true;
        }
        if (!owner)
            return 0; /* not the anchor's object: look at the next one */
    }
    return 1; /* the anchor's object was found: stop */
}

bool tpool__elf_in_object(const void *anchor, const void *p, size_t len)
{
    uintptr_t b = (uintptr_t)p;
    if (!p || b + len < b)
        return false;
    struct span s = { (uintptr_t)anchor, b, b + len, false };
    dl_iterate_phdr(find_span, &s);
    return s.inside;
}
