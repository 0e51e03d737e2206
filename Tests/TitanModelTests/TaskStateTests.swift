import Testing

@testable import TitanModel

@Suite("Task state machine")
struct TaskStateTests {
    /// The table from the doc comment of `TaskState`, written out again: the pairs allowed,
    /// and for `finished` which reasons.
    static let allowed: [TaskState: [TaskState]] = [
        .accepted: [.launched, .finished],
        .launched: [.startInitiated, .started, .killInitiated, .finished],
        .startInitiated: [.started, .killInitiated, .finished],
        .started: [.killInitiated, .finished],
        .killInitiated: [.finished],
        .finished: [],
    ]

    static func expectedReasons(from: TaskState) -> Set<FinishReason> {
        from == .accepted ? [.killed] : Set(FinishReason.allCases)
    }

    static let pairs = TaskState.allCases.flatMap { from in TaskState.allCases.map { (from, $0) } }

    @Test("every (from, to) pair is allowed exactly as the table says", arguments: pairs)
    func everyPair(from: TaskState, to: TaskState) {
        let expected = Self.allowed[from]?.contains(to) ?? false
        if to == .finished {
            for reason in FinishReason.allCases {
                let allowed = expected && Self.expectedReasons(from: from).contains(reason)
                #expect(from.canTransition(to: to, reason: reason) == allowed, "\(from) → finished(\(reason))")
                if allowed { #expect((try? from.transition(to: to, reason: reason)) == .finished) }
            }
        } else {
            #expect(from.canTransition(to: to) == expected, "\(from) → \(to)")
            if expected { #expect((try? from.transition(to: to)) == to) }
        }
    }

    @Test(
        "a refused change says precisely why",
        arguments: [
            (
                TaskState.started, TaskState.started, FinishReason?.none, TaskTransitionError.Code.sameState,
                "task is already started"
            ),
            (
                .finished, .launched, nil, .fromFinished,
                "task has finished; it cannot move to launched (a restart is a new attempt)"
            ),
            (.started, .launched, nil, .backwards, "task cannot move back from started to launched"),
            (.accepted, .started, nil, .notAllowed, "task cannot move from accepted to started"),
            (.accepted, .killInitiated, nil, .notAllowed, "task cannot move from accepted to killInitiated"),
            (.started, .finished, nil, .reasonRequired, "moving to finished needs a finish reason"),
            (
                .launched, .started, .failed, .reasonNotExpected,
                "a finish reason is only given when moving to finished, not to started"
            ),
            (
                .accepted, .finished, .failed, .reasonNotPossible,
                "a task that was never launched can only finish as killed, not failed"
            ),
        ]
    )
    func refusals(
        from: TaskState,
        to: TaskState,
        reason: FinishReason?,
        code: TaskTransitionError.Code,
        message: String
    ) {
        #expect(throws: TaskTransitionError(code: code, from: from, to: to, reason: reason)) {
            try from.transition(to: to, reason: reason)
        }
        #expect(TaskTransitionError(code: code, from: from, to: to, reason: reason).description == message)
    }

    @Test("only failed and OOM-killed count as failures")
    func failures() {
        #expect(FinishReason.allCases.filter(\.isFailure) == [.failed, .oomKilled])
    }

    @Test("active and on-host states")
    func stateProperties() {
        #expect(
            TaskState.allCases.filter(\.isActive) == [.accepted, .launched, .startInitiated, .started, .killInitiated]
        )
        #expect(TaskState.allCases.filter(\.isOnHost) == [.launched, .startInitiated, .started, .killInitiated])
    }
}
