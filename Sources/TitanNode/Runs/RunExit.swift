import TitanModel

/// How a run ended, as its runtime saw it.
public struct RunExit: Hashable, Sendable {
    /// What ended it.
    public enum Cause: Hashable, Sendable {
        /// The main process exited with this status.
        case exited(code: Int)
        /// The main process was killed by this signal (process runtime).
        case signaled(signal: Int32)
        /// It could not be started: image missing, command not found, …
        case failedToStart(reason: String)
        /// The agent cannot find it any more (container removed, shim gone without a record).
        case vanished(reason: String)
    }

    public var cause: Cause
    /// The kernel's OOM killer killed a process of the run.
    public var oomKilled: Bool
    /// A signal someone other than Titan sent through the Docker engine, if one was seen.
    public var externalSignal: String?

    public init(cause: Cause, oomKilled: Bool = false, externalSignal: String? = nil) {
        self.cause = cause
        self.oomKilled = oomKilled
        self.externalSignal = externalSignal
    }
}

/// The `finished` status a run's end becomes: reason, exit code and a message for people.
public struct RunOutcome: Hashable, Sendable {
    public var reason: FinishReason
    public var exitCode: Int?
    public var message: String?

    public init(reason: FinishReason, exitCode: Int?, message: String?) {
        self.reason = reason
        self.exitCode = exitCode
        self.message = message
    }

    /// Decides how a run's end is reported.
    ///
    /// In order: a kill Titan asked for is `killed`, even when the process died of the signal
    /// (a kill wins over an OOM seen during the grace period); the OOM killer's work is
    /// `oomKilled`; a run stopped at the end of its simulated duration `succeeded`; a run that
    /// vanished is `lost`; a run that could not start `failed`; exit 0 `succeeded`; any other exit
    /// or signal `failed`, the message saying so, and naming a kill Titan did not ask for.
    /// - Parameters:
    ///   - killReason: why Titan asked for the kill, when it did.
    ///   - durationElapsed: the run was stopped because its `durationSeconds` had passed.
    ///   - memoryLimitMB: the run's memory limit, for the OOM message.
    public static func decide(
        exit: RunExit,
        killReason: String?,
        durationElapsed: Bool,
        memoryLimitMB: Int
    ) -> RunOutcome {
        let code: Int? =
            switch exit.cause {
            case .exited(let code): code
            case .signaled(let signal): 128 + Int(signal)
            case .failedToStart, .vanished: nil
            }
        if let killReason {
            return RunOutcome(reason: .killed, exitCode: code, message: "killed: \(killReason)")
        }
        if exit.oomKilled {
            return RunOutcome(
                reason: .oomKilled,
                exitCode: code,
                message: "out of memory: killed by the kernel at its limit of \(memoryLimitMB) MB"
            )
        }
        if durationElapsed {
            return RunOutcome(reason: .succeeded, exitCode: code, message: "stopped at the end of its set duration")
        }
        switch exit.cause {
        case .vanished(let reason):
            return RunOutcome(reason: .lost, exitCode: nil, message: reason)
        case .failedToStart(let reason):
            return RunOutcome(reason: .failed, exitCode: nil, message: reason)
        case .exited(0):
            return RunOutcome(reason: .succeeded, exitCode: 0, message: nil)
        case .exited(let code):
            var message = "exited with status \(code)"
            if let signal = exit.externalSignal {
                message += " after \(signal) sent through the Docker engine by someone other than Titan"
            } else if code > 128 && code <= 128 + 64 {
                message += " (killed by \(signalName(Int32(code - 128))), not by Titan)"
            }
            return RunOutcome(reason: .failed, exitCode: code, message: message)
        case .signaled(let signal):
            return RunOutcome(
                reason: .failed,
                exitCode: 128 + Int(signal),
                message: "killed by \(signalName(signal)), not by Titan"
            )
        }
    }

    /// `SIGKILL (9)` for 9.
    public static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
            9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
        ]
        return names[signal].map { "\($0) (\(signal))" } ?? "signal \(signal)"
    }
}
