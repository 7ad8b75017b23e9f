//! `ucx-loadgen`: serves a synthetic tenant of N users on loopback until Ctrl-C (or, with
//! `--until-stdin-closes`, until its standard input closes, so a benchmark script that dies
//! does not leave it running).
//!
//! ```text
//! ucx-loadgen --users 100000 [--objects N] [--port 0] [--rate-limit 50] [--latency-ms 100] [--overlapping] [--no-esn]
//!             [--until-stdin-closes]
//! ```
//!
//! Prints `listening on http://127.0.0.1:PORT` once ready.

use std::io::Write;

use clap::Parser;
use tokio::io::AsyncReadExt;

/// Serve a synthetic Webex, CUCM and Entra ID tenant on loopback.
#[derive(Debug, Parser)]
struct Args {
    /// Users in each API.
    #[arg(long, default_value_t = 100_000)]
    users: usize,
    /// Webex virtual objects (default: as many as users).
    #[arg(long)]
    objects: Option<usize>,
    /// The loopback port (0: any free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Requests per second answered before 429/503 with Retry-After.
    #[arg(long)]
    rate_limit: Option<u32>,
    /// Milliseconds every API answer waits (answers are served side by side).
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Overlapping extensions: Webex people in two locations, CUCM numbers in two partitions.
    #[arg(long)]
    overlapping: bool,
    /// No Webex location has a routing prefix, so nothing carries an ESN.
    #[arg(long)]
    no_esn: bool,
    /// Stop when standard input closes, as well as on Ctrl-C.
    #[arg(long)]
    until_stdin_closes: bool,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = std::net::TcpListener::bind(("127.0.0.1", args.port))?;
    let mut tenant = ucx_loadgen::Tenant::new(args.users)
        .with_objects(args.objects.unwrap_or(args.users))
        .with_rate_limit(args.rate_limit)
        .with_latency(args.latency_ms.map(std::time::Duration::from_millis));
    if args.overlapping {
        tenant = tenant.overlapping();
    }
    if args.no_esn {
        tenant = tenant.without_esn();
    }
    let served = ucx_loadgen::serve(listener, tenant).await;
    println!("listening on {}", served.uri());
    std::io::stdout().flush()?;
    let mut stdin = tokio::io::stdin();
    let mut sink = [0u8; 64];
    let stdin_closed = async {
        if !args.until_stdin_closes {
            return std::future::pending().await;
        }
        loop {
            match stdin.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = stdin_closed => {}
    }
    let stats = served.stats();
    eprintln!(
        "served {} requests, {} refused by the rate limit",
        stats.requests(),
        stats.throttled()
    );
    Ok(())
}
