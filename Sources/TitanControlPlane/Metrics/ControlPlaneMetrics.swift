import Prometheus
import Synchronization
import TitanModel

/// The numbers titan-api exports at `/metrics`, in one Prometheus registry it owns (no global
/// metrics system, so tests can run several servers in one process).
public final class ControlPlaneMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let jobsCreated: Counter
    let tasksPlaced: Counter
    let tasksLost: Counter
    let tasksRestarted: Counter
    let statusUpdates: Counter
    let iterations: Counter
    let iterationDuration: DurationHistogram
    let pendingTasks: Gauge
    let hostsUp: Gauge
    let hostsDown: Gauge
    let ready: Gauge
    private let requestCounters = Mutex<[String: Counter]>([:])
    private let requestDurations = Mutex<[String: DurationHistogram]>([:])
    private let usageGauges = Mutex<[TaskInstanceID: (cpu: Gauge, memory: Gauge)]>([:])
    private let autoscalerCounters = Mutex<[String: Counter]>([:])
    private let autoscalerGauges = Mutex<[String: Gauge]>([:])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: Self.descriptor(name, unit: "total", help))
        }
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: Self.descriptor(name, unit: "", help))
        }
        jobsCreated = counter("jobs_created", "Jobs created (idempotent repeats not counted).")
        tasksPlaced = counter("tasks_placed", "Runs placed on hosts by the scheduler.")
        tasksLost = counter("tasks_lost", "Runs marked lost (host lost, or missing from its host's reports).")
        tasksRestarted = counter("tasks_restarted", "Runs started again by restart policy.")
        statusUpdates = counter("agent_status_updates", "Status updates received from agents.")
        iterations = counter("scheduling_iterations", "Scheduling iterations run.")
        iterationDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor(
                "scheduling_iteration_duration",
                unit: "seconds",
                "Time per scheduling iteration."
            ),
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100), .milliseconds(500),
                .seconds(2),
            ]
        )
        pendingTasks = gauge("tasks_pending", "Runs waiting for a host after the last iteration.")
        hostsUp = gauge("hosts_up", "Hosts whose agent is answering.")
        hostsDown = gauge("hosts_down", "Hosts marked lost.")
        ready = gauge("ready", "1 once recovery finished and the API serves agents.")
    }

    /// Counts one HTTP request and its duration, by route pattern (not the concrete path, so
    /// ids do not multiply the series).
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let key = "\(method) \(route) \(status)"
        let counter = requestCounters.withLock { counters in
            if let existing = counters[key] { return existing }
            let made = registry.makeCounter(
                descriptor: Self.descriptor("http_requests", unit: "total", "HTTP requests served."),
                labels: [("method", method), ("route", route), ("status", String(status))]
            )
            counters[key] = made
            return made
        }
        counter.increment()
        let routeKey = "\(method) \(route)"
        let histogram = requestDurations.withLock { histograms in
            if let existing = histograms[routeKey] { return existing }
            let made = registry.makeDurationHistogram(
                descriptor: Self.descriptor(
                    "http_request_duration",
                    unit: "seconds",
                    "Time to answer an HTTP request."
                ),
                labels: [("method", method), ("route", route)],
                buckets: [
                    .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50),
                    .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
                ]
            )
            histograms[routeKey] = made
            return made
        }
        histogram.record(duration)
    }

    /// Counts one autoscaler action (`titan_autoscaler_actions_total{group,direction}`) and, if
    /// the provider failed it, `titan_autoscaler_action_failures_total{group,direction}`.
    func countAutoscalerAction(group: String, direction: String, failed: Bool) {
        let names = failed ? ["actions", "action_failures"] : ["actions"]
        for name in names {
            let key = "\(name) \(group) \(direction)"
            let counter = autoscalerCounters.withLock { counters in
                if let existing = counters[key] { return existing }
                let made = registry.makeCounter(
                    descriptor: Self.descriptor(
                        "autoscaler_\(name)",
                        unit: "total",
                        name == "actions"
                            ? "Autoscaler actions taken (scale up or down), carried out or not."
                            : "Autoscaler actions the scale provider refused or failed."
                    ),
                    labels: [("group", group), ("direction", direction)]
                )
                counters[key] = made
                return made
            }
            counter.increment()
        }
    }

    /// The autoscaler's view of a host group at its latest evaluation
    /// (`titan_autoscaler_hosts{group,state}`, state idle, busy, draining or coming).
    func setAutoscalerGroup(_ group: String, hosts: [String: Int]) {
        for (state, count) in hosts {
            let key = "\(group) \(state)"
            let gauge = autoscalerGauges.withLock { gauges in
                if let existing = gauges[key] { return existing }
                let made = registry.makeGauge(
                    descriptor: Self.descriptor(
                        "autoscaler_hosts",
                        unit: "",
                        "Hosts of an autoscaled group by state, at the autoscaler's latest evaluation."
                    ),
                    labels: [("group", group), ("state", state)]
                )
                gauges[key] = made
                return made
            }
            gauge.set(to: Double(count))
        }
    }

    /// The latest resource use of a running task, as its agent reported it.
    func recordUsage(_ usage: TaskUsage) {
        let gauges = usageGauges.withLock { gauges in
            if let existing = gauges[usage.taskID] { return existing }
            let labels = [("task", usage.taskID.rawValue)]
            let made = (
                cpu: registry.makeGauge(
                    descriptor: Self.descriptor("task_cpu", unit: "percent", "Task cpu use, percent of one cpu."),
                    labels: labels
                ),
                memory: registry.makeGauge(
                    descriptor: Self.descriptor("task_memory", unit: "bytes", "Task memory use."),
                    labels: labels
                )
            )
            gauges[usage.taskID] = made
            return made
        }
        gauges.cpu.set(to: usage.cpuPercent)
        gauges.memory.set(to: Double(usage.memoryBytes))
    }

    /// Stops exporting a task's usage (it finished).
    func forgetUsage(of taskID: TaskInstanceID) {
        guard let gauges = usageGauges.withLock({ $0.removeValue(forKey: taskID) }) else { return }
        registry.unregisterGauge(gauges.cpu)
        registry.unregisterGauge(gauges.memory)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    private static func descriptor(_ name: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "titan", metricName: name, unitName: unit, helpText: help)
    }
}
