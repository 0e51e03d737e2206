#define _GNU_SOURCE 1
#include "CTitanLinux.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int titan_sigchld_fd(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int titan_unblock_all_signals(void) {
    sigset_t mask;
    sigemptyset(&mask);
    return sigprocmask(SIG_SETMASK, &mask, NULL);
}

int titan_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int titan_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int titan_close_from(unsigned int first) { return (int)syscall(SYS_close_range, first, ~0U, 0); }

int titan_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int titan_epoll_add(int epoll_fd, int fd, uint64_t token) {
    struct epoll_event event;
    event.events = EPOLLIN | EPOLLONESHOT;
    event.data.u64 = token;
    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

int titan_epoll_rearm(int epoll_fd, int fd, uint64_t token) {
    struct epoll_event event;
    event.events = EPOLLIN | EPOLLONESHOT;
    event.data.u64 = token;
    return epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &event);
}

int titan_epoll_remove(int epoll_fd, int fd) { return epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL); }

int titan_epoll_wait_tokens(int epoll_fd, uint64_t *tokens, int capacity, int timeout_ms) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int count = epoll_wait(epoll_fd, events, capacity, timeout_ms);
    for (int i = 0; i < count; i++) tokens[i] = events[i].data.u64;
    return count;
}

int titan_spawn_add_close_from(posix_spawn_file_actions_t *actions, int first) {
    return posix_spawn_file_actions_addclosefrom_np(actions, first);
}

int titan_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

short titan_spawn_setsid_flag(void) { return POSIX_SPAWN_SETSID; }

int titan_wifexited(int status) { return WIFEXITED(status); }
int titan_wexitstatus(int status) { return WEXITSTATUS(status); }
int titan_wifsignaled(int status) { return WIFSIGNALED(status); }
int titan_wtermsig(int status) { return WTERMSIG(status); }

int64_t titan_descriptor_size(int fd) {
    struct stat status;
    return fstat(fd, &status) == 0 ? (int64_t)status.st_size : -1;
}

int64_t titan_path_size(const char *path) {
    struct stat status;
    return stat(path, &status) == 0 ? (int64_t)status.st_size : -1;
}

uint64_t titan_descriptor_inode(int fd) {
    struct stat status;
    return fstat(fd, &status) == 0 ? (uint64_t)status.st_ino : 0;
}

uint64_t titan_path_inode(const char *path) {
    struct stat status;
    return stat(path, &status) == 0 ? (uint64_t)status.st_ino : 0;
}

int titan_malloc_trim(void) { return malloc_trim(0); }

uint64_t titan_heap_in_use_bytes(void) {
    struct mallinfo2 info = mallinfo2();
    return (uint64_t)info.uordblks + (uint64_t)info.hblkhd;
}
