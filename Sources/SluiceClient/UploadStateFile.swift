import Foundation

/// The unfinished uploads of this user, so that running the same command again (after Ctrl-C,
/// a crash or a reboot) resumes them: a JSON object in `uploads.json` mapping an upload's key
/// (server, absolute path, size, modification time and limits) to its tus upload URL. Read and
/// written whole at each change, atomically.
public actor UploadStateFile {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// `$XDG_CACHE_HOME/sluice/uploads.json`, else `~/.cache/sluice/uploads.json`.
    public static func defaultURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return cache.appendingPathComponent("sluice").appendingPathComponent("uploads.json")
    }

    /// The upload URL saved under `key`.
    public func uploadURL(for key: String) -> String? {
        load()[key]
    }

    /// Saves `uploadURL` under `key`.
    func remember(_ uploadURL: String, for key: String) throws {
        var entries = load()
        entries[key] = uploadURL
        try save(entries)
    }

    /// Removes `key`.
    func forget(_ key: String) throws {
        var entries = load()
        guard entries.removeValue(forKey: key) != nil else { return }
        try save(entries)
    }

    /// Every saved key.
    public func keys() -> [String] {
        Array(load().keys)
    }

    private func load() -> [String: String] {
        guard let data = try? Data(contentsOf: url) else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
    }

    private func save(_ entries: [String: String]) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(entries).write(to: url, options: .atomic)
        } catch {
            throw ClientError.failed("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
