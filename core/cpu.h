/* cpu.h - how many CPUs this process may use (platform code in cpu_linux.c). */
#ifndef TPOOL_CORE_CPU_H
#define TPOOL_CORE_CPU_H

/* CPUs in the affinity mask, however many the machine has (at least 1). */
unsigned tpool__cpu_affinity_count(void);
/*
 * The CPU quota of this process's cgroup as a CPU count rounded up, the
 * tightest on the way from its cgroup up to the root; 0 when there is none.
 * `proc_self_cgroup` is a file in /proc/self/cgroup format, `cgroup_root`
 * where the hierarchies are mounted (/sys/fs/cgroup). cgroup v2 (the
 * "0::PATH" entry): ROOT/PATH/cpu.max, or ROOT/unified/PATH/cpu.max in
 * hybrid mode. cgroup v1 (an entry whose controllers include "cpu"):
 * cpu.cfs_quota_us / cpu.cfs_period_us under ROOT/CONTROLLERS (e.g.
 * "cpu,cpuacct"), or ROOT/cpu. With both, the smaller. Parameters exist so
 * tests can point at fixture files.
 */
unsigned tpool__cgroup_cpu_limit(const char *proc_self_cgroup, const char *cgroup_root);

/*
 * Test API (libtpool_core only, not exported): the files
 * tpool_default_threads reads the quota from, so that a test sees the same
 * count on a machine with a quota as without; NULL restores
 * /proc/self/cgroup and /sys/fs/cgroup. Not thread-safe: call it before
 * pools are made.
 */
void tpool__test_cgroup_files(const char *proc_self_cgroup, const char *cgroup_root);

#endif
