import Testing
import TitanDocker

@Suite("Log frame decoder")
struct LogFrameDecoderTests {
    private func frame(_ source: UInt8, _ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let length = UInt32(payload.count)
        return [
            source, 0, 0, 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
            UInt8(length & 0xFF),
        ]
            + payload
    }

    @Test("frames split across chunks at every byte come out whole and in order")
    func framesAcrossChunks() throws {
        let stream = frame(1, "out\n") + frame(2, "err\n") + frame(1, "") + frame(1, String(repeating: "x", count: 300))
        for cut in 0...stream.count {
            var decoder = LogFrameDecoder()
            var frames: [LogFrame] = []
            decoder.append(Array(stream[..<cut]))
            while let next = try decoder.nextFrame() { frames.append(next) }
            decoder.append(Array(stream[cut...]))
            while let next = try decoder.nextFrame() { frames.append(next) }
            #expect(frames.map(\.source) == [.stdout, .stderr, .stdout, .stdout])
            #expect(frames.map(\.text) == ["out\n", "err\n", "", String(repeating: "x", count: 300)])
            #expect(decoder.pendingByteCount == 0)
        }
    }

    @Test("a header that names no output is an error, not garbage")
    func badHeader() {
        var decoder = LogFrameDecoder()
        decoder.append(Array("hello, raw tty output".utf8))
        #expect(throws: DockerError.self) { try decoder.nextFrame() }
    }
}
