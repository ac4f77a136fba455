import HubCore
import Venues

/// The hub's configuration, read from YAML (`config/streamhub.yaml`). Every key is optional;
/// absent keys take the defaults below. Secrets come from the environment through `${VAR}`.
public struct HubConfig: Sendable, Equatable {
    public var server = Server()
    public var serve = ServeConfig()
    public var feeds = Feeds()
    public var properties = Properties()
    public var redis = Redis()

    public init() {}

    public struct Server: Sendable, Equatable {
        /// Loopback by default: exposing the hub is a deliberate choice.
        public var host = "127.0.0.1"
        public var port = 8080
        /// Control-plane files (SQLite, later) live here.
        public var dataDir = "data/"
        /// Static files served at `/` (the dashboard); nil or missing directory serves none.
        public var publicDir: String? = "public"
        /// Offer permessage-deflate to clients that ask for it.
        public var permessageDeflate = true
        /// File descriptors for connections.
        public var maxConnections = 70_000
        /// Seconds to wait for clients to take their close frames on shutdown.
        public var shutdownGraceSeconds = 2.0
        public init() {}
    }

    /// Redis for latest state and channel history (unset: memory only, the embedded default).
    public struct Redis: Sendable, Equatable {
        /// `redis://[:password@]host[:port][/db]`; empty disables Redis.
        public var url = ""
        public var keyPrefix = "streamhub"
        /// Entries kept per channel history stream.
        public var historyLength = 10_000
        /// History entries queued while Redis is slow or down before the oldest are dropped.
        public var maxPendingHistory = 100_000
        public var timeoutSeconds = 2.0
        public init() {}
    }

    public struct Properties: Sendable, Equatable {
        /// Property definitions loaded into the store on first start (an empty property table);
        /// the store is the source of truth afterwards.
        public var seedDirectory = "config/properties"
        public init() {}
    }

    public struct Feeds: Sendable, Equatable {
        public var deribit = Deribit()
        public var synthetic = Synthetic()
        public init() {}
    }

    public struct Deribit: Sendable, Equatable {
        public var enabled = false
        /// Run the Deribit simulator in-process on loopback and connect to it instead of `url`.
        public var simulate = false
        public var url = "wss://www.deribit.com/ws/api/v2"
        public var feed = DeribitFeedConfig()
        /// Simulator market step in milliseconds (when `simulate`).
        public var simulatorStepMilliseconds = 100
        public init() {}
    }

    /// A generated ticker source at a fixed rate: for benchmarks and load tests.
    public struct Synthetic: Sendable, Equatable {
        public var enabled = false
        /// Ticks per second across all channels.
        public var rate = 1000.0
        /// Instruments (channels `ticker.synthetic.S0`, `S1`, …).
        public var channels = 1
        public init() {}
    }
}
