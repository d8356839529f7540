import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOFileSystem
import Prometheus
import ServiceLifecycle
import SluiceCore
import SluiceMetadata
import SluiceStorage

/// Builds the whole server from `configuration`: stores, routes, connection guards and the
/// background services. `main` and the tests both start the server through this one function.
public func buildApplication(
    _ configuration: ServerConfiguration,
    logger: Logger,
    metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let stores = try await Stores.open(configuration, logger: logger)
    let quota = configuration.storageQuota.map { StorageQuota(limit: $0, metadata: stores.metadata) }
    let pipeline = UploadPipeline(
        blobs: stores.blobs, metadata: stores.metadata, clock: configuration.clock,
        maxUploadSize: configuration.maxUploadSize, quota: quota)
    let resumable = ResumableUploads(
        blobs: stores.blobs, metadata: stores.metadata, clock: configuration.clock,
        maxUploadSize: configuration.maxUploadSize, expiry: configuration.tusExpiry.seconds, quota: quota, logger: logger)
    let uploadAccess = UploadAccess(tokens: configuration.uploadTokens, users: configuration.uploadUsers)
    let links = LinkBuilder(publicURL: configuration.publicURL)
    let progress = stores.progress
    let progressRoutes = ProgressRoutes(
        progress: progress, uploads: resumable, unusedKeyTimeout: configuration.unusedProgressKeyTimeout)

    let metrics = TrafficMetrics()
    let sweeper = Sweeper(
        blobs: stores.blobs, metadata: stores.metadata, clock: configuration.clock,
        interval: configuration.sweepInterval, progress: progress, logger: logger)

    let requestLimit = configuration.requestsPerMinute.map { RateLimiter(perMinute: $0) }
    let router = Router(context: SluiceRequestContext.self)
    router.middlewares.add(
        RequestMiddleware(
            metrics: metrics,
            access: AccessCheck(
                access: uploadAccess, requests: requestLimit,
                uploads: configuration.uploadsPerMinute.map { RateLimiter(perMinute: $0) }),
            errors: ErrorResponses(logger: logger, metrics: metrics)))
    UploadRoutes(pipeline: pipeline, links: links, metrics: metrics, progress: progress).register(on: router)
    TusRoutes(uploads: resumable, links: links, metrics: metrics, progress: progress).register(on: router)
    progressRoutes.register(on: router)
    DownloadRoutes(blobs: stores.blobs, metadata: stores.metadata, clock: configuration.clock, links: links)
        .register(on: router)
    DeleteRoutes(
        metadata: stores.metadata, clock: configuration.clock,
        removal: Removal(blobs: stores.blobs, metadata: stores.metadata, logger: logger))
        .register(on: router)
    OperationsRoutes(blobs: stores.blobs, metadata: stores.metadata, links: links, registry: metricsRegistry)
        .register(on: router)
    PageRoutes().register(on: router)

    // Upgrade requests go to their own small router; everything else to `router`.
    let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
    progressRoutes.register(onWebSocket: webSocketRouter)
    let webSocketResponder = webSocketRouter.buildResponder()

    let maxUploadSize = configuration.maxUploadSize
    let headerTimeout = TimeAmount(configuration.headerTimeout)
    let readBudget = ReadBudget(bytes: configuration.readBudget)
    let serverName = "sluice"
    let immediateDownloads = ImmediateDownloadHandler.Source(
        metadata: stores.metadata, blobs: stores.blobs, clock: configuration.clock, requests: requestLimit,
        metrics: metrics, serverName: serverName)
    var app = Application(
        router: router,
        server: HTTPServerBuilder { responder in
            GuardedChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder,
                    configuration: .init(
                        http1: .init(
                            additionalChannelHandlers: [
                                RequestGuardHandler(
                                    maxUploadSize: maxUploadSize, uploadAccess: uploadAccess, headerTimeout: headerTimeout),
                                ImmediateDownloadInstaller(source: immediateDownloads),
                            ],
                            idleTimeout: TimeAmount(configuration.idleTimeout),
                            httpDecoderConfiguration: .init(
                                maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 100)
                        ),
                        ws: .init(maxFrameSize: 1 << 14, autoPing: .enabled(timePeriod: .seconds(30)))
                    )),
                headerTimeout: headerTimeout, readBudget: readBudget, traffic: TrafficLog(logger: logger, metrics: metrics))
        },
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: serverName,
            // Hummingbird's 256 dropped connections when a thousand clients connected at once
            // (the kernel caps it at net.core.somaxconn, 4096 here).
            backlog: 4096, reuseAddress: true),
        // Shut down in reverse order, after the HTTP server drained: the sweeper, the progress
        // hub, and last the stores everything else uses.
        services: [stores.closer] + stores.services + [sweeper, IdleTrimmer(interval: .seconds(10), blobs: stores.blobs)],
        onServerRunning: onServerRunning,
        logger: logger
    )
    let recovery = StartupRecovery(
        blobs: stores.blobs, metadata: stores.metadata, clock: configuration.clock, logger: logger)
    // What the recovery abandons is removed before the first request, not at the sweeper's
    // first pass, which may run before the recovery did.
    app.beforeServerStarts {
        _ = try await recovery.run()
        try await sweeper.sweepOnce()
    }
    return app
}
