import Foundation

/// The process's resident memory, read from /proc (Linux); nil elsewhere.
public enum ProcessMemory {
    /// Peak resident set size (VmHWM) in MB since start or the last `resetPeak()`.
    public static func peakResidentMB() -> Double? { statusField("VmHWM:") }

    /// Current resident set size (VmRSS) in MB.
    public static func residentMB() -> Double? { statusField("VmRSS:") }

    /// Resets the peak to the current resident size (Linux `clear_refs` 5), so the next
    /// reading covers only what runs after. Returns false where that is not possible.
    @discardableResult
    public static func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do {
            try handle.write(contentsOf: Data("5".utf8))
            return true
        } catch {
            return false
        }
    }

    private static func statusField(_ field: String) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            let digits = line.dropFirst(field.count).filter(\.isNumber)
            if let kilobytes = Double(String(digits)) { return kilobytes / 1024 }
        }
        return nil
    }
}
