import Foundation
import Logging
import SluiceCore

/// Everything the server needs to know, passed down from the command line; nothing below this
/// reads the environment.
public struct ServerConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 8080
    /// Holds the SQLite file and the blobs on the embedded default.
    public var dataDirectory = "./sluice-data"
    /// `BASE` of every link; without it `http://` and the request's Host.
    public var publicURL: String?
    /// The largest file accepted, in bytes (an upload of exactly this size is accepted).
    public var maxUploadSize: Int64 = 1 << 40
    /// The most bytes all files together may take; `nil` for no limit but the storage's.
    public var storageQuota: Int64?
    /// Tokens that may upload (as a bearer token, or as a Basic password with any user name).
    public var uploadTokens: [String] = []
    /// Users that may upload with HTTP Basic. With no tokens and no users, anyone may upload.
    public var uploadUsers: [(name: String, password: String)] = []
    /// Requests a client address may make a minute (uploads included); `nil` for no limit.
    public var requestsPerMinute: Int?
    /// Uploads a client address may start a minute; `nil` for no limit.
    public var uploadsPerMinute: Int?
    /// Where metadata lives: `nil` for the SQLite file in the data directory.
    public var database: String?
    /// Where bytes live: `nil` for the data directory's `blobs/`.
    public var storage: String?
    /// The `AWS_*` variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    /// `AWS_REGION`) an `s3://` storage uses, as the command line found them.
    public var awsEnvironment: [String: String] = [:]
    /// This instance's name among those sharing a database; `nil` for the host name and port
    /// (`local` on SQLite, which one process uses).
    public var instanceID: String?
    public var logLevel: Logger.Level = .info
    /// Threads that do the blocking file work of local storage (fsyncs, reads the page cache
    /// cannot answer, opens, renames; uploads write their chunks on their own threads): an
    /// fsync holds its thread until the disk is done, so many uploads ending at once need many.
    public var fileThreads = 16
    /// What the request bodies of all connections may hold in memory on their way to storage,
    /// at least one read's grant of 128 KiB: connections read 128 KiB at a time while it
    /// lasts and wait their turn when it is spent (see `ReadBudget`, `BodyWindow`).
    public var readBudget = 32 << 20
    /// A connection that sends nothing for this long is closed (slow or dead clients).
    public var idleTimeout: Duration = .seconds(60)
    /// A request's header block must arrive within this time (slow-loris).
    public var headerTimeout: Duration = .seconds(30)
    /// An unfinished resumable upload is removed this long after it was created or last appended to.
    public var tusExpiry: Duration = .seconds(24 * 3600)
    /// A progress watcher of a key that no upload has used by then is closed.
    public var unusedProgressKeyTimeout: Duration = .seconds(600)
    /// How often expired and used-up files are removed.
    public var sweepInterval: Duration = .seconds(30)
    /// The source of "now"; tests replace it.
    public var clock: any WallClock = SystemWallClock()

    public init() {}
}
