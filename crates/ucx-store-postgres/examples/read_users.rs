//! How long reading every user back takes (what a plan does first), against a database a
//! benchmark filled: `cargo run --release -p ucx-store-postgres --example read_users --
//! postgres://postgres@127.0.0.1:PORT/bench_entra_1000000 [rounds]`.

use std::str::FromStr;
use std::time::Instant;

use ucx_store_postgres::{PgConnectOptions, PostgresStore};
use ucx_sync_core::UsersStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: read_users POSTGRES_URL [rounds]")?;
    let rounds: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(3);
    let store = PostgresStore::connect(PgConnectOptions::from_str(&url)?).await?;
    for round in 1..=rounds {
        let started = Instant::now();
        let users = store.users().await?;
        println!(
            "round {round}: {} users in {:.2} s",
            users.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
