//! `ucx-sync demo`: a whole sync of the five sources (Webex users, virtual objects and fax
//! workspaces, CUCM, Entra) against loopback mock servers serving
//! the bundled fixtures, into a fresh SQLite file, run twice (the second run changes nothing).

use std::path::PathBuf;
use std::sync::Arc;

use ucx_http::ClientOptions;
use ucx_http::secrecy::SecretString;
use ucx_store_sqlite::SqliteStore;
use ucx_sync_core::{RunStore, SnapshotStore, SourceSetup, Synchronizer, UsersStore};

use crate::Failure;
use crate::demo_server::{Api, ENTRA_CLIENT, ENTRA_TENANT, Served, WEBEX_ORG, serve};
use crate::sync_cmd::{apply, chain};

fn setup(
    adapter: Arc<dyn ucx_sync_core::SourceAdapter>,
    rules: ucx_mapping::RuleSet,
) -> SourceSetup {
    SourceSetup::new(adapter, Arc::new(rules))
}

/// Builds the five sources against the mock servers.
fn sources(
    webex: &Served,
    cucm: &Served,
    entra: &Served,
) -> Result<Vec<(&'static str, SourceSetup)>, String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let mut w = ucx_webex::WebexConfig::new(ucx_webex::WebexCredentials::AccessToken(
        SecretString::from("demo-token"),
    ))
    .with_base_url(format!("{}/v1/", webex.uri()))
    .with_org_id(WEBEX_ORG);
    // Loopback servers answer at once: a short limit reports a broken demo quickly.
    let local = ClientOptions::default().with_timeout(std::time::Duration::from_secs(10));
    w.http = local.clone();
    let virtual_objects = ucx_webex::WebexVirtualObjects::new(w.clone()).map_err(|x| e(&x))?;
    let fax = ucx_webex::WebexFaxWorkspaces::new(w.clone()).map_err(|x| e(&x))?;
    let mut c = ucx_cucm::CucmConfig::new(
        format!("{}/axl/", cucm.uri()),
        "axl-sync",
        SecretString::from("demo-password"),
    );
    c.page_size = 3;
    c.min_page_size = 1;
    c.email_domain = Some("example.com".into());
    c.http = {
        let mut v = local.clone();
        v.max_concurrency_per_host = 1;
        v
    };
    let mut a = ucx_entra::EntraConfig::new(
        ENTRA_TENANT,
        ENTRA_CLIENT,
        ucx_entra::EntraCredential::Secret(SecretString::from("demo-secret")),
    );
    a.authority_url = Some(format!("{}/", entra.uri()));
    a.graph_url = Some(format!("{}/", entra.uri()));
    a.http = local;
    let params = [("email_domain".to_owned(), "example.com".to_owned())].into();
    Ok(vec![
        (
            "Cisco Webex Users",
            setup(
                Arc::new(ucx_webex::WebexUsers::new(w).map_err(|x| e(&x))?),
                ucx_mapping::RuleSet::builtin("webex-users").map_err(|x| e(&x))?,
            ),
        ),
        (
            "Cisco Webex Virtual Objects",
            setup(
                Arc::new(virtual_objects),
                ucx_mapping::RuleSet::builtin("webex-virtual").map_err(|x| e(&x))?,
            ),
        ),
        (
            "Cisco Webex Fax Workspaces",
            setup(
                Arc::new(fax),
                ucx_mapping::RuleSet::builtin("webex-fax").map_err(|x| e(&x))?,
            ),
        ),
        (
            "Cisco UCM",
            setup(
                Arc::new(ucx_cucm::CucmUsers::new(c).map_err(|x| e(&x))?),
                ucx_mapping::RuleSet::builtin_with("cucm", &params).map_err(|x| e(&x))?,
            ),
        ),
        (
            "Entra ID",
            setup(
                Arc::new(ucx_entra::EntraUsers::new(a).map_err(|x| e(&x))?),
                ucx_mapping::RuleSet::builtin("entra").map_err(|x| e(&x))?,
            ),
        ),
    ])
}

/// A few rows of the product tables, as stored: a hunt group's digits-only username, a fax
/// workspace whose fax number is its ESN, a user's recording External Identifier and picture.
async fn highlights(store: &SqliteStore, users: &[ucx_sync_core::User]) -> Result<(), Failure> {
    use ucx_sync_core::ObjectKind;
    let field = |u: &ucx_sync_core::User, f: &str| u.fields.get_str(f).unwrap_or("-").to_owned();
    println!("\n=== a few stored rows ===");
    if let Some(hg) = users.iter().find(|u| {
        u.kind == ObjectKind::HuntGroup
            && u.fields
                .get_str("username")
                .is_some_and(|n| n.starts_with("HG_1"))
    }) {
        println!(
            "hunt group {}: username {} (digits only)",
            field(hg, "last_name"),
            field(hg, "username")
        );
    }
    if let Some(fax) = users.iter().find(|u| u.kind == ObjectKind::FaxWorkspace) {
        println!(
            "fax workspace {}: username {}, fax number {} (its ESN: it has no phone number)",
            field(fax, "last_name"),
            field(fax, "username"),
            field(fax, "fax_number")
        );
    }
    if let Some(alice) = users
        .iter()
        .find(|u| u.key.as_str() == "alice.anders@example.com")
    {
        println!(
            "user {}: PBX username {} (the call-recording External Identifier)",
            alice.key,
            field(alice, "pbx_username")
        );
        match store
            .picture(alice.id)
            .await
            .map_err(|e| Failure::Runtime(e.to_string()))?
        {
            Some((meta, bytes)) => println!(
                "user {}: picture stored, {} bytes of {}, sha256 {}…",
                alice.key,
                bytes.len(),
                meta.format.as_str(),
                &meta.sha256[..12]
            ),
            None => println!("user {}: no picture stored", alice.key),
        }
    }
    Ok(())
}

/// Runs the demo into `db` (a fresh file in the temporary directory when `None`).
pub(crate) fn run(db: Option<PathBuf>) -> Result<(), Failure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    rt.block_on(async move {
        let db = db.unwrap_or_else(|| {
            std::env::temp_dir().join(format!("ucx-sync-demo-{}.db", std::process::id()))
        });
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let started = |e: std::io::Error| Failure::Runtime(format!("a demo server: {e}"));
        let (w, c, e) = (
            serve(Api::Webex).await.map_err(started)?,
            serve(Api::Cucm).await.map_err(started)?,
            serve(Api::Entra).await.map_err(started)?,
        );
        println!(
            "loopback Webex at {}, CUCM at {}/axl/, Microsoft Graph at {}",
            w.uri(),
            c.uri(),
            e.uri()
        );
        println!("users database: {}\n", db.display());
        let store = Arc::new(SqliteStore::open(&db).map_err(|e| Failure::Runtime(e.to_string()))?);
        let sync = Synchronizer::new(store.clone());
        let sources = sources(&w, &c, &e).map_err(Failure::Runtime)?;
        let mut second_changed = Vec::new();
        for round in 1..=2 {
            println!("=== sync {round} ===");
            for (label, setup) in &sources {
                println!("--- {label} ({})", setup.adapter.source_id());
                setup
                    .adapter
                    .check()
                    .await
                    .map_err(|e| Failure::Runtime(chain(&e)))?;
                let n = sync
                    .refresh(setup)
                    .await
                    .map_err(|e| Failure::Runtime(chain(&e)))?;
                println!("STATUS OK; snapshot of {n} records");
                let plan = apply(&sync, setup).await?;
                if round == 2 && !plan.is_noop() {
                    second_changed.push(*label);
                }
            }
            println!();
        }
        let users = store
            .users()
            .await
            .map_err(|e| Failure::Runtime(e.to_string()))?;
        println!("=== status ===");
        for (label, setup) in &sources {
            let id = setup.adapter.source_id();
            let state = store
                .snapshot_state(id)
                .await
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let runs = store
                .runs(id, 1)
                .await
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            let owned = users
                .iter()
                .filter(|u| u.owner.as_ref() == Some(id))
                .count();
            let last = runs.first().map_or("not started yet".to_owned(), |r| {
                format!(
                    "{} ({:?})",
                    r.finished.unwrap_or(r.started).to_rfc3339(),
                    r.status
                )
            });
            println!(
                "{label}: {owned} users; last synchronization {last}; snapshot updated at {}",
                state.updated_at.map_or("never".into(), |t| t.to_rfc3339()),
            );
        }
        println!("{} users in the database.", users.len());
        highlights(store.as_ref(), &users).await?;
        if second_changed.is_empty() {
            println!("The second sync changed nothing: every source was already in step.");
            Ok(())
        } else {
            Err(Failure::Runtime(format!(
                "the second sync still changed {}: the sync is not idempotent",
                second_changed.join(", ")
            )))
        }
    })
}
