import TitanModel

/// Whether the API currently knows this agent, shared by the loops that talk to it: orders and
/// usage wait for a registration; any call answered 404 marks the agent unregistered, and the
/// connection registers again.
public actor RegistrationGate {
    private var directives: AgentDirectives?
    private var registeredWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0

    public init() {}

    public var isRegistered: Bool { directives != nil }

    /// The API's latest directives, when registered.
    public var currentDirectives: AgentDirectives? { directives }

    public func markRegistered(_ directives: AgentDirectives) {
        self.directives = directives
        let waiting = registeredWaiters.values
        registeredWaiters = [:]
        for waiter in waiting { waiter.resume() }
    }

    /// Records new directives from a heartbeat without waking anyone.
    public func update(_ directives: AgentDirectives) {
        if self.directives != nil { self.directives = directives }
    }

    public func markUnregistered() {
        directives = nil
    }

    /// Returns once the agent is registered, or the calling task is cancelled.
    public func waitUntilRegistered() async {
        if directives != nil { return }
        let id = nextWaiter
        nextWaiter += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || directives != nil {
                    continuation.resume()
                } else {
                    registeredWaiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: Int) {
        registeredWaiters.removeValue(forKey: id)?.resume()
    }
}
