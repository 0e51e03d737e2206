extension TaskScheduler {
    struct Diagnosis {
        var reasons: [FailureReason]
        /// A host that does fit, when the indexed search gave up on it early.
        var fallback: Candidate?
    }

    /// Looks at every host to say why the task fits none, counting for each blocker the
    /// hosts it ruled out. Any host that does fit after all is returned as a fallback,
    /// so a search that cut corners never fails a task that could be placed.
    mutating func diagnose(_ task: CompiledTask) throws(ConstraintFailure) -> Diagnosis {
        let request = task.request
        let demand = request.resources
        if let reasons = shortfallAcrossFleet(task) { return Diagnosis(reasons: reasons, fallback: nil) }
        var offered = 0
        var disabled = 0
        var firstEnabled: Instant?
        var mostFree = Resources(cpus: -1, memoryMB: -1, diskMB: -1, networkMbps: -1)
        var mostPorts = -1
        var mostScalar = Array(repeating: -1.0, count: task.scalars.count)
        // Hosts short of each resource: the four kinds, then ports, scalars, sets.
        let portsShort = ResourceKind.allCases.count
        let setsShort = portsShort + 1 + task.scalars.count
        var short = Array(repeating: 0, count: setsShort + 1)
        var roomy = 0
        var exclusiveBlocked = 0
        var rejectedBy = Array(repeating: 0, count: task.hard.count)
        var customReasons: [Int: String] = [:]
        var fallback: Candidate?

        for slot in hosts.indices where hosts[slot].hasOffer {
            if let until = hosts[slot].disabledUntil {
                disabled += 1
                firstEnabled = min(firstEnabled ?? until, until)
                continue
            }
            offered += 1
            let free = hosts[slot].free
            var isShort = false
            for (position, kind) in ResourceKind.allCases.enumerated() {
                mostFree[kind] = max(mostFree[kind], free[kind])
                if free[kind] + Resources.tolerance < demand[kind] {
                    short[position] += 1
                    isShort = true
                }
            }
            mostPorts = max(mostPorts, hosts[slot].freePorts.count)
            if hosts[slot].freePorts.count < request.ports {
                short[portsShort] += 1
                isShort = true
            }
            for (position, scalar) in task.scalars.enumerated() {
                let amount = hosts[slot].freeScalar(scalar.id)
                mostScalar[position] = max(mostScalar[position], amount)
                if amount + Resources.tolerance < scalar.amount {
                    short[portsShort + 1 + position] += 1
                    isShort = true
                }
            }
            if !request.resourceSets.isEmpty, chooseResourceSets(request.resourceSets, slot: slot) == nil {
                short[setsShort] += 1
                isShort = true
            }
            if isShort { continue }
            roomy += 1
            if hosts[slot].exclusiveTasks > 0 || (task.exclusive && !hosts[slot].tasks.isEmpty) {
                exclusiveBlocked += 1
                continue
            }
            var rejected = false
            for (position, constraint) in task.hard.enumerated() {
                if case .exclusive = constraint.rule { continue }
                if try hostScore(constraint, task: task, slot: slot, hard: true) <= 0 {
                    rejectedBy[position] += 1
                    if constraint.isCustom, customReasons[position] == nil {
                        customReasons[position] = customReason(constraint, task: task, slot: slot)
                    }
                    rejected = true
                    break
                }
            }
            if rejected { continue }
            if let score = try evaluate(task, slot: slot), score > (fallback?.score ?? -1) {
                fallback = Candidate(slot: slot, score: score)
            }
        }
        if fallback != nil { return Diagnosis(reasons: [], fallback: fallback) }

        var reasons: [FailureReason] = []
        if offered == 0, disabled == 0 { reasons.append(.noHostsOffered) }
        if offered > 0 {
            for kind in ResourceKind.allCases where demand[kind] > mostFree[kind] + Resources.tolerance {
                reasons.append(.insufficientResource(kind, needed: demand[kind], mostFree: max(0, mostFree[kind])))
            }
            if request.ports > mostPorts {
                reasons.append(.insufficientPorts(needed: request.ports, mostFree: mostPorts))
            }
            for (position, scalar) in task.scalars.enumerated()
            where scalar.amount > mostScalar[position] + Resources.tolerance {
                reasons.append(
                    .insufficientScalar(
                        name: scalarNames[scalar.id],
                        needed: scalar.amount,
                        mostFree: max(0, mostScalar[position])
                    )
                )
            }
            if short[setsShort] == offered, let ask = request.resourceSets.first {
                reasons.append(.insufficientResourceSet(name: ask.name, label: ask.label, slots: ask.slots))
            }
            if reasons.isEmpty, roomy == 0 {
                var named: [String: Int] = [:]
                for (position, kind) in ResourceKind.allCases.enumerated() where short[position] > 0 {
                    named[kind.displayName] = short[position]
                }
                if short[portsShort] > 0 { named["ports"] = short[portsShort] }
                for (position, scalar) in task.scalars.enumerated() where short[portsShort + 1 + position] > 0 {
                    named[scalarNames[scalar.id]] = short[portsShort + 1 + position]
                }
                if short[setsShort] > 0 { named["resource sets"] = short[setsShort] }
                reasons.append(.resourcesNotTogether(hostsShort: named, hostsOffered: offered))
            }
        }
        // Hosts held by another task's exclusivity are worth naming only when nothing
        // else explains the failure; for an exclusive task, busy hosts are the point.
        let constraintsRejected = rejectedBy.contains { $0 > 0 }
        if exclusiveBlocked > 0, task.exclusive || (!constraintsRejected && reasons.isEmpty) {
            let detail =
                task.exclusive
                ? "\(exclusiveBlocked) of \(roomy) host(s) with room already run other tasks"
                : "\(exclusiveBlocked) of \(roomy) host(s) with room run a task that must be alone"
            reasons.append(.constraint(name: "exclusiveHost", hostsRejected: exclusiveBlocked, detail: detail))
        }
        for (position, count) in rejectedBy.enumerated() where count > 0 {
            let constraint = task.hard[position]
            reasons.append(
                .constraint(
                    name: constraint.source.description,
                    hostsRejected: count,
                    detail: explain(constraint, task: task, rejected: count, roomy: roomy - exclusiveBlocked)
                        + (customReasons[position].map { ": \($0)" } ?? "")
                )
            )
        }
        if disabled > 0, let firstEnabled { reasons.append(.hostsDisabled(count: disabled, until: firstEnabled)) }
        if reasons.isEmpty { reasons.append(.noHostsOffered) }
        return Diagnosis(reasons: reasons, fallback: nil)
    }

    /// When the task needs more of some resource than any host that can take tasks has
    /// free, the reasons follow from the index's summaries without visiting each host.
    private func shortfallAcrossFleet(_ task: CompiledTask) -> [FailureReason]? {
        guard task.scalars.isEmpty, task.request.resourceSets.isEmpty, index.indexedCount > 0 else { return nil }
        let (most, mostPorts) = index.mostFree()
        let demand = task.request.resources
        var reasons: [FailureReason] = ResourceKind.allCases.compactMap { kind in
            demand[kind] > most[kind] + Resources.tolerance
                ? .insufficientResource(kind, needed: demand[kind], mostFree: max(0, most[kind])) : nil
        }
        if task.request.ports > mostPorts {
            reasons.append(.insufficientPorts(needed: task.request.ports, mostFree: max(0, mostPorts)))
        }
        guard !reasons.isEmpty else { return nil }
        var disabled = 0
        var firstEnabled: Instant?
        for slot in disabledSlots where hosts[slot].hasOffer {
            guard let until = hosts[slot].disabledUntil else { continue }
            disabled += 1
            firstEnabled = min(firstEnabled ?? until, until)
        }
        if disabled > 0, let firstEnabled { reasons.append(.hostsDisabled(count: disabled, until: firstEnabled)) }
        return reasons
    }

    /// Words for what a constraint did to the hosts that had room.
    private func explain(_ constraint: CompiledConstraint, task: CompiledTask, rejected: Int, roomy: Int) -> String {
        let all = rejected == roomy
        let group = task.request.group
        let prefix = all ? "" : "\(rejected) of \(roomy) host(s) with room: "
        switch constraint.rule {
        case .attributeIn(let attribute, let values):
            let name = attributes.names[attribute]
            if attributes.valueCount(of: attribute, hosts: hosts.count) == 0 {
                return "no host has attribute \(name)"
            }
            var detail = prefix + "\(name) does not match"
            if case .hostAttributeValue(_, let names) = constraint.source {
                detail =
                    prefix + "\(all ? "every host with room has" : "have") \(name) outside "
                    + names.joined(separator: ",")
            }
            // Say what the hosts that do match have, when none of them has room.
            guard all else { return detail }
            var mostCpus = -1.0
            var mostMemory = -1.0
            for slot in hosts.indices
            where hosts[slot].hasOffer && hosts[slot].disabledUntil == nil
                && values.contains(attributes.value(of: attribute, slot: slot))
            {
                mostCpus = max(mostCpus, hosts[slot].free.cpus)
                mostMemory = max(mostMemory, hosts[slot].free.memoryMB)
            }
            guard mostCpus >= 0 else { return detail + "; no matching host is offering resources" }
            return detail + "; the matching hosts have at most \(mostCpus.compactText) cpus and "
                + "\(mostMemory.compactText) MB free (the task needs \(task.request.resources.cpus.compactText) "
                + "cpus and \(task.request.resources.memoryMB.compactText) MB)"
        case .slots:
            return all ? "none of the named hosts has room" : prefix + "not one of the named hosts"
        case .unique(let attribute):
            let name = attributes.names[attribute]
            if attribute == AttributeTable.nameAttribute {
                return all
                    ? "every host with room already holds a task of job \(group)"
                    : prefix + "already hold a task of job \(group)"
            }
            return all
                ? "every \(name) with room already holds a task of job \(group)"
                : prefix + "their \(name) already holds a task of job \(group)"
        case .balanced(let attribute, _):
            let name = attributes.names[attribute]
            return prefix + "\(all ? "every" : "their") \(name) already holds its share of job \(group)"
        case .exclusive:
            return prefix + "must be alone on its host"
        case .custom:
            return prefix + "rejected by the constraint"
        }
    }
}
