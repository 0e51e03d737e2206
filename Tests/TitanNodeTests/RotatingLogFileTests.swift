import Foundation
import Testing
import TitanLogFiles

@Suite("Rotating log files")
struct RotatingLogFileTests {
    @Test("a file rotates when a write would pass its size, keeping the configured number of old files")
    func rotatesBySize() throws {
        let directory = TemporaryDirectory()
        let file = try RotatingLogFile(
            directory: directory.path,
            name: "stdout",
            policy: LogRotationPolicy(maxBytes: 10, keptFiles: 2)
        )
        for line in ["aaaa\n", "bbbb\n", "cccc\n", "dddd\n", "eeee\n", "ffff\n", "gggg\n"] {
            try file.write(Array(line.utf8))
        }
        file.close()
        let files = RotatingLogFile.existingFiles(directory: directory.path, name: "stdout")
        #expect(files.map { ($0 as NSString).lastPathComponent } == ["stdout.2", "stdout.1", "stdout"])
        let contents = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }
        // Two lines fit per file; the oldest (aaaa, bbbb) went with the file past the limit.
        #expect(contents == ["cccc\ndddd\n", "eeee\nffff\n", "gggg\n"])
    }

    @Test("reopening a log appends to it and counts its existing size")
    func reopenAppends() throws {
        let directory = TemporaryDirectory()
        let policy = LogRotationPolicy(maxBytes: 100, keptFiles: 1)
        let first = try RotatingLogFile(directory: directory.path, name: "stderr", policy: policy)
        try first.write(Array("one\n".utf8))
        first.close()
        let second = try RotatingLogFile(directory: directory.path, name: "stderr", policy: policy)
        #expect(second.currentSizeBytes == 4)
        try second.write(Array("two\n".utf8))
        second.close()
        #expect(try String(contentsOfFile: directory.file("stderr"), encoding: .utf8) == "one\ntwo\n")
    }

    @Test("a log in a missing directory fails with a message naming the file")
    func missingDirectory() {
        #expect {
            _ = try RotatingLogFile(directory: "/nonexistent/titan", name: "stdout", policy: LogRotationPolicy())
        } throws: { error in
            (error as? LogFileError)?.message.contains("/nonexistent/titan/stdout") == true
        }
    }
}

@Suite("Rotating log files, large writes")
struct RotatingLogFileLargeWriteTests {
    @Test("one large write is split at line breaks so no file passes the size")
    func largeWriteSplitsAtLines() throws {
        let directory = TemporaryDirectory()
        let file = try RotatingLogFile(
            directory: directory.path,
            name: "stdout",
            policy: LogRotationPolicy(maxBytes: 12, keptFiles: 5)
        )
        try file.write(Array("aaaa\nbbbb\ncccc\ndddd\n".utf8))
        file.close()
        let files = RotatingLogFile.existingFiles(directory: directory.path, name: "stdout")
        let contents = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }
        #expect(contents == ["aaaa\nbbbb\n", "cccc\ndddd\n"])
    }

    @Test("a line longer than a whole file is cut at the size")
    func longLineIsCut() throws {
        let directory = TemporaryDirectory()
        let file = try RotatingLogFile(
            directory: directory.path,
            name: "stdout",
            policy: LogRotationPolicy(maxBytes: 4, keptFiles: 5)
        )
        try file.write(Array("abcdefghij".utf8))
        file.close()
        let files = RotatingLogFile.existingFiles(directory: directory.path, name: "stdout")
        let contents = try files.map { try String(contentsOfFile: $0, encoding: .utf8) }
        #expect(contents == ["abcd", "efgh", "ij"])
    }
}
