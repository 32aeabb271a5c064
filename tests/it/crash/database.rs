//! The database cut under load instead of the app: the binary behind a cable to Postgres, pages
//! and the API asked without pause while the cable is cut and restored.

use super::*;

/// How long the cable stays cut.
const CUT: Duration = Duration::from_secs(3);
/// After the restore, every answer is whole again within this.
const RECOVERY: Duration = Duration::from_secs(2);

/// One request of the load: when it was sent and answered, which kind, and its answer.
struct Sample {
    sent: Instant,
    answered: Instant,
    page: bool,
    answer: Option<Answer>,
}

#[actix_web::test]
async fn a_database_cut_under_load_gives_503s_and_zero_errors_2_s_after_the_restore() {
    let db = TestDb::new();
    if !db.is_postgres() {
        eprintln!("skipped: the cut is played on Postgres (set TEST_DATABASE_URL)");
        return;
    }
    let app = spawn_app_on(std::rc::Rc::new(db), |_| {}).await;
    app.logged_in_admin("Cut Co", "ops@cut.test").await;
    let token = app.issue_token("Load", &["orders"], "read_only").await;
    // Thousands of requests a second: the rate limit is not what this test is about.
    app.set_rate_limit(token.id, 1_000_000);
    let (cable, url) = Cable::in_front_of(&app.db.url);
    // No token cache: every whoami reads the database, so the API feels the cut as pages do.
    let server = Server::start(&app.db, &url, &[("KWIK_TOKEN_CACHE_TTL_MS", "0")]);
    let mut session = Client::new(server.port);
    assert_eq!(session.login("ops@cut.test", PASSWORD).status, 303);

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|n| {
            let (stop, mut client, auth) = (stop.clone(), session.clone(), token.basic_auth());
            std::thread::spawn(move || {
                let mut samples = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let (page, sent) = (n % 2 == 0, Instant::now());
                    let answer = if page {
                        client.get(LIST)
                    } else {
                        client.send("GET", "/api/v2/whoami", &[("Authorization", &auth)], b"")
                    };
                    samples.push(Sample {
                        sent,
                        answered: Instant::now(),
                        page,
                        answer,
                    });
                }
                samples
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let cut_at = Instant::now();
    cable.cut();
    std::thread::sleep(CUT);
    let restored_at = Instant::now();
    cable.restore();
    std::thread::sleep(RECOVERY + Duration::from_secs(2));
    stop.store(true, Ordering::SeqCst);
    let samples: Vec<Sample> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();

    let (mut during, mut after, mut first_ok) = (0, 0, None::<Duration>);
    for s in &samples {
        let a = s
            .answer
            .as_ref()
            .expect("every request gets a whole answer");
        let status = a.status.as_u16();
        assert!(status == 200 || status == 503, "{status}: {}", a.body);
        if status == 503 && s.page {
            assert!(a.body.contains("Temporarily unavailable"), "{}", a.body);
        }
        if status == 503 && !s.page {
            assert_eq!(a.header("content-type"), Some("application/json"));
            assert!(a.header("retry-after").is_some());
            assert!(a.body.contains(r#""error":"UNAVAILABLE""#), "{}", a.body);
        }
        if s.sent < cut_at && s.answered < cut_at {
            assert_eq!(status, 200, "before the cut: {}", a.body);
        }
        // Sent and answered while the cable was down: the database is unreachable.
        if s.sent > cut_at + Duration::from_millis(100) && s.answered < restored_at {
            assert_eq!(status, 503, "during the cut");
            during += 1;
        }
        if s.sent >= restored_at {
            if status == 200 {
                let since = s.answered - restored_at;
                first_ok = Some(first_ok.map_or(since, |f| f.min(since)));
            }
            if s.sent >= restored_at + RECOVERY {
                assert_eq!(status, 200, "{RECOVERY:?} after the restore: {}", a.body);
                after += 1;
            }
        }
    }
    eprintln!(
        "{} requests: {during} answered 503 during the cut, {after} answered 200 from {RECOVERY:?} \
         after the restore on, the first 200 {first_ok:?} after it",
        samples.len()
    );
    // Each of the 4 workers saw the cut at least once (a 503 may take up to the call deadline).
    assert!(during >= 4 && after > 10, "the load ran through the cut");
    let log = server.kill9();
    assert!(!log.contains("panicked"), "{log}");
}
