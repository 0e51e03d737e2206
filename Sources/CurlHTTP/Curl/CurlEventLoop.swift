import CCurl
import Foundation
import Synchronization

/// One thread that drives every transfer of a client through a libcurl multi handle.
///
/// Blocking libcurl calls never run on Swift concurrency's cooperative threads: tasks hand
/// transfers over as commands and await continuations that this thread resumes. One thread
/// serves any number of concurrent requests and open streams. The thread ends once shutdown
/// has been requested and the last transfer has finished.
final class CurlEventLoop: Sendable {
    private enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case resumeReceiving(CurlTransfer)
        case shutdown
    }

    private struct Inbox {
        var commands: [Command] = []
        /// False once the thread has left its loop; the multi handle is gone then.
        var isRunning = true
        var shutdownRequested = false
    }

    /// The multi handle, used only by the loop thread (and `curl_multi_wakeup`, which is
    /// thread-safe, under the inbox lock while the loop runs).
    private struct MultiHandle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private let inbox = Mutex(Inbox())
    private let multi: MultiHandle?

    init(threadName: String = "titan.curl") {
        CurlLibrary.initializeOnce()
        multi = curl_multi_init().map(MultiHandle.init)
        guard multi != nil else {
            inbox.withLock { $0.isRunning = false }
            return
        }
        let thread = Thread { [self] in run() }
        thread.name = threadName
        thread.start()
    }

    /// Hands a configured transfer to the loop; false when the loop has shut down.
    func submit(_ transfer: CurlTransfer) -> Bool {
        send(.add(transfer), evenWhenShuttingDown: false)
    }

    /// Stops a transfer; its waiters get ``HTTPClientError/Code/cancelled``.
    func cancel(_ transfer: CurlTransfer) {
        _ = send(.cancel(transfer), evenWhenShuttingDown: true)
    }

    /// Continues a transfer paused because its reader fell behind.
    func resumeReceiving(_ transfer: CurlTransfer) {
        _ = send(.resumeReceiving(transfer), evenWhenShuttingDown: true)
    }

    /// Lets the thread end once the transfers in flight have finished; new ones are refused.
    func shutdown() {
        _ = send(.shutdown, evenWhenShuttingDown: true)
    }

    private func send(_ command: Command, evenWhenShuttingDown: Bool) -> Bool {
        inbox.withLock { inbox in
            guard inbox.isRunning, let multi, evenWhenShuttingDown || !inbox.shutdownRequested else { return false }
            if case .shutdown = command { inbox.shutdownRequested = true }
            inbox.commands.append(command)
            curl_multi_wakeup(multi.pointer)
            return true
        }
    }

    private func run() {
        guard let multi = multi?.pointer else { return }
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        var stopping = false
        while true {
            let commands = inbox.withLock { inbox in
                defer { inbox.commands.removeAll() }
                return inbox.commands
            }
            for command in commands {
                switch command {
                case .add(let transfer):
                    if transfer.isCancelRequested {
                        transfer.complete(with: .cancelled(transfer.request))
                    } else if curl_multi_add_handle(multi, transfer.easy) == CURLM_OK {
                        active[transfer.easy] = transfer
                    } else {
                        transfer.complete(
                            with: HTTPClientError(
                                code: .transferFailed,
                                message: "libcurl could not start \(transfer.request.method) \(transfer.request.url)"
                            )
                        )
                    }
                case .cancel(let transfer):
                    if active.removeValue(forKey: transfer.easy) != nil {
                        curl_multi_remove_handle(multi, transfer.easy)
                        transfer.complete(with: .cancelled(transfer.request))
                    }
                case .resumeReceiving(let transfer):
                    if active[transfer.easy] != nil { curl_easy_pause(transfer.easy, ccurl_pause_cont) }
                case .shutdown:
                    stopping = true
                }
            }
            if stopping && active.isEmpty {
                let idle = inbox.withLock { inbox in
                    guard inbox.commands.isEmpty else { return false }
                    inbox.isRunning = false
                    return true
                }
                if idle { break }
                continue
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = ccurl_message_result(message)
                if let transfer = active.removeValue(forKey: easy) {
                    curl_multi_remove_handle(multi, easy)
                    transfer.finish(result)
                }
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        curl_multi_cleanup(multi)
    }
}

/// libcurl's process-wide setup, done once before the first handle.
enum CurlLibrary {
    private static let initialized: Bool = ccurl_global_init() == CURLE_OK

    static func initializeOnce() { _ = initialized }
}
