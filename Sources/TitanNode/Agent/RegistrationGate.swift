import TitanModel

/// Whether the API currently knows this agent, shared by the loops that talk to it: orders and
/// usage wait for a registration; any call answered 404 marks the agent unregistered, and the
/// connection registers again.
public actor RegistrationGate {
    private var directives: AgentDirectives?
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var lostWaiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public var isRegistered: Bool { directives != nil }

    /// The API's latest directives, when registered.
    public var currentDirectives: AgentDirectives? { directives }

    public func markRegistered(_ directives: AgentDirectives) {
        self.directives = directives
        let waiting = waiters
        waiters = []
        for waiter in waiting { waiter.resume() }
    }

    /// Records new directives from a heartbeat without waking anyone.
    public func update(_ directives: AgentDirectives) {
        if self.directives != nil { self.directives = directives }
    }

    public func markUnregistered() {
        guard directives != nil else { return }
        directives = nil
        let waiting = lostWaiters
        lostWaiters = []
        for waiter in waiting { waiter.resume() }
    }

    /// Returns once the agent is registered.
    public func waitUntilRegistered() async {
        if directives != nil { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Returns once a call has found the agent unregistered.
    public func waitUntilUnregistered() async {
        if directives == nil { return }
        await withCheckedContinuation { lostWaiters.append($0) }
    }
}
