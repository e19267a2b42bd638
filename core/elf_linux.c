/* elf_linux.c - ELF segment bounds, checked before dlopen (see elf_check.h). */
#define _GNU_SOURCE
#include "elf_check.h"

#include <elf.h>
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
