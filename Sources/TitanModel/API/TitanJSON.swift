import Foundation

/// The JSON coders titan-api and titanctl share: dates as ISO 8601 with milliseconds
/// (`2026-11-20T10:15:00.123Z`), keys sorted so output is stable.
public enum TitanJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        return encoder
    }

    /// Reads dates with or without fractional seconds.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? withFraction.parse(text) { return wholeMilliseconds(date) }
            if let date = try? withoutFraction.parse(text) { return wholeMilliseconds(date) }
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected an ISO 8601 date such as 2026-11-20T10:15:00.123Z, got \(text)"
            )
        }
        return decoder
    }

    /// `2026-11-20T10:15:00.123Z`, rounded to the nearest millisecond (a formatter would
    /// truncate, turning .123 stored as .12299… into .122).
    public static func format(_ date: Date) -> String { ISO8601Milliseconds.string(date) }

    /// The date at the nearest whole millisecond, as the store keeps and the API shows dates.
    public static func wholeMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let withoutFraction = Date.ISO8601FormatStyle()
}
