//! `troubletree-server TREES...`: the HTTP service. See `docs/DEPLOY.md`.

use tokio::signal::unix::{SignalKind, signal};
use troubletree_server::{Config, Reload, Server};

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = Config::from_env_and_args();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("troubletree-server: cannot start the runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> std::process::ExitCode {
    let server = match Server::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("troubletree-server: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (Ok(mut hup), Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        eprintln!("troubletree-server: cannot install signal handlers");
        server.shutdown().await;
        return std::process::ExitCode::FAILURE;
    };
    // The one line on standard output: scripts and tests read the address from it. It is
    // printed once the signal handlers are in place, so a SIGTERM sent as soon as the
    // line is read stops the server cleanly instead of killing it.
    println!("troubletree-server listening on http://{}", server.addr());
    loop {
        tokio::select! {
            _ = hup.recv() => match server.state().publish().await {
                Ok((version, new)) => tracing::info!(version, new, "reloaded on SIGHUP"),
                Err(Reload::Refused(e)) => tracing::error!(error = %e, "reload refused; the previous version stays published"),
                Err(Reload::Store(e)) => tracing::error!(error = %e, "reload failed"),
            },
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("shutting down: finishing requests in flight");
    server.shutdown().await;
    std::process::ExitCode::SUCCESS
}
