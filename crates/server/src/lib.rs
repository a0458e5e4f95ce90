//! The troubletree HTTP service: a versioned JSON API over the engine, with sessions,
//! tickets, published versions, an outbox and analytics events in SQLite (one node) or
//! PostgreSQL (any number of stateless replicas).
//!
//! The engine decides; this crate stores and transports. Every call into the engine
//! is in [`engine`]; every SQL statement is in [`store`]; handlers ([`api`]) are thin
//! and go through [`app::AppState`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = troubletree_server::Config::new("trees/");
//! let server = troubletree_server::Server::start(config).await?;
//! println!("listening on {}", server.addr());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

pub mod api;
pub mod app;
pub mod config;
mod conns;
pub mod engine;
pub mod metrics;
pub mod outbox;
pub mod pages;
pub mod picture;
pub mod preview;
pub mod problem;
pub mod stats;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use app::{AppState, Reload};
pub use config::Config;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("{0}")]
    Store(#[from] store::StoreError),
    /// The trees do not check and nothing was published before.
    #[error("{0}")]
    Publish(#[from] engine::PublishError),
    /// The address is taken or not ours.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A configuration that cannot work.
    #[error("{0}")]
    Config(String),
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: watch::Sender<bool>,
    http: JoinHandle<()>,
    worker: JoinHandle<()>,
}

impl Server {
    /// Opens the store, publishes the configured trees (or, if they do not check,
    /// keeps serving the newest stored version), and starts listening and delivering.
    ///
    /// # Errors
    ///
    /// See [`StartError`].
    pub async fn start(config: Config) -> Result<Server, StartError> {
        if config.webhook_url.is_some() && config.webhook_secret.is_none() {
            return Err(StartError::Config(
                "a webhook URL needs TROUBLETREE_WEBHOOK_SECRET to sign deliveries".into(),
            ));
        }
        let store = store::Store::connect(
            &config.database_url,
            config.max_connections,
            config.database_timeout,
        )
        .await?;
        let state = Arc::new(AppState::new(config, store));
        match state.publish().await {
            Ok(_) => {}
            Err(Reload::Store(e)) => return Err(e.into()),
            Err(Reload::Refused(e)) => {
                if state.store.newest_catalogue().await?.is_none() {
                    return Err(e.into());
                }
                tracing::error!(error = %e, "the trees do not check; serving the version published before");
            }
        }
        let addr = state.config.listen;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Listen { addr, source })?;
        let (shutdown, rx) = watch::channel(false);
        let app = router(state.clone());
        let mut http_rx = rx.clone();
        let http = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = http_rx.wait_for(|stop| *stop).await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the HTTP server stopped");
            }
        });
        let worker = tokio::spawn(outbox::run(state.clone(), rx));
        tracing::info!(%addr, "listening");
        Ok(Server {
            addr,
            state,
            shutdown,
            http,
            worker,
        })
    }

    /// The address it listens on (with the port chosen when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (for reloads on a signal, and for tests).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops accepting connections, finishes the requests in flight, stops the
    /// delivery worker, and closes the database.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.http.await;
        let _ = self.worker.await;
        self.state.store.close().await;
    }
}

/// The whole service: the API, the operational endpoints, the pages, and the
/// layers every request goes through.
pub fn router(state: Arc<AppState>) -> axum::Router {
    let (api, openapi) = api::router();
    let document = api::openapi_json(&openapi);
    let config = &state.config;
    let cors = if config.cors_origins.is_empty() {
        None
    } else {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
            .collect();
        Some(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
                .expose_headers([HeaderName::from_static("content-type")])
                .max_age(std::time::Duration::from_secs(600)),
        )
    };
    let app = api
        .route(
            "/v1/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], document) }
            }),
        )
        .merge(pages::routes(config))
        .merge(stats::page_routes())
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ));
    let app = match cors {
        Some(cors) => app.layer(cors),
        None => app,
    };
    app.layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(problem::problem_for_plain_errors))
        .layer(CatchPanicLayer::custom(problem::panic_response))
        .with_state(state)
}
