/* cpu.h - how many CPUs this process may use (platform code in cpu_linux.c). */
#ifndef TPOOL_CORE_CPU_H
#define TPOOL_CORE_CPU_H

/* CPUs in the affinity mask (at least 1). */
unsigned tpool__cpu_affinity_count(void);
/*
 * The cgroup v2 CPU quota of this process as a CPU count rounded up, read
 * from cpu.max under the cgroup named in `proc_self_cgroup` (a path to a file
 * in /proc/self/cgroup format) below `cgroup_root`; 0 when there is none.
 * Parameters exist so tests can point at fixture files.
 */
unsigned tpool__cgroup_cpu_limit(const char *proc_self_cgroup, const char *cgroup_root);

#endif
