//! The durable jobs: armed in the caller's transaction, claimed by one worker at a time,
//! completed only while the claim still holds them, retried later when they fail.

use crate::common::TestApp;
use chrono::{Duration, Utc};
use relais_api::jobs::{Done, Handler, JobError};
use relais_store::jobs;
use relais_store::messages::{self, NewMessage};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Wait until `ready` holds, at most 10 s (the worker polls every second).
async fn eventually(mut ready: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..100 {
        if ready().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// A handler counting its runs, completing the job in a transaction of its own.
fn counting(runs: Arc<AtomicUsize>) -> Handler {
    Arc::new(move |state, job| {
        let runs = runs.clone();
        Box::pin(async move {
            let failed = |e: sea_orm::DbErr| JobError(e.to_string());
            let txn = relais_store::db::begin_write(&state.db)
                .await
                .map_err(failed)?;
            if !jobs::complete(&txn, &job).await? {
                return Ok(Done::Lost);
            }
            txn.commit().await.map_err(failed)?;
            runs.fetch_add(1, Ordering::SeqCst);
            Ok(Done::Completed)
        })
    })
}

#[tokio::test]
async fn an_armed_job_runs_once_through_its_kinds_handler() {
    let runs = Arc::new(AtomicUsize::new(0));
    let app = TestApp::with_state(|s| s.with_job("test_count", counting(runs.clone()))).await;
    let now = Utc::now();
    jobs::schedule(
        &app.db,
        "test_count",
        7,
        now + Duration::hours(1),
        None,
        now,
    )
    .await
    .unwrap();
    // Arming it again moves the one job (to now), it does not add a second.
    jobs::schedule(&app.db, "test_count", 7, now, Some("{}".into()), now)
        .await
        .unwrap();
    assert!(
        eventually(async || runs.load(Ordering::SeqCst) == 1).await,
        "the job never ran"
    );
    assert!(
        jobs::find(&app.db, "test_count", 7)
            .await
            .unwrap()
            .is_none()
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failing_job_is_tried_again_later_with_its_error_kept() {
    let failing: Handler =
        Arc::new(|_, _| Box::pin(async { Err(JobError("the provider is unavailable".into())) }));
    let app = TestApp::with_state(|s| s.with_job("test_fail", failing)).await;
    let now = Utc::now();
    jobs::schedule(&app.db, "test_fail", 1, now, None, now)
        .await
        .unwrap();
    assert!(
        eventually(async || {
            jobs::find(&app.db, "test_fail", 1)
                .await
                .unwrap()
                .is_some_and(|j| j.last_error.is_some())
        })
        .await
    );
    let job = jobs::find(&app.db, "test_fail", 1).await.unwrap().unwrap();
    assert_eq!(job.attempts, 1);
    assert_eq!(
        job.last_error.as_deref(),
        Some("the provider is unavailable")
    );
    assert!(job.locked_by.is_none());
    assert!(job.run_at >= now + Duration::seconds(29), "{}", job.run_at);
}

#[tokio::test]
async fn a_job_of_an_unknown_kind_is_kept_with_the_reason() {
    let app = TestApp::new().await;
    let now = Utc::now();
    jobs::schedule(&app.db, "from_a_newer_release", 3, now, None, now)
        .await
        .unwrap();
    assert!(
        eventually(async || {
            jobs::find(&app.db, "from_a_newer_release", 3)
                .await
                .unwrap()
                .is_some_and(|j| j.last_error.is_some())
        })
        .await
    );
    let job = jobs::find(&app.db, "from_a_newer_release", 3)
        .await
        .unwrap()
        .unwrap();
    assert!(job.last_error.unwrap().contains("no handler"));
}

// The tests below claim by hand at an instant an hour ahead, when the application's own
// worker (at the real time) sees none of their jobs due.

#[tokio::test]
async fn two_claimers_at_once_never_take_the_same_job() {
    let app = TestApp::new().await;
    let now = Utc::now();
    let later = now + Duration::hours(2);
    for subject in 0..300 {
        jobs::schedule(
            &app.db,
            "test_race",
            subject,
            now + Duration::hours(1),
            None,
            now,
        )
        .await
        .unwrap();
    }
    let claimer = |name: &'static str| {
        let db = app.db.clone();
        tokio::spawn(async move {
            let mut taken = Vec::new();
            for round in 0.. {
                let token = format!("{name}-{round}");
                let claimed = jobs::claim(&db, &token, later, Duration::minutes(5), 7)
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    break;
                }
                taken.extend(claimed.into_iter().map(|j| j.subject_id));
            }
            taken
        })
    };
    let (a, b) = (claimer("a"), claimer("b"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let all: HashSet<i64> = a.iter().chain(&b).copied().collect();
    assert_eq!(a.len() + b.len(), 300, "a job was claimed twice");
    assert_eq!(all.len(), 300);
}

#[tokio::test]
async fn a_job_whose_lease_ran_out_is_taken_over_and_the_first_claim_cannot_complete_it() {
    let app = TestApp::new().await;
    let now = Utc::now();
    let at = now + Duration::hours(2);
    let lease = Duration::seconds(60);
    jobs::schedule(
        &app.db,
        "test_lease",
        1,
        now + Duration::hours(1),
        None,
        now,
    )
    .await
    .unwrap();
    let first = jobs::claim(&app.db, "first", at, lease, 10).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    let during = at + Duration::seconds(30);
    assert!(
        jobs::claim(&app.db, "second", during, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let after = at + Duration::seconds(61);
    let second = jobs::claim(&app.db, "second", after, lease, 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempts, 2);

    assert!(!jobs::complete(&app.db, &first[0]).await.unwrap());
    assert!(!jobs::renew(&app.db, &first[0], after, lease).await.unwrap());
    assert!(jobs::complete(&app.db, &second[0]).await.unwrap());
    assert!(
        jobs::find(&app.db, "test_lease", 1)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn arming_a_claimed_job_again_takes_it_from_its_claim() {
    let app = TestApp::new().await;
    let now = Utc::now();
    let at = now + Duration::hours(2);
    jobs::schedule(
        &app.db,
        "test_rearm",
        5,
        now + Duration::hours(1),
        None,
        now,
    )
    .await
    .unwrap();
    let claimed = jobs::claim(&app.db, "worker", at, Duration::seconds(60), 1)
        .await
        .unwrap();
    let moved_to = now + Duration::hours(3);
    jobs::schedule(&app.db, "test_rearm", 5, moved_to, None, now)
        .await
        .unwrap();
    // The handler's effect is rolled back: the moved timer runs at its new time instead.
    assert!(!jobs::complete(&app.db, &claimed[0]).await.unwrap());
    let job = jobs::find(&app.db, "test_rearm", 5).await.unwrap().unwrap();
    assert_eq!(job.run_at.timestamp(), moved_to.timestamp());
    assert_eq!(job.attempts, 0);
    assert!(job.locked_by.is_none());

    // A timer that re-arms itself moves its own row; cancelling by subject removes it.
    let claimed = jobs::claim(&app.db, "worker", moved_to, Duration::seconds(60), 1)
        .await
        .unwrap();
    assert!(
        jobs::again(&app.db, &claimed[0], moved_to + Duration::minutes(5))
            .await
            .unwrap()
    );
    assert_eq!(
        jobs::cancel(&app.db, &["test_rearm", "test_other"], 5)
            .await
            .unwrap(),
        1
    );
    assert!(
        jobs::find(&app.db, "test_rearm", 5)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_job_out_of_attempts_is_given_up_and_counted() {
    let app = TestApp::new().await;
    let now = Utc::now();
    let mut at = now + Duration::hours(2);
    jobs::schedule(
        &app.db,
        "test_give_up",
        9,
        now + Duration::hours(1),
        None,
        now,
    )
    .await
    .unwrap();
    for attempt in 1..=jobs::MAX_ATTEMPTS {
        let claimed = jobs::claim(
            &app.db,
            &format!("w{attempt}"),
            at,
            Duration::seconds(60),
            1,
        )
        .await
        .unwrap();
        assert_eq!(claimed.len(), 1, "attempt {attempt}");
        assert!(
            jobs::fail(&app.db, &claimed[0], "declined", at)
                .await
                .unwrap()
        );
        at += Duration::seconds(1);
    }
    assert!(
        jobs::claim(&app.db, "last", at, Duration::seconds(60), 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(jobs::given_up(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn a_claimed_message_is_not_handed_out_again_before_its_lease_ends() {
    let app = TestApp::new().await;
    let due = Utc::now() + Duration::hours(1);
    let message = messages::queue(
        &app.db,
        NewMessage {
            user_id: None,
            channel: relais_store::entity::outbound_message::Channel::Mail,
            template: "test".into(),
            language: "en".into(),
            recipient: "someone@example.com".into(),
            subject: "Hello".into(),
            body: "Hello".into(),
            sent_by: None,
        },
        due,
    )
    .await
    .unwrap();
    let at = due + Duration::minutes(1);
    let lease = Duration::minutes(5);
    let first = messages::claim(&app.db, at, lease, 10).await.unwrap();
    assert_eq!(first.iter().map(|m| m.id).collect::<Vec<_>>(), [message.id]);
    assert!(
        messages::claim(&app.db, at, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A dispatcher that stopped while sending leaves it due again after the lease.
    let after = at + lease + Duration::seconds(1);
    assert_eq!(
        messages::claim(&app.db, after, lease, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}
