//! The state every handler shares.

use crate::access::RuleTable;
use crate::access_log::AccessLogQueue;
use crate::auth::throttle::LoginThrottle;
use crate::blocking::CpuPool;
use crate::caller_cache::CallerCache;
use crate::ops::Metrics;
use object_store::ObjectStore;
use relais_store::Db;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Longest time a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Lifetime of the tokens handed out by `POST /auth/login`.
    pub login_token_ttl: chrono::Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// The SMS transports this server has credentials for (`twilio`).
    pub sms_configured: Vec<String>,
    /// The key of the sandbox payment provider's card fingerprints (at least 16 bytes).
    pub sandbox_secret: String,
    /// Requests a minute each caller of the rider API may make (`rider::limit`)...
    pub rider_requests_per_minute: NonZeroU32,
    /// ...of which this many at once.
    pub rider_burst: NonZeroU32,
    /// How long a vehicle has to answer a trip's unlock before the trip is cancelled.
    pub unlock_timeout: chrono::Duration,
    /// How long "Start a trip" waits for that answer before answering `unlocking`.
    pub unlock_wait: Duration,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            request_timeout: Duration::from_secs(30),
            body_limit: 2 * 1024 * 1024,
            login_token_ttl: chrono::Duration::days(30),
            trust_forwarded_for: false,
            sms_configured: Vec::new(),
            sandbox_secret: "relais sandbox fingerprints".to_owned(),
            // An app's screen makes a few requests; a rider taps a few screens a minute.
            rider_requests_per_minute: NonZeroU32::new(300).expect("not zero"),
            rider_burst: NonZeroU32::new(60).expect("not zero"),
            // The IoT link's acknowledgement timeout; a vehicle answers in about a second.
            unlock_timeout: chrono::Duration::seconds(30),
            unlock_wait: Duration::from_secs(8),
        }
    }
}

/// Everything a handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub storage: Arc<dyn ObjectStore>,
    pub settings: Arc<ApiSettings>,
    pub metrics: Arc<Metrics>,
    /// Where Dashboard requests leave their access-log row (written off the request path).
    pub access_log: AccessLogQueue,
    pub throttle: Arc<LoginThrottle>,
    /// The rider API's requests per caller.
    pub rider_limits: Arc<crate::rider::limit::RiderLimiter>,
    /// Each token's caller and grants, kept in step with the database's security epoch.
    pub callers: Arc<CallerCache>,
    /// The permits for CPU-bound work (`blocking::cpu`), one per core.
    pub cpu: CpuPool,
    pub rules: Arc<RuleTable>,
    /// The ERP third parties are imported from; `None` when none is configured.
    pub erp: Option<Arc<dyn relais_erp::Erp>>,
    /// The reference rates money is converted with.
    pub rates: crate::rates::Rates,
    /// Wakes the dispatcher of outbound messages.
    pub outbox: crate::outbox::Outbox,
    /// How mails, push notifications and SMS travel.
    pub transports: crate::outbox::dispatch::Transports,
    /// The payment provider riders' methods are saved with.
    pub payments: Arc<dyn relais_payments::PaymentProvider>,
    /// The durable jobs' handlers and their worker's wake-up call.
    pub jobs: crate::jobs::Jobs,
}

impl AppState {
    /// The state of a server on `db`; starts the access-log writer and the follower of the
    /// security epoch, so it must be called within a Tokio runtime.
    pub fn new(db: Db, storage: Arc<dyn ObjectStore>, settings: ApiSettings) -> Self {
        let metrics = Arc::new(Metrics::default());
        let access_log = AccessLogQueue::start(
            db.clone(),
            crate::access_log::CAPACITY,
            metrics.access_log_dropped.clone(),
        );
        let callers = Arc::new(CallerCache::new(
            metrics.caller_cache_hits.clone(),
            metrics.caller_cache_misses.clone(),
        ));
        tokio::spawn(crate::caller_cache::follow(
            db.clone(),
            Arc::downgrade(&callers),
        ));
        AppState {
            db: db.clone(),
            callers,
            storage,
            settings: Arc::new(settings.clone()),
            metrics,
            access_log,
            throttle: Arc::new(LoginThrottle::default()),
            rider_limits: Arc::new(crate::rider::limit::RiderLimiter::new(
                settings.rider_requests_per_minute,
                settings.rider_burst,
            )),
            cpu: CpuPool::sized_to_cores(),
            rules: Arc::new(RuleTable::default()),
            erp: None,
            rates: crate::rates::Rates::default(),
            outbox: crate::outbox::Outbox::default(),
            transports: crate::outbox::dispatch::Transports::default(),
            // The local default: real work on the server's own database, no network.
            payments: Arc::new(
                relais_payments::Sandbox::new(
                    relais_payments::SandboxConfig::new(settings.sandbox_secret.clone()),
                    Arc::new(relais_store::sandbox::SqlLedger::new(db.clone())),
                )
                .expect("the sandbox secret is checked when the configuration is read"),
            ),
            jobs: crate::ride::jobs(crate::jobs::Jobs::default()),
        }
    }

    /// The same state, with these transports for outbound messages.
    pub fn with_transports(mut self, transports: crate::outbox::dispatch::Transports) -> Self {
        self.transports = transports;
        self
    }

    /// The same state, with this payment provider.
    pub fn with_payments(mut self, provider: Arc<dyn relais_payments::PaymentProvider>) -> Self {
        self.payments = provider;
        self
    }

    /// The same state, with `handler` running the jobs of `kind`.
    pub fn with_job(mut self, kind: &'static str, handler: crate::jobs::Handler) -> Self {
        self.jobs = self.jobs.with(kind, handler);
        self
    }

    /// The same state, with third parties imported from `erp`.
    pub fn with_erp(mut self, erp: Arc<dyn relais_erp::Erp>) -> Self {
        self.erp = Some(erp);
        self
    }
}
