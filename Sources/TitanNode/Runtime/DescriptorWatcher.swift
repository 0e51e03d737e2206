import CTitanLinux
import Foundation
import Glibc
import Synchronization

/// Wakes async waiters when file descriptors become readable: one thread and one epoll set for
/// the whole agent, so watching hundreds of task shims (through pidfds, readable once the
/// process exits) costs no thread per task.
final class DescriptorWatcher: Sendable {
    private struct Waiter {
        var descriptor: Int32
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        /// Tokens whose task was cancelled before its waiter was registered.
        var cancelledTokens: Set<UInt64> = []
        var nextToken: UInt64 = 1
        var threadStarted = false
    }

    private let epollDescriptor: Int32
    private let state = Mutex(State())

    /// The process's watcher; its thread starts on first use.
    static let shared = DescriptorWatcher()

    init() {
        epollDescriptor = titan_epoll_create()
    }

    /// Returns once `descriptor` is readable (or the calling task is cancelled).
    func waitUntilReadable(_ descriptor: Int32) async {
        let token = state.withLock { state -> UInt64 in
            defer { state.nextToken += 1 }
            return state.nextToken
        }
        startThreadIfNeeded()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let registered = state.withLock { state -> Bool in
                    // Cancelled already (the handler ran first): no wait at all.
                    if state.cancelledTokens.remove(token) != nil { return false }
                    guard titan_epoll_add(epollDescriptor, descriptor, token) == 0 else { return false }
                    state.waiters[token] = Waiter(descriptor: descriptor, continuation: continuation)
                    return true
                }
                // A descriptor epoll refuses (a regular file) counts as readable now.
                if !registered { continuation.resume() }
            }
        } onCancel: {
            cancel(token)
        }
        // A cancellation after the wake-up left a mark nobody will look for.
        state.withLock { _ = $0.cancelledTokens.remove(token) }
    }

    /// Resumes a cancelled task's waiter, or marks its token so it never starts waiting.
    private func cancel(_ token: UInt64) {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiters.removeValue(forKey: token) else {
                state.cancelledTokens.insert(token)
                return nil
            }
            _ = titan_epoll_remove(epollDescriptor, waiter.descriptor)
            return waiter
        }
        waiter?.continuation.resume()
    }

    /// Removes a waiter and resumes it, if it is still waiting.
    private func resume(_ token: UInt64) {
        let waiter = state.withLock { state -> Waiter? in
            guard let waiter = state.waiters.removeValue(forKey: token) else { return nil }
            _ = titan_epoll_remove(epollDescriptor, waiter.descriptor)
            return waiter
        }
        waiter?.continuation.resume()
    }

    private func startThreadIfNeeded() {
        let start = state.withLock { state -> Bool in
            defer { state.threadStarted = true }
            return !state.threadStarted
        }
        guard start else { return }
        let thread = Thread { [self] in loop() }
        thread.name = "titan-descriptor-watcher"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    private func loop() {
        var tokens = [UInt64](repeating: 0, count: 64)
        while true {
            let count = tokens.withUnsafeMutableBufferPointer { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return 0 }
                return titan_epoll_wait_tokens(epollDescriptor, base, Int32(buffer.count), 1000)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            for index in 0..<Int(count) { resume(tokens[index]) }
            if count == 0 { sweep() }
        }
    }

    /// Once a quiet second, resumes waiters whose descriptor is ready (or no longer open)
    /// although epoll did not report it. A fresh-clone CI run hung with a task shim exited
    /// (a zombie, so its pidfd readable) and its waiter never woken: this bounds such a lost
    /// wake-up to a second instead of forever.
    private func sweep() {
        let ready = state.withLock { state in
            state.waiters.filter { Self.isReadyNow($0.value.descriptor) }.map(\.key)
        }
        for token in ready { resume(token) }
    }

    private static func isReadyNow(_ descriptor: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 1
    }
}
