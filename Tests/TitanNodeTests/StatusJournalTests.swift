import Foundation
import Testing
import TitanModel

@testable import TitanNode

@Suite("Status journal")
struct StatusJournalTests {
    private func update(_ index: Int, _ state: TaskState = .started) -> AgentStatusUpdate {
        AgentStatusUpdate(
            taskID: TaskInstanceID("job-\(index)"),
            attempt: 0,
            state: state,
            at: Date(timeIntervalSince1970: 1_800_000_000 + Double(index))
        )
    }

    @Test("updates not acknowledged are pending again, in order, after reopening")
    func replayAfterRestart() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("status.journal")
        do {
            let journal = try StatusJournal(path: path)
            for index in 1...5 { try journal.append(update(index)) }
            try journal.acknowledge(through: 2)
        }
        let reopened = try StatusJournal(path: path)
        #expect(reopened.pendingEntries().map(\.seq) == [3, 4, 5])
        #expect(reopened.pendingEntries().map(\.update) == (3...5).map { update($0) })
        // Numbering continues after the highest number ever used.
        #expect(try reopened.append(update(6)) == 6)
    }

    @Test("a line torn by a crash mid-write is dropped and the journal keeps working")
    func tornLastLine() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("status.journal")
        do {
            let journal = try StatusJournal(path: path)
            for index in 1...3 { try journal.append(update(index)) }
        }
        // What a crash in the middle of the fourth write leaves behind.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"seq":4,"update":{"attempt":0,"at":"2027-01-15T08"#.utf8))
        handle.closeFile()

        let reopened = try StatusJournal(path: path)
        #expect(reopened.pendingEntries().map(\.seq) == [1, 2, 3])
        try reopened.append(update(4))
        let again = try StatusJournal(path: path)
        #expect(again.pendingEntries().map(\.seq) == [1, 2, 3, 4])
    }

    @Test("damage in the middle of the journal is refused with a message saying what to do")
    func damagedMiddleLine() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("status.journal")
        try Data("not json\n{\"ack\":1}\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try StatusJournal(path: path)
        } throws: { error in
            (error as? AgentFileError)?.message.contains("move it aside") == true
        }
    }

    @Test("compaction keeps only pending updates and their numbers")
    func compaction() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("status.journal")
        let journal = try StatusJournal(path: path, compactionThreshold: 10)
        for index in 1...30 { try journal.append(update(index)) }
        let fullSize = try #require(FileIO.size(path))
        try journal.acknowledge(through: 25)
        let compactedSize = try #require(FileIO.size(path))
        #expect(compactedSize < fullSize / 3)
        let reopened = try StatusJournal(path: path)
        #expect(reopened.pendingEntries().map(\.seq) == [26, 27, 28, 29, 30])
        #expect(try reopened.append(update(31)) == 31)
    }

    @Test("waiting for pending updates returns once one is appended")
    func waitForPending() async throws {
        let directory = TemporaryDirectory()
        let journal = try StatusJournal(path: directory.file("status.journal"))
        async let waited: Void = journal.waitForPending()
        try await Task.sleep(for: .milliseconds(50))
        try journal.append(update(1))
        await waited
        #expect(journal.pendingCount == 1)
    }
}
