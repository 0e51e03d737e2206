import Foundation
import Testing
import TitanLogFiles

@testable import TitanNode

@Suite("Reading task logs")
struct TaskLogReaderTests {
    private func read(_ reader: TaskLogReader, live: Bool = false) async throws -> String {
        let collected = Collected()
        try await reader.copy(isLive: { live }) { chunk in await collected.append(chunk) }
        return await collected.text
    }

    @Test("the last lines are found across rotated files")
    func tailAcrossRotation() async throws {
        let directory = TemporaryDirectory()
        let file = try RotatingLogFile(
            directory: directory.path,
            name: "stdout",
            policy: LogRotationPolicy(maxBytes: 20, keptFiles: 5)
        )
        for index in 1...12 { try file.write(Array("line-\(index)\n".utf8)) }
        file.close()
        #expect(RotatingLogFile.existingFiles(directory: directory.path, name: "stdout").count > 2)
        let all = try await read(
            TaskLogReader(directory: directory.path, selection: .stdout, tailLines: nil, follow: false)
        )
        #expect(all == (1...12).map { "line-\($0)\n" }.joined())
        let lastFive = try await read(
            TaskLogReader(directory: directory.path, selection: .stdout, tailLines: 5, follow: false)
        )
        #expect(lastFive == (8...12).map { "line-\($0)\n" }.joined())
        let none = try await read(
            TaskLogReader(directory: directory.path, selection: .stdout, tailLines: 0, follow: false)
        )
        #expect(none.isEmpty)
        let more = try await read(
            TaskLogReader(directory: directory.path, selection: .stdout, tailLines: 100, follow: false)
        )
        #expect(more == all)
    }

    @Test("a last line without a line break counts as a line")
    func unterminatedLastLine() async throws {
        let directory = TemporaryDirectory()
        try "a\nb\nc".write(toFile: directory.file("stdout"), atomically: false, encoding: .utf8)
        let tail = try await read(
            TaskLogReader(directory: directory.path, selection: .stdout, tailLines: 2, follow: false)
        )
        #expect(tail == "b\nc")
    }

    @Test("following continues into the new file when the writer rotates")
    func followAcrossRotation() async throws {
        let directory = TemporaryDirectory()
        let file = try RotatingLogFile(
            directory: directory.path,
            name: "stderr",
            policy: LogRotationPolicy(maxBytes: 16, keptFiles: 3)
        )
        try file.write(Array("early-1\n".utf8))
        let live = LiveFlag()
        let collected = Collected()
        let reader = TaskLogReader(
            directory: directory.path,
            selection: .stderr,
            tailLines: nil,
            follow: true,
            pollInterval: .milliseconds(20)
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await reader.copy(isLive: { await live.value }) { chunk in await collected.append(chunk) }
            }
            try await eventually("the history is read") { await collected.text == "early-1\n" }
            for index in 2...6 {
                try file.write(Array("later-\(index)\n".utf8))
                try await Task.sleep(for: .milliseconds(60))
            }
            file.close()
            await live.set(false)
            try await group.waitForAll()
        }
        #expect(await collected.text == "early-1\n" + (2...6).map { "later-\($0)\n" }.joined())
    }
}

private actor Collected {
    private var bytes: [UInt8] = []
    func append(_ chunk: ArraySlice<UInt8>) { bytes += chunk }
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

private actor LiveFlag {
    var value = true
    func set(_ newValue: Bool) { value = newValue }
}
