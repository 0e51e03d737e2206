import FenzoCore

/// The knobs of one replay.
struct SimulationSettings: Sendable {
    /// Seconds from asking for a host to its first lease.
    var bootDelayS = 60.0
    /// Seconds between scheduling iterations (each followed by an autoscaler evaluation).
    var iterationS = 5.0
    var minIdleHosts = 2
    var maxIdleHosts = 4
    var coolDownS = 120.0
    var placementOrder = PlacementOrder.asGiven
    var fitnessName = "cpuMemory"
    /// Feed a demand forecast (fitted hourly once a day of history exists) to the autoscaler.
    var predictive = false
    /// Seconds ahead the forecast sizes for.
    var forecastLookaheadS = 1800.0
    /// Residual standard deviations added to the forecast's peak.
    var forecastMargin = 1.0
    /// Carry out scale-down hints (move the tasks, as kill and restart) this often; nil never.
    var hintIntervalS: Double?
    /// At most this many hints are carried out per round.
    var hintsPerRound = 4
    /// Seconds between timeline samples.
    var sampleS = 30.0
}

/// One point of the timeline the plot draws.
struct TimelineSample: Sendable {
    var at: Double
    /// Hosts launched and not yet gone (booting ones included: they are paid for).
    var fleet: Int
    /// Hosts that run tasks.
    var busy: Int
    /// max over resources of ceil(demand of running and waiting tasks / host capacity).
    var lowerBound: Int
    var waiting: Int
    var forecast: Int?
}

/// What a replay measured.
struct SimulationReport: Sendable {
    var workload: String
    var settings: SimulationSettings
    var durationS: Double
    var hostHours: Double
    var lowerBoundHostHours: Double
    var peakFleet: Int
    var peakLowerBound: Int
    var pendingS: [Double]
    var neverPlaced: Int
    var scaleUps: Int
    var hostsAdded: Int
    var scaleDowns: Int
    var hostsRemoved: Int
    var flaps: Int
    var tasksMoved: Int
    var timeline: [TimelineSample]
    var wallSeconds: Double

    var fixedFleetHostHours: Double { Double(peakFleet) * durationS / 3600 }
    var overLowerBound: Double { hostHours / lowerBoundHostHours - 1 }
}

/// A cloud that boots hosts after a delay and terminates them when asked.
actor SimulatedCloud: ScaleProvider {
    struct Boot {
        var readyAt: Double
        var launchedAt: Double
    }

    private var now = 0.0
    private let bootDelayS: Double
    private var boots: [Boot] = []
    private var terminations: [HostName] = []

    init(bootDelayS: Double) { self.bootDelayS = bootDelayS }

    func setClock(_ seconds: Double) { now = seconds }

    func scaleUp(group: HostGroup, count: Int) async throws {
        for _ in 0..<count { boots.append(Boot(readyAt: now + bootDelayS, launchedAt: now)) }
    }

    func scaleDown(group: HostGroup, hosts: [HostName]) async throws {
        terminations += hosts
    }

    /// The hosts whose boot has finished by `seconds`.
    func takeBoots(upTo seconds: Double) -> [Boot] {
        let ready = boots.filter { $0.readyAt <= seconds }
        boots.removeAll { $0.readyAt <= seconds }
        return ready
    }

    /// Hosts asked for and still booting.
    func pendingBootCount() -> Int { boots.count }

    func takeTerminations() -> [HostName] {
        defer { terminations = [] }
        return terminations
    }
}

/// Replays a workload against a scheduler, with the autoscaler growing and shrinking
/// the fleet through a simulated cloud.
struct Simulation {
    let workload: Workload
    let settings: SimulationSettings
    let group: HostGroup = "main"
    let zones = ["zone-a", "zone-b", "zone-c"]

    func run(progress: (String) -> Void) async throws -> SimulationReport {
        let clock = ContinuousClock()
        let started = clock.now
        let shape = workload.hostShape
        var scheduler = TaskScheduler(
            configuration: SchedulerConfiguration(
                fitness: Self.fitness(named: settings.fitnessName),
                leaseExpiry: nil,
                placementOrder: settings.placementOrder
            )
        )
        let rule = AutoscaleRule(
            group: group,
            minIdleHosts: settings.minIdleHosts,
            maxIdleHosts: settings.maxIdleHosts,
            coolDown: .milliseconds(Int64(settings.coolDownS * 1000)),
            minimumIdleHostSize: Resources(cpus: shape.resources.cpus / 2, memoryMB: shape.resources.memoryMB / 2),
            hostShape: shape
        )
        var autoscaler = try Autoscaler(
            configuration: AutoscalerConfiguration(groupAttribute: "group", balanceAttribute: "zone", rules: [rule])
        )
        let cloud = SimulatedCloud(bootDelayS: settings.bootDelayS)

        let tasks = workload.tasks.sorted { $0.submitAt < $1.submitAt }
        let lastEnd = tasks.compactMap { task in task.durationS.map { task.submitAt + $0 } }.max() ?? 0
        let horizon = max((tasks.last?.submitAt ?? 0) + 600, lastEnd)
        var nextArrival = 0
        var waiting: [SimulatedTask] = []
        var migrated = Set<TaskID>()
        var ends = EventHeap()
        var pendingS: [Double] = []
        var hostCount = 0
        var launchedAt: [HostName: Double] = [:]
        var readyAt: [HostName: Double] = [:]
        var leaving = Set<HostName>()
        var hostSeconds = 0.0
        var lowerBoundSeconds = 0.0
        var peakFleet = 0
        var peakLowerBound = 0
        var scaleUps = 0
        var hostsAdded = 0
        var scaleDowns = 0
        var hostsRemoved = 0
        var flaps = 0
        var tasksMoved = 0
        var leaseSerial = 0
        var timeline: [TimelineSample] = []
        var nextSample = 0.0
        var nextHints = settings.hintIntervalS ?? .infinity
        var history: [DemandSample] = []
        var forecast: DemandForecast?
        var nextFit = 86_400.0
        var forecastHosts: Int?
        var nextProgress = 0.0
        var runningDemand = Resources.zero
        var requestOf: [TaskID: SimulatedTask] = [:]

        func offer(_ host: HostName, _ resources: Resources, ports: PortRanges, at now: Double) {
            guard let view = scheduler.host(host) else { return }
            leaseSerial += 1
            let lease = Lease(
                id: LeaseID("l\(leaseSerial)"),
                hostname: host,
                resources: resources,
                ports: ports,
                attributes: view.attributes,
                offeredAt: .seconds(now)
            )
            try? scheduler.addLease(lease)
        }

        var now = 0.0
        while now <= horizon {
            let instant = Instant.seconds(now)
            await cloud.setClock(now)
            // Hosts whose boot finished offer their whole shape.
            for boot in await cloud.takeBoots(upTo: now) {
                let name = HostName("h-\(String(hostCount + 100_000).dropFirst())")
                var attributes = shape.attributes
                attributes["group"] = group.rawValue
                attributes["zone"] = zones[hostCount % zones.count]
                hostCount += 1
                leaseSerial += 1
                try scheduler.addLease(
                    Lease(
                        id: LeaseID("l\(leaseSerial)"),
                        hostname: name,
                        resources: shape.resources,
                        ports: shape.ports,
                        attributes: attributes,
                        offeredAt: instant
                    )
                )
                launchedAt[name] = boot.launchedAt
                readyAt[name] = now
            }
            // Tasks that ended give their room back to their host.
            while let event = ends.peek(), event.at <= now {
                ends.pop()
                guard let task = try? scheduler.removeRunningTask(event.task) else { continue }
                runningDemand -= task.request.resources
                offer(task.hostname, task.request.resources, ports: PortRanges(task.ports.map { $0...$0 }), at: now)
            }
            // Hosts asked to leave go once they run nothing.
            for host in await cloud.takeTerminations() { leaving.insert(host) }
            for host in leaving.sorted() where (scheduler.host(host)?.taskCount ?? 0) == 0 {
                leaving.remove(host)
                if scheduler.host(host) != nil { try scheduler.removeHost(host) }
                launchedAt[host] = nil
                hostsRemoved += 1
                if let ready = readyAt[host], now - ready < settings.coolDownS { flaps += 1 }
            }
            // Arrivals join the queue.
            while nextArrival < tasks.count, tasks[nextArrival].submitAt <= now {
                waiting.append(tasks[nextArrival])
                requestOf[tasks[nextArrival].request.id] = tasks[nextArrival]
                nextArrival += 1
            }
            // Scale-down hints, carried out as kill and restart elsewhere.
            if now >= nextHints {
                nextHints += settings.hintIntervalS ?? .infinity
                let hints = autoscaler.scaleDownHints(for: scheduler, at: instant)
                for hint in hints.prefix(settings.hintsPerRound) {
                    // Keep the moved tasks off the host they leave, for this iteration only.
                    try? scheduler.disableHost(hint.host, until: .seconds(now + settings.iterationS / 2))
                    for task in scheduler.runningTasks(on: hint.host) {
                        guard (try? scheduler.removeRunningTask(task.request.id)) != nil else { continue }
                        runningDemand -= task.request.resources
                        ends.remove(task.request.id)
                        offer(
                            task.hostname,
                            task.request.resources,
                            ports: PortRanges(task.ports.map { $0...$0 }),
                            at: now
                        )
                        if var moved = requestOf[task.request.id] {
                            // The rest of its run goes with it.
                            if let end = ends.removedEnd(task.request.id) { moved.durationS = end - now }
                            migrated.insert(task.request.id)
                            waiting.insert(moved, at: 0)
                        }
                        tasksMoved += 1
                    }
                }
            }
            // One scheduling iteration over every waiting task.
            let result = scheduler.schedule(waiting.map(\.request), at: instant)
            var placed = Set<TaskID>()
            for assignment in result.assignments {
                offer(assignment.hostname, assignment.unused, ports: assignment.unusedPorts, at: now)
                for task in assignment.tasks {
                    placed.insert(task.taskID)
                    runningDemand += task.request.resources
                }
            }
            if !placed.isEmpty {
                for task in waiting where placed.contains(task.request.id) {
                    if migrated.remove(task.request.id) == nil { pendingS.append(now - task.submitAt) }
                    if let duration = task.durationS { ends.push(EndEvent(at: now + duration, task: task.request.id)) }
                }
                waiting.removeAll { placed.contains($0.request.id) }
            }
            // Demand history and forecast.
            let busy = scheduler.hostViews.count { $0.taskCount > 0 }
            if settings.predictive, now >= nextFit {
                nextFit += 3600
                forecast = try? DemandForecast.fit(history)
            }
            forecastHosts = forecast.map {
                $0.hostsNeeded(
                    from: instant,
                    through: instant + .seconds(Int64(settings.forecastLookaheadS)),
                    margin: settings.forecastMargin
                )
            }
            let decision = autoscaler.evaluate(
                scheduler: &scheduler,
                failures: result.failures,
                forecast: forecastHosts.map { [group: $0] } ?? [:],
                at: instant
            )
            for action in decision.actions {
                let outcome = await cloud.perform(action)
                autoscaler.record(outcome, scheduler: &scheduler)
                switch action {
                case .scaleUp(_, let count, _):
                    scaleUps += 1
                    hostsAdded += count
                case .scaleDown:
                    scaleDowns += 1
                }
            }
            // Accounting: what is paid for against what the demand needs at least.
            let fleet = launchedAt.count + (await cloud.pendingBootCount())
            var demand = runningDemand
            for task in waiting { demand += task.request.resources }
            let lowerBound = Self.lowerBound(demand, shape.resources)
            hostSeconds += Double(fleet) * settings.iterationS
            lowerBoundSeconds += Double(lowerBound) * settings.iterationS
            peakFleet = max(peakFleet, fleet)
            peakLowerBound = max(peakLowerBound, lowerBound)
            if now >= nextSample {
                nextSample += settings.sampleS
                let needed = decision.groups.first?.hostsNeeded ?? 0
                if settings.predictive { history.append(DemandSample(at: instant, hosts: Double(busy + needed))) }
                timeline.append(
                    TimelineSample(
                        at: now,
                        fleet: fleet,
                        busy: busy,
                        lowerBound: lowerBound,
                        waiting: waiting.count,
                        forecast: forecastHosts
                    )
                )
            }
            if now >= nextProgress {
                nextProgress += horizon / 20
                progress(
                    "t=\(Int(now))s of \(Int(horizon))s: fleet \(fleet), busy \(busy), lower bound \(lowerBound), "
                        + "waiting \(waiting.count)"
                )
            }
            now += settings.iterationS
        }
        let elapsed = clock.now - started
        return SimulationReport(
            workload: workload.name,
            settings: settings,
            durationS: horizon,
            hostHours: hostSeconds / 3600,
            lowerBoundHostHours: lowerBoundSeconds / 3600,
            peakFleet: peakFleet,
            peakLowerBound: peakLowerBound,
            pendingS: pendingS,
            neverPlaced: waiting.count,
            scaleUps: scaleUps,
            hostsAdded: hostsAdded,
            scaleDowns: scaleDowns,
            hostsRemoved: hostsRemoved,
            flaps: flaps,
            tasksMoved: tasksMoved,
            timeline: timeline,
            wallSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        )
    }

    static func fitness(named name: String) -> any FitnessCalculator {
        switch name {
        case "cpu": BinPackingFitness.cpu
        case "memory": BinPackingFitness.memory
        default: BinPackingFitness.cpuMemory
        }
    }

    /// max over resources of ceil(demand / one host's capacity).
    static func lowerBound(_ demand: Resources, _ capacity: Resources) -> Int {
        var bound = 0
        for kind in ResourceKind.allCases where capacity[kind] > 0 {
            let hosts = (demand[kind] / capacity[kind] - 1e-9).rounded(.up)
            if hosts.isFinite { bound = max(bound, Int(hosts)) }
        }
        return bound
    }
}

/// When a running task ends.
struct EndEvent {
    var at: Double
    var task: TaskID
}

/// A binary min-heap of task ends, with removal by task for tasks that move.
struct EventHeap {
    private var items: [EndEvent] = []
    private var cancelled: [TaskID: Double] = [:]
    private var live: [TaskID: Double] = [:]

    mutating func push(_ event: EndEvent) {
        live[event.task] = event.at
        items.append(event)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].at < items[parent].at else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest live end, skipping cancelled ones.
    mutating func peek() -> EndEvent? {
        while let first = items.first {
            if live[first.task] == first.at { return first }
            popRaw()
        }
        return nil
    }

    mutating func pop() {
        if let first = items.first { live[first.task] = nil }
        popRaw()
    }

    /// Cancels a task's end (it moved); its end time stays readable once.
    mutating func remove(_ task: TaskID) {
        if let at = live.removeValue(forKey: task) { cancelled[task] = at }
    }

    /// The end a cancelled task had, read once.
    mutating func removedEnd(_ task: TaskID) -> Double? { cancelled.removeValue(forKey: task) }

    private mutating func popRaw() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left].at < items[smallest].at { smallest = left }
            if right < items.count, items[right].at < items[smallest].at { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
