//! The queue against a real PostgreSQL (`UCX_TEST_POSTGRES_URL`; `.ci/run` starts one):
//! workers enqueueing together make one job per source and slot, three workers share ten
//! sources with none run twice at once, and a dead worker's job goes to another worker.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx_postgres::{PgPool, PgPoolOptions};
use ucx_testkit::postgres::{server_url, unique_name};
use ucx_worker::{JobFailed, Queue, QueueOptions, Scheduled, SourceJob};

async fn pool(url: &str) -> PgPool {
    PgPoolOptions::new()
        .max_connections(4)
        .connect(url)
        .await
        .unwrap()
}

/// Options for a queue of this test's own, with a heartbeat short enough to watch a worker
/// die within a test (apalis counts liveness in whole seconds: 1 s is the shortest).
fn options(queue: &str) -> QueueOptions {
    let mut o = QueueOptions::new().with_name(queue);
    o.heartbeat = Duration::from_secs(1);
    o.missed_heartbeats = 3;
    o.poll = Duration::from_millis(100);
    o.concurrency = 1;
    o
}

fn ten_sources() -> Vec<Scheduled> {
    (0..10)
        .map(|i| Scheduled::new(format!("source-{i}"), Duration::from_secs(3600)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_enqueueing_together_make_one_job_per_source_and_slot() {
    let Some(url) = server_url() else { return };
    let name = unique_name("q");
    let mut queues = Vec::new();
    for _ in 0..3 {
        queues.push(
            Queue::connect(pool(&url).await, options(&name))
                .await
                .unwrap(),
        );
    }
    let schedule = ten_sources();
    let now = chrono::Utc::now();
    let added =
        futures::future::join_all(queues.iter().map(|q| q.enqueue_due(&schedule, now))).await;
    let mut jobs: Vec<SourceJob> = added.into_iter().flat_map(|r| r.unwrap()).collect();
    jobs.sort_by(|a, b| a.source.cmp(&b.source));
    let sources: Vec<&str> = jobs.iter().map(|j| j.source.as_str()).collect();
    assert_eq!(
        sources,
        (0..10).map(|i| format!("source-{i}")).collect::<Vec<_>>(),
        "each source enqueued once by the three workers together"
    );
    // Later in the same slot, nobody adds it again.
    for q in &queues {
        let later = now + chrono::Duration::seconds(1);
        let again: Vec<_> = q
            .enqueue_due(&schedule, later)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| {
                schedule
                    .iter()
                    .any(|s| s.name == j.source && s.slot_start(later) == s.slot_start(now))
            })
            .collect();
        assert!(again.is_empty(), "{again:?}");
    }
    // The next slot is a new job.
    let next = now + chrono::Duration::seconds(3600);
    assert_eq!(
        queues[0].enqueue_due(&schedule, next).await.unwrap().len(),
        10
    );
}

/// What the handlers saw: per source the worker and the time of each run, and whether two
/// runs of one source overlapped.
#[derive(Default)]
struct Seen {
    runs: Vec<(String, String)>,
    running: HashSet<String>,
    overlaps: Vec<String>,
}

fn recording(
    seen: Arc<Mutex<Seen>>,
    worker: &str,
    hold: Duration,
) -> impl Fn(SourceJob) -> futures::future::BoxFuture<'static, Result<(), JobFailed>> + Clone {
    let worker = worker.to_owned();
    move |job: SourceJob| {
        let (seen, worker) = (seen.clone(), worker.clone());
        Box::pin(async move {
            {
                let mut s = seen.lock().unwrap();
                if !s.running.insert(job.source.clone()) {
                    s.overlaps.push(job.source.clone());
                }
            }
            tokio::time::sleep(hold).await;
            let mut s = seen.lock().unwrap();
            s.running.remove(&job.source);
            s.runs.push((job.source, worker));
            Ok(())
        })
    }
}

async fn wait_for(seen: &Arc<Mutex<Seen>>, n: usize, within: Duration) {
    let until = tokio::time::Instant::now() + within;
    while seen.lock().unwrap().runs.len() < n && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_workers_share_ten_sources_and_run_each_once() {
    let Some(url) = server_url() else { return };
    let name = unique_name("q");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut workers = Vec::new();
    for w in ["a", "b", "c"] {
        let queue = Queue::connect(pool(&url).await, options(&name))
            .await
            .unwrap();
        let handler = recording(seen.clone(), w, Duration::from_millis(300));
        let mut stop = stop_tx.subscribe();
        let worker_name = format!("{name}-{w}");
        workers.push(tokio::spawn(async move {
            queue
                .run(&worker_name, ten_sources(), handler, async move {
                    let _ = stop.recv().await;
                })
                .await
        }));
    }
    wait_for(&seen, 10, Duration::from_secs(60)).await;
    // A while longer: nothing runs a second time in this slot.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop_tx.send(()).unwrap();
    for w in workers {
        w.await.unwrap().unwrap();
    }
    let seen = seen.lock().unwrap();
    let mut per_source: HashMap<&str, usize> = HashMap::new();
    let mut per_worker: HashMap<&str, usize> = HashMap::new();
    for (source, worker) in &seen.runs {
        *per_source.entry(source).or_default() += 1;
        *per_worker.entry(worker).or_default() += 1;
    }
    assert_eq!(per_source.len(), 10, "every source ran: {:?}", seen.runs);
    assert!(
        per_source.values().all(|&n| n == 1),
        "each once: {per_source:?}"
    );
    assert!(
        seen.overlaps.is_empty(),
        "ran twice at once: {:?}",
        seen.overlaps
    );
    // One source at a time per worker, 300 ms each: the three share the ten.
    assert_eq!(
        per_worker.len(),
        3,
        "spread over the workers: {per_worker:?}"
    );
    assert!(per_worker.values().all(|&n| n <= 6), "{per_worker:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_workers_source_goes_to_another_worker() {
    let Some(url) = server_url() else { return };
    let name = unique_name("q");
    let schedule = vec![Scheduled::new("stuck", Duration::from_secs(3600))];
    // Worker A takes the source and never finishes it; then it dies (its task is dropped:
    // no heartbeat, no goodbye).
    let started = Arc::new(tokio::sync::Notify::new());
    let a = {
        let queue = Queue::connect(pool(&url).await, options(&name))
            .await
            .unwrap();
        let started = started.clone();
        let handler = move |_job: SourceJob| {
            let started = started.clone();
            async move {
                started.notify_one();
                futures::future::pending::<()>().await;
                Ok::<(), JobFailed>(())
            }
        };
        let (schedule, worker) = (schedule.clone(), format!("{name}-a"));
        tokio::spawn(async move {
            queue
                .run(&worker, schedule, handler, futures::future::pending())
                .await
        })
    };
    tokio::time::timeout(Duration::from_secs(30), started.notified())
        .await
        .expect("worker A takes the job");
    a.abort();
    let died = tokio::time::Instant::now();
    // Worker B takes it over once A has missed its heartbeats (3 × 1 s).
    let seen = Arc::new(Mutex::new(Seen::default()));
    let queue = Queue::connect(pool(&url).await, options(&name))
        .await
        .unwrap();
    let handler = recording(seen.clone(), "b", Duration::ZERO);
    let worker = format!("{name}-b");
    let b = tokio::spawn(async move {
        queue
            .run(&worker, schedule, handler, futures::future::pending())
            .await
    });
    wait_for(&seen, 1, Duration::from_secs(30)).await;
    b.abort();
    let runs = seen.lock().unwrap().runs.clone();
    assert_eq!(runs, vec![("stuck".to_owned(), "b".to_owned())]);
    assert!(
        died.elapsed() >= Duration::from_secs(2),
        "not before A was dead for its missed heartbeats: {:?}",
        died.elapsed()
    );
}

/// The database goes away while a source is syncing (its connections cut, new ones refused for
/// a few seconds): apalis ends the worker, but the sync under way finishes (it is not cancelled
/// with the worker), well before the restarted worker could have run the job again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sync_under_way_finishes_when_its_worker_loses_the_database() {
    let Some(url) = server_url() else { return };
    let db = ucx_testkit::postgres::fresh_database(&url, "blip_");
    let name = unique_name("q");
    let queue = Queue::connect(pool(&db).await, options(&name))
        .await
        .unwrap();
    let started = Arc::new(tokio::sync::Notify::new());
    let finished = Arc::new(Mutex::new(Vec::<tokio::time::Instant>::new()));
    let handler = {
        let (started, finished) = (started.clone(), finished.clone());
        move |_job: SourceJob| {
            let (started, finished) = (started.clone(), finished.clone());
            async move {
                started.notify_one();
                tokio::time::sleep(Duration::from_secs(3)).await;
                finished.lock().unwrap().push(tokio::time::Instant::now());
                Ok::<(), JobFailed>(())
            }
        }
    };
    let schedule = vec![Scheduled::new("slow", Duration::from_secs(3600))];
    let worker = format!("{name}-w");
    let running = tokio::spawn(queue.run(&worker, schedule, handler, futures::future::pending()));
    tokio::time::timeout(Duration::from_secs(30), started.notified())
        .await
        .expect("the worker takes the job");
    let began = tokio::time::Instant::now();
    let admin = pool(&url).await;
    let db_name = db.rsplit('/').next().unwrap().to_owned();
    // unique_name is letters, digits and underscores only.
    let allow = |on: bool| {
        sqlx_core::query::query(sqlx_core::sql_str::AssertSqlSafe(format!(
            "ALTER DATABASE {db_name} WITH ALLOW_CONNECTIONS {on}"
        )))
    };
    allow(false).execute(&admin).await.unwrap();
    let cut: i64 = sqlx_core::query_scalar::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
    )
    .bind(&db_name)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(cut > 0, "the worker's connections were cut");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    allow(true).execute(&admin).await.unwrap();
    let until = began + Duration::from_secs(15);
    while finished.lock().unwrap().is_empty() && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.abort();
    let first = *finished.lock().unwrap().first().expect("the sync finished");
    assert!(
        first - began < Duration::from_millis(4500),
        "the sync under way finished, not a second delivery after the restart: {:?}",
        first - began
    );
}
