// Linux calls the agent and its task shim need that Swift's Glibc module does not expose:
// signalfd, pidfd_open, close_range, epoll with a plain token, GNU posix_spawn extensions,
// and the wait-status macros. Each is a small typed function (defined in CTitanLinux.c, which
// compiles with _GNU_SOURCE; the header stays free of feature macros so its system headers
// agree with Swift's Glibc module).
#ifndef CTITANLINUX_H
#define CTITANLINUX_H

#include <spawn.h>
#include <stdint.h>
#include <sys/types.h>

/// Blocks SIGCHLD for the calling thread and returns a non-blocking, close-on-exec signalfd
/// that becomes readable when a child changes state; -1 with errno on failure.
int titan_sigchld_fd(void);

/// Unblocks every signal for the calling thread (a forked child before exec).
int titan_unblock_all_signals(void);

/// A close-on-exec descriptor that becomes readable when process `pid` exits; -1 with errno
/// on failure (ESRCH: no such process).
int titan_pidfd_open(pid_t pid);

/// A pipe whose two ends are close-on-exec (pipe2 with O_CLOEXEC).
int titan_pipe_cloexec(int fds[2]);

/// Closes every file descriptor from `first` up.
int titan_close_from(unsigned int first);

/// A close-on-exec epoll set; -1 with errno on failure.
int titan_epoll_create(void);

/// Adds `fd` to an epoll set, readable and one-shot, reporting `token` when it fires.
int titan_epoll_add(int epoll_fd, int fd, uint64_t token);

/// Re-arms a one-shot descriptor already in the set.
int titan_epoll_rearm(int epoll_fd, int fd, uint64_t token);

int titan_epoll_remove(int epoll_fd, int fd);

/// Waits for up to `capacity` (at most 64) ready descriptors and stores their tokens; returns
/// how many, or -1 with errno.
int titan_epoll_wait_tokens(int epoll_fd, uint64_t *tokens, int capacity, int timeout_ms);

int titan_spawn_add_close_from(posix_spawn_file_actions_t *actions, int first);
int titan_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

/// The flag that makes posix_spawn start the child in a new session (setsid).
short titan_spawn_setsid_flag(void);

/// The size of an open file, or -1 with errno.
int64_t titan_descriptor_size(int fd);
/// The size of a file by path, or -1 with errno.
int64_t titan_path_size(const char *path);
/// The inode of an open file, or 0 on error.
uint64_t titan_descriptor_inode(int fd);
/// The inode of a file by path, or 0 on error.
uint64_t titan_path_inode(const char *path);

/// Returns free heap memory to the system (glibc malloc_trim); 1 if some was released.
int titan_malloc_trim(void);

/// Bytes malloc has handed out and not had back (glibc mallinfo2: uordblks + hblkhd).
uint64_t titan_heap_in_use_bytes(void);

int titan_wifexited(int status);
int titan_wexitstatus(int status);
int titan_wifsignaled(int status);
int titan_wtermsig(int status);

#endif
